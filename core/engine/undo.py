"""Undo a company's latest import ("Ångra senaste importen").

The books return exactly to what they were before the company's latest
successful import: its rows go, the rows it replaced come back from the
``undo_`` tables (shadow.py) with their ids, the charts it changed are put
back, the fiscal years it created go, the year ends it changed are restored,
and so is its source's cursor.  One transaction, under the company's import
lock, logged as a company event.

Only the latest import can be undone, and only once: its commit dropped what
the import before it had kept, and an undo (or deleting a fiscal year)
drops what is left, so afterwards there is nothing to undo until the next
import (a ``conflict``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..books import models as m
from ..books.db import writer
from ..books.reports import fiscal_years
from ..errors import EkonomiError
from ..events import Event
from .chart import TABLES as CHART_TABLES
from .plugins import PluginManager
from .runlog import _iso as iso_utc  # the import log's timestamps
from .shadow import columns, forget
from .store import link_attachments

_DATA_TABLES = ("balance", "period_balance", "period_budget")


class NothingToUndo(EkonomiError):
    code = "conflict"


def _latest(conn: Any, company_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The company's latest successful import and what undoing it needs;
    NothingToUndo when that import cannot be undone."""
    run = conn.execute(
        text(
            "SELECT id, source, filename, finished_at FROM import_run WHERE company_id = :c AND status = 'succeeded' "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"c": company_id},
    ).first()
    if run is None:
        raise NothingToUndo("Nothing to undo: the company has no successful import.")
    kept = conn.execute(
        text("SELECT import_id, year_ends, chart_years, source, source_state FROM import_undo WHERE company_id = :c"),
        {"c": company_id},
    ).first()
    if kept is None or kept[0] != run[0]:
        raise NothingToUndo(
            f"Nothing to undo: the latest import ({run[0]}) was already undone, or the books changed after it "
            "(a fiscal year was deleted). Only the latest import can be undone, once."
        )
    return (
        {"import_id": run[0], "source": run[1], "file": run[2], "finished_at": iso_utc(run[3])},
        {"year_ends": json.loads(kept[1]), "chart_years": json.loads(kept[2]), "source": kept[3], "source_state": kept[4]},
    )


def _years(conn: Any, company_id: int, import_id: int) -> list[dict[str, Any]]:
    """Each fiscal year the undo changes: its vouchers now and after, and
    whether it is restored or removed (the import created it)."""
    p = {"c": company_id, "imp": import_id}
    new = set(conn.execute(text("SELECT id FROM fiscal_year WHERE company_id = :c AND import_id = :imp"), p).scalars())
    charts = set(json.loads(conn.execute(text("SELECT chart_years FROM import_undo WHERE company_id = :c"), p).scalar() or "[]"))
    out = []
    for y in fiscal_years(conn, company_id):
        q = {**p, "f": y.id}
        now = conn.execute(text("SELECT count(*) FROM voucher WHERE fiscal_year_id = :f"), q).scalar() or 0
        mine = conn.execute(text("SELECT count(*) FROM voucher WHERE fiscal_year_id = :f AND import_id = :imp"), q).scalar() or 0
        back = conn.execute(text("SELECT count(*) FROM undo_voucher WHERE company_id = :c AND fiscal_year_id = :f"), q).scalar() or 0
        changed = conn.execute(
            text(
                "SELECT count(*) FROM balance WHERE fiscal_year_id = :f AND import_id = :imp "
                "UNION ALL SELECT count(*) FROM undo_balance WHERE company_id = :c AND fiscal_year_id = :f"
            ),
            q,
        ).scalars()
        if y.id in new or mine or back or any(changed) or y.id in charts:
            out.append(
                {
                    "start": y.start.isoformat(),
                    "end": y.end.isoformat(),
                    "action": "removed" if y.id in new else "restored",
                    "vouchers_now": int(now),
                    "vouchers_after": 0 if y.id in new else int(now - mine + back),
                }
            )
    return out


def undo_summary(engine: Engine, company_id: int, years: bool = True) -> dict[str, Any]:
    """What undoing the latest import would do, for the confirmation (without
    ``years``: only which import, as a page's button needs); NothingToUndo
    when there is nothing to undo."""
    with engine.connect() as conn:
        run, _ = _latest(conn, company_id)
        return {**run, "fiscal_years": _years(conn, company_id, run["import_id"]) if years else []}


