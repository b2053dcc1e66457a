"""Fresh planner statistics after a big import (PostgreSQL).

A bulk load of tens of thousands of rows leaves the tables' statistics as
they were before it; until autovacuum analyses them (never, where it is off)
the planner takes the company's rows for a handful and picks plans that are
ten times as slow (an overview: 210 ms instead of 19 ms).  So after an import
that wrote many rows, ``ANALYZE`` the tables it changed: after its commit, on
a connection of its own, outside any transaction.  Statistics are an
optimisation: a failing ANALYZE is logged and never fails the import."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

ANALYZE_MIN_ROWS = 10_000  # rows an import wrote before its tables are analysed
# The counts of an import's result → the tables they are rows of.
TABLES_OF_COUNT = {
    "vouchers": ("voucher",),
    "rows": ("voucher_row",),
    "balances": ("balance",),
    "period_balances": ("period_balance", "period_budget"),
}


def tables_to_analyze(counts: Mapping[str, int]) -> list[str]:
    """The tables an import with these counts changed, if it wrote enough
    rows to matter; else none."""
    if sum(counts.get(name, 0) for name in TABLES_OF_COUNT) < ANALYZE_MIN_ROWS:
        return []
    return [table for name, tables in TABLES_OF_COUNT.items() if counts.get(name, 0) for table in tables]


def analyze_after_load(engine: Engine, counts: Mapping[str, int]) -> list[str]:
    """ANALYZE what a committed import changed; returns the tables analysed."""
    if engine.dialect.name != "postgresql":
        return []  # SQLite's planner keeps no statistics that a load makes stale
    tables = tables_to_analyze(counts)
    if not tables:
        return []
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"ANALYZE {', '.join(tables)}"))
    except Exception:
        log.warning("ANALYZE %s after an import failed; the import stands", ", ".join(tables), exc_info=True)
        return []
    return tables
