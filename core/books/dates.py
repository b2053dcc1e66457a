"""Dates as the stored books hand them back, and the stored fiscal years."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .. import records as r


def as_date(value: Any) -> date:
    """A stored date as a date: SQLite hands dates back as text when read through text()."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def stored_fiscal_years(conn: Connection, company_id: int) -> list[r.FiscalYear]:
    """The company's fiscal years, oldest first."""
    rows = conn.execute(
        text('SELECT start, "end" FROM fiscal_year WHERE company_id = :c ORDER BY start'), {"c": company_id}
    ).all()
    return [r.FiscalYear(as_date(s), as_date(e)) for s, e in rows]