def undo_latest_import(
    engine: Engine, pm: PluginManager, company_id: int, actor: str, expected: int | None = None
) -> dict[str, Any]:
    """Undo the company's latest successful import; returns what was undone
    (as undo_summary said before), logged as the company event ``import_undone``.
    ``expected``: the import the user confirmed; another one is not undone."""
    from .pipeline import company_lock

    with company_lock(engine, company_id), writer(engine).connect() as conn, conn.begin():
        run, kept = _latest(conn, company_id)
        if expected is not None and run["import_id"] != expected:
            raise NothingToUndo(f"The latest import is now {run['import_id']}, not {expected}: confirm again.")
        data = {**run, "fiscal_years": _years(conn, company_id, run["import_id"])}
        _restore(conn, company_id, run["import_id"], kept)
        conn.execute(
            text("INSERT INTO company_event (company_id, kind, actor, data, at) VALUES (:c, 'import_undone', :a, :d, :t)"),
            {"c": company_id, "a": actor, "d": json.dumps(data), "t": m.utcnow()},
        )
        orgnr = conn.execute(text("SELECT orgnr FROM company WHERE id = :c"), {"c": company_id}).scalar()
    pm.emit(Event("import_undone", orgnr, run["import_id"], actor, data))
    return data


def _restore(conn: Any, company_id: int, import_id: int, kept: dict[str, Any]) -> None:
    """The import's rows out, the kept rows back, in one transaction."""
    p = {"c": company_id, "imp": import_id}

    def run(sql: str, params: dict[str, Any] | None = None) -> Any:
        return conn.execute(text(sql), {**p, **(params or {})})

    new_years = run("SELECT id FROM fiscal_year WHERE company_id = :c AND import_id = :imp").scalars().all()
    for y in fiscal_years(conn, company_id):
        mine = "SELECT id FROM voucher WHERE fiscal_year_id = :f AND import_id = :imp"  # ix_voucher_year
        run(f"UPDATE attachment SET voucher_id = NULL WHERE voucher_id IN ({mine})", {"f": y.id})
        run(f"DELETE FROM voucher_row WHERE voucher_id IN ({mine})", {"f": y.id})
        run("DELETE FROM voucher WHERE fiscal_year_id = :f AND import_id = :imp", {"f": y.id})
        for table in _DATA_TABLES:
            run(f"DELETE FROM {table} WHERE fiscal_year_id = :f AND import_id = :imp", {"f": y.id})
    run("UPDATE attachment SET invoice_id = NULL WHERE invoice_id IN (SELECT id FROM invoice WHERE company_id = :c AND import_id = :imp)")
    run("DELETE FROM invoice WHERE company_id = :c AND import_id = :imp")
    run("DELETE FROM attachment WHERE company_id = :c AND import_id = :imp")
    for fid in set(kept["chart_years"]) | set(new_years):
        for table in CHART_TABLES:
            run(f"DELETE FROM {table} WHERE fiscal_year_id = :f", {"f": fid})
    for table in ("voucher", "voucher_row", *_DATA_TABLES, "invoice", *CHART_TABLES):
        cols = columns(table)
        run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM undo_{table} WHERE company_id = :c AND undo_import_id = :imp")
    for fid, end in kept["year_ends"]:
        run('UPDATE fiscal_year SET "end" = :e WHERE id = :f', {"e": end, "f": fid})
    for fid in new_years:
        run("DELETE FROM fiscal_year WHERE id = :f", {"f": fid})
    if kept["source"] is not None:
        _restore_state(run, kept["source"], kept["source_state"])
    forget(conn, company_id)
    link_attachments(conn, company_id)


def _restore_state(run: Any, source: str, state: str | None) -> None:
    if state is None:
        run("DELETE FROM source_state WHERE company_id = :c AND source = :s", {"s": source})
    else:
        run("UPDATE source_state SET state = :st, updated_at = :u WHERE company_id = :c AND source = :s",
            {"s": source, "st": state, "u": m.utcnow()})  # fmt: skip
