"""The wire format: how the emulator's native values (Decimal, date,
datetime) are written as the real API writes them, and read back from
fixtures.  Field names are already the API's PascalCase in the store."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

# Fields the API declares date-time but fills with a date (research notes 1.3);
# ``Date`` is a payment's, in fixtures only.
DATE_FIELDS = frozenset(
    {"VoucherDate", "Date", "InvoiceDate", "DueDate", "PaymentDate", "StartDate", "EndDate", "TransactionDate",
     "DeliveryDate", "AccountingLockedTo", "LastInvoiceDate"}
)
# Instants, written in UTC with up to seven fractional digits and ``Z``.
TIMESTAMP_FIELDS = frozenset({"ModifiedUtc", "CreatedUtc", "ChangedUtc", "ImageDate"})

_INSTANT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def render(value: Any, date_style: str = "date", digits: int = 7) -> Any:
    """A native value as JSON-ready data; keys starting with ``_`` are the
    emulator's own and never leave it.  Money (Decimal) becomes a JSON number."""
    if isinstance(value, dict):
        return {k: render(v, date_style, digits) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [render(v, date_style, digits) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return timestamp(value, digits)
    if isinstance(value, date):
        return value.isoformat() if date_style == "date" else f"{value.isoformat()}T00:00:00"
    return value


def timestamp(instant: datetime, digits: int = 7) -> str:
    """``2026-06-27T17:34:17.6730217Z``.  Python keeps microseconds; the
    seventh digit is derived from them so it is stable for the same value."""
    utc = instant.astimezone(timezone.utc)
    base = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if digits <= 0:
        return base + "Z"
    fraction = f"{utc.microsecond:06d}{(utc.microsecond * 7 + utc.second) % 10}"
    return f"{base}.{fraction[:digits]}Z"


def server_time(instant: datetime) -> str:
    """``Meta.ServerTimeUtc``: RFC 3339 to the second, as in the spec's example."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> date | datetime | None:
    """A date (``2026-01-01``) or an instant (``2026-01-01T00:00:00[.f…][Z]``);
    digits past the sixth are dropped.  None if ``text`` is neither."""
    m = _INSTANT.match(text.strip())
    if not m:
        return None
    day, hh, mm, ss, frac, zone = m.groups()
    try:
        d = date.fromisoformat(day)
        if hh is None:
            return d
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz = timezone.utc
        if zone and zone != "Z":
            tz = datetime.strptime(zone.replace(":", ""), "%z").tzinfo  # type: ignore[assignment]
        local = datetime(d.year, d.month, d.day, int(hh), int(mm), int(ss or 0), micro, tzinfo=tz)
    except ValueError:
        return None
    return local.astimezone(timezone.utc)


def read_fixture_value(key: str, value: Any) -> Any:
    """A value of a seed fixture (wire form) as the store keeps it; numbers
    must have been parsed with ``parse_float=Decimal``."""
    if isinstance(value, dict):
        return {k: read_fixture_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [read_fixture_value(key, v) for v in value]
    if isinstance(value, str) and (key in DATE_FIELDS or key in TIMESTAMP_FIELDS):
        parsed = parse_instant(value)
        if parsed is None:
            raise ValueError(f"{key}: {value!r} is not a date")
        if key in DATE_FIELDS:
            return parsed.date() if isinstance(parsed, datetime) else parsed
        return parsed if isinstance(parsed, datetime) else datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith(("Amount", "Balance")):
        return Decimal(value)
    return value
