"""What an import replaces is kept, not deleted, until the company's next import.

At its commit an import (store.py) first drops what the company's previous
import had kept (``Keeper``: replaced data is kept until the next import of
that company makes it unreachable), then, before each delete of the replace
rules, copies the rows it is about to delete into the table's ``undo_`` twin
(models.SHADOWS), keeps the whole chart of every year whose chart it changes,
and writes the rest that undoing it needs (year ends it changed, the source
cursor before) into ``import_undo``.  Every copy is one ``INSERT … SELECT``
with the delete's own condition, so an import that replaces nothing (the
benchmarks' empty company) moves nothing; undo.py moves the rows back.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text

from ..books.models import SHADOWS
from .chart import TABLES as CHART_TABLES


def columns(table: str) -> str:
    """The columns a table shares with its undo_ twin."""
    return ", ".join(c.name for c in SHADOWS[table].columns if c.name != "undo_import_id")


class Keeper:
    """What one import replaces, kept for undo.  Made at the start of the
    import's commit, in its transaction: it drops the company's older kept rows."""

    def __init__(self, conn: Any, company_id: int, import_id: int) -> None:
        self.conn, self.company_id, self.import_id = conn, company_id, import_id
        self.chart_years: list[int] = []
        self.year_ends: list[tuple[int, str]] = []
        self.source: str | None = None
        self.source_state: str | None = None
        forget(conn, company_id)

    def keep(self, table: str, where: str, params: dict[str, Any]) -> None:
        """Copy the rows of ``table`` that match ``where`` (about to be deleted)."""
        cols = columns(table)
        sql = f"INSERT INTO undo_{table} (undo_import_id, {cols}) SELECT :undo_import, {cols} FROM {table} WHERE {where}"
        self.conn.execute(text(sql), {**params, "undo_import": self.import_id})

    def keep_chart(self, fiscal_year_id: int) -> None:
        """The year's whole chart, before the import first changes it."""
        for table in CHART_TABLES:
            self.keep(table, "fiscal_year_id = :f", {"f": fiscal_year_id})
        self.chart_years.append(fiscal_year_id)

    def keep_year_end(self, fiscal_year_id: int, end: date) -> None:
        self.year_ends.append((fiscal_year_id, end.isoformat()))

    def keep_state(self, source: str) -> None:
        """The source's cursor before the import moves it (None: there was none)."""
        self.source = source
        self.source_state = self.conn.execute(
            text("SELECT state FROM source_state WHERE company_id = :c AND source = :s"), {"c": self.company_id, "s": source}
        ).scalar()

    def finish(self) -> None:
        self.conn.execute(
            text(
                "INSERT INTO import_undo (company_id, import_id, year_ends, chart_years, source, source_state) "
                "VALUES (:c, :i, :ends, :charts, :src, :state)"
            ),
            {
                "c": self.company_id,
                "i": self.import_id,
                "ends": json.dumps(self.year_ends),
                "charts": json.dumps(sorted(set(self.chart_years))),
                "src": self.source,
                "state": self.source_state,
            },
        )


def forget(conn: Any, company_id: int) -> None:
    """Nothing of the company is undoable any more (its books changed
    outside an import: a fiscal year deleted, an import undone)."""
    for table in SHADOWS:
        conn.execute(text(f"DELETE FROM undo_{table} WHERE company_id = :c"), {"c": company_id})
    conn.execute(text("DELETE FROM import_undo WHERE company_id = :c"), {"c": company_id})
