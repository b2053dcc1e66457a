"""What the default seed is made of: its years, the day its books end, and
the options a fixture may change (``{"generate": {...}}``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .store import stable_id

YEARS = ((date(2025, 1, 1), date(2025, 12, 31), True), (date(2026, 1, 1), date(2026, 12, 31), False))
LAST_DAY = date(2026, 11, 30)  # the books end the day before the emulator clock's default start
TERMS_OF_PAYMENT = stable_id("termsofpayment", "30 dagar")


@dataclass(frozen=True)
class SeedOptions:
    random_seed: int = 13
    vouchers: int = 2500  # in all, both years
    empty: bool = False  # a company with a chart but no vouchers or invoices
