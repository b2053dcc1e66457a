"""The eEkonomi API's values as Python values (research notes 1.3, 2.3):
dates that come as dates or midnight datetimes, timestamps with seven
fractional digits, money as exact Decimal, voucher numbers with their
series in front."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def day(value: Any) -> date | None:
    """``2026-03-30`` or ``2026-03-30T00:00:00[.f][Z]`` → a date."""
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def instant(value: str) -> datetime:
    """A UTC timestamp of up to seven fractional digits (Python reads six)."""
    text = value.rstrip("Z")
    head, dot, fraction = text.partition(".")
    parsed = datetime.fromisoformat(head + (dot + fraction[:6] if dot else ""))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def stamp(moment: datetime) -> str:
    """A timestamp as a ``$filter`` literal: ``2026-12-01T08:00:00.000000Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def money(value: Any) -> Decimal:
    """A JSON number (parsed as Decimal, never float) to öre precision."""
    if value is None:
        return Decimal("0.00")
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(CENT)


def sides(row: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """A row's (debit, credit).  Voucher rows say ``DebitAmount``,
    supplier-invoice rows ``DebetAmount``; both sides are always there, the
    unused one 0."""
    return money(row.get("DebitAmount", row.get("DebetAmount"))), money(row.get("CreditAmount"))


def net(row: dict[str, Any]) -> Decimal:
    """A row's amount, debit positive as in SIE."""
    debit, credit = sides(row)
    return debit - credit


def series_and_number(voucher: dict[str, Any]) -> tuple[str, str]:
    """``NumberAndNumberSeries`` "A12" with ``NumberSeries`` "A" → ("A", "12");
    the whole text as the number where the series is missing or no prefix."""
    whole = str(voucher.get("NumberAndNumberSeries") or "")
    series = str(voucher.get("NumberSeries") or "")
    if series and whole.startswith(series):
        return series, whole[len(series) :]
    return series, whole


def minus(moment: datetime, seconds: int) -> datetime:
    return moment - timedelta(seconds=seconds)
