"""The chart of accounts an import brings, applied per fiscal year.

Accounts, dimensions and objects belong to a fiscal year, as in the programs
that write SIE: a file's #KONTO, #DIM and #OBJEKT describe the years that file
brings, and no import changes the names of a year it does not bring.

Which years an entry describes (records.Account):

* an entry with ``year_start`` describes the fiscal year that starts that day;
* one without describes every fiscal year the import brings (its FiscalYear
  records) or, when it brings none (a SIE 4I file), each year its vouchers
  land in.

How an entry changes a year's stored chart follows the replace rules:

* ``REPLACE``: a year the import replaces (replace mode: the current year and
  the years it carries vouchers for) gets exactly the import's chart;
* ``UPSERT`` (upsert mode, integrations): entries are added or updated, none
  removed;
* ``ADD`` (append mode, and replace mode's earlier years without vouchers):
  only the entries the year lacks are added; stored names stay.

In every year the import put vouchers in, an account used there but declared
nowhere is created without a name, and never renames or removes a stored one.
A chart is a few hundred rows a year: it is kept in dicts and written at the
commit, the stored one read once per year then, never per voucher.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from sqlalchemy import text

REPLACE, UPSERT, ADD = "replace", "upsert", "add"

# table -> (key columns, value columns)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "account": (("number",), ("name", "type", "sru", "unit")),
    "dimension": (("number",), ("name", "parent")),
    "dimension_object": (("dimension", "code"), ("name",)),
}
_UNNAMED_ACCOUNT = ("", None, None, None)

Entries = dict[tuple[Any, ...], tuple[Any, ...]]


class ImportChart:
    """The chart entries of one import, by the year they describe."""

    def __init__(self) -> None:
        # table -> year start (None: every year the import brings) -> key -> values
        self.entries: dict[str, dict[date | None, Entries]] = {t: {} for t in TABLES}

    def add(self, table: str, year_start: date | None, key: tuple[Any, ...], values: tuple[Any, ...]) -> None:
        self.entries[table].setdefault(year_start, {})[key] = values

    def specific_years(self) -> set[date]:
        """The years some entry names itself."""
        return {s for by_year in self.entries.values() for s in by_year if s is not None}

    def for_year(self, table: str, start: date, general: bool) -> Entries:
        """The entries describing the year that starts ``start``; ``general``:
        whether the entries without a year describe it too."""
        by_year = self.entries[table]
        out = dict(by_year.get(None, {})) if general else {}
        out.update(by_year.get(start, {}))
        return out

    def apply_year(
        self,
        conn: Any,
        company_id: int,
        fiscal_year_id: int,
        entries: dict[str, Entries],
        policy: str,
        used: Collection[str] = (),
        before_change: Callable[[int], None] | None = None,
    ) -> set[str]:
        """Change one year's stored chart to take ``entries`` (table → key →
        values) by ``policy``; accounts in ``used`` that end up missing are
        created without a name.  ``before_change(fiscal_year_id)`` runs once
        before the first write (to keep what is replaced).  Returns the
        numbers of the accounts created so."""
        ops: list[tuple[str, list[dict[str, Any]]]] = []
        created: set[str] = set()
        for table, (keys, cols) in TABLES.items():
            stored = _stored(conn, table, fiscal_year_id)
            new = entries.get(table, {})
            inserts = [k for k in new if k not in stored]
            updates = [k for k in new if k in stored and stored[k] != new[k]] if policy != ADD else []
            deletes = [k for k in stored if k not in new] if policy == REPLACE else []
            if table == "account":
                unnamed = [(n,) for n in sorted(set(used)) if (n,) not in new and (n,) not in stored]
                created = {k[0] for k in unnamed}
                deletes = [k for k in deletes if k[0] not in used]  # a used account keeps its stored name
                new = {**new, **dict.fromkeys(unnamed, _UNNAMED_ACCOUNT)}
                inserts += unnamed
            base = {"c": company_id, "f": fiscal_year_id}
            where = " AND ".join(["fiscal_year_id = :f", *(f"{k} = :{k}" for k in keys)])
            row = lambda k: {**base, **dict(zip(keys, k)), **dict(zip(cols, new.get(k, ())))}  # noqa: E731
            if deletes:
                ops.append((f"DELETE FROM {table} WHERE {where}", [row(k) for k in deletes]))
            if updates:
                ops.append((f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in cols)} WHERE {where}", [row(k) for k in updates]))
            if inserts:
                names = ("company_id", "fiscal_year_id", *keys, *cols)
                marks = ", ".join([":c", ":f", *(f":{n}" for n in (*keys, *cols))])
                ops.append((f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", [row(k) for k in inserts]))
        if ops and before_change is not None:
            before_change(fiscal_year_id)
        for sql, params in ops:
            conn.execute(text(sql), params)
        return created


def _stored(conn: Any, table: str, fiscal_year_id: int) -> Entries:
    keys, cols = TABLES[table]
    rows = conn.execute(text(f"SELECT {', '.join((*keys, *cols))} FROM {table} WHERE fiscal_year_id = :f"), {"f": fiscal_year_id})
    n = len(keys)
    return {tuple(r[:n]): tuple(r[n:]) for r in rows}


def delete_chart(conn: Any, fiscal_year_id: int) -> int:
    """A fiscal year's chart, gone with the year; the number of accounts."""
    deleted = 0
    for table in TABLES:
        count = conn.execute(text(f"DELETE FROM {table} WHERE fiscal_year_id = :f"), {"f": fiscal_year_id}).rowcount
        deleted += count if table == "account" else 0
    return deleted
