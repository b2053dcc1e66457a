"""Sums of integer öre that cannot overflow, on SQLite as on PostgreSQL.

SQLite's ``sum()`` of integers fails past 64 bits ("integer overflow") where
PostgreSQL's gives a numeric.  Each amount is split at 10^9 öre and the parts
summed apart: exact, and inside 64 bits for any number of rows a database
holds.  Python joins them.  One query shape for both databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SPLIT = 10**9


def exact_sum(column: str) -> str:
    """Two SQL result columns whose ``joined`` value is ``sum(column)``.  Integer
    division and remainder truncate toward zero on both databases."""
    return f"sum({column} / {SPLIT}), sum({column} % {SPLIT})"


def joined(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Rows whose last two values are ``exact_sum``'s parts, with the sum instead."""
    return [(*row[:-2], int(row[-2] or 0) * SPLIT + int(row[-1] or 0)) for row in rows]
