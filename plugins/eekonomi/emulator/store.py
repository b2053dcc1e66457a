"""The emulator's data: one ``Books`` per company, records kept as the API
names their fields, with native values (Decimal, date, datetime).  The
invariants the real service keeps live here: vouchers balance, are numbered
per series and fiscal year, carry their account names, and every change
bumps the record's timestamp."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .errors import LOCKED_PERIOD, ApiError, bad_request, not_found

Record = dict[str, Any]
NAMESPACE = uuid.UUID("5d0f7d3c-2b1e-4a7c-9a52-6f0e1c1e7e01")  # uuid5 ids: reproducible fixtures
KINDS = (
    "fiscalyears", "accounts", "vouchers", "customers", "suppliers", "customerinvoices", "supplierinvoices",
    "customerledgeritems", "costcenters", "projects", "attachments", "documents",
)
CENT = Decimal("0.01")


def stable_id(*key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(map(str, key))))


@dataclass
class Books:
    """One company in the emulator: its settings, state and records."""

    id: str
    settings: Record
    opening_balances: dict[int, Decimal] = field(default_factory=dict)  # the first fiscal year's
    tables: dict[str, dict[str, Record]] = field(default_factory=lambda: {k: {} for k in KINDS})
    files: dict[str, bytes] = field(default_factory=dict)  # attachment or document id → content
    state: str = "active"
    _numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    _seq: int = 0

    def table(self, kind: str) -> dict[str, Record]:
        return self.tables[kind]

    def get(self, kind: str, record_id: str) -> Record:
        record = self.tables[kind].get(str(record_id).lower())
        if record is None:
            raise not_found(kind)
        return record

    def new_id(self, kind: str) -> str:
        self._seq += 1
        return stable_id(self.id, kind, "new", self._seq)

    def put(self, kind: str, record: Record) -> Record:
        self.tables[kind][record["Id"]] = record
        return record

    # -- fiscal years and the chart ------------------------------------------------
    def fiscal_years(self) -> list[Record]:
        return sorted(self.tables["fiscalyears"].values(), key=lambda fy: fy["StartDate"])

    def fiscal_year_of(self, day: date) -> Record | None:
        return next((fy for fy in self.fiscal_years() if fy["StartDate"] <= day <= fy["EndDate"]), None)

    def account(self, fiscal_year_id: str, number: int) -> Record | None:
        return self.tables["accounts"].get(f"{fiscal_year_id}:{number}")

    # -- vouchers ---------------------------------------------------------------------
    def add_voucher(self, voucher: Record, now: datetime, *, check_lock: bool = True) -> Record:
        """Validate, number and store a voucher (``NumberSeries`` default ``A``)."""
        fy = self._voucher_year(voucher, check_lock)
        series = voucher.get("NumberSeries") or "A"
        number = self._numbers.get((fy["Id"], series), 0) + 1
        self._numbers[(fy["Id"], series)] = number
        voucher.setdefault("Id", self.new_id("vouchers"))
        voucher.update(NumberSeries=series, NumberAndNumberSeries=f"{series}{number}")
        voucher.setdefault("CreatedUtc", now)
        voucher.setdefault("ModifiedUtc", voucher["CreatedUtc"])
        return self.put("vouchers", voucher)

    def replace_rows(self, voucher: Record, rows: list[Record], now: datetime) -> None:
        old = voucher["Rows"]
        voucher["Rows"] = rows
        try:
            self._voucher_year(voucher, check_lock=True)
        except ApiError:
            voucher["Rows"] = old
            raise
        voucher["ModifiedUtc"] = now

    def note_number(self, voucher: Record) -> None:
        """Keep the series counters past a loaded voucher's number."""
        fy = self.fiscal_year_of(voucher["VoucherDate"])
        series = voucher.get("NumberSeries") or ""
        digits = str(voucher.get("NumberAndNumberSeries") or "")[len(series):]
        if fy and digits.isdigit():
            key = (fy["Id"], series)
            self._numbers[key] = max(self._numbers.get(key, 0), int(digits))

    def _voucher_year(self, voucher: Record, check_lock: bool) -> Record:
        fy = self.fiscal_year_of(voucher["VoucherDate"])
        if fy is None:
            raise ApiError(400, 3001, f"No fiscal year contains {voucher['VoucherDate']}", "VoucherDate")
        if check_lock and (fy["IsLockedForAccounting"] or voucher["VoucherDate"] <= self.locked_to()):
            raise ApiError(400, LOCKED_PERIOD, "Voucher in locked period", "VoucherDate")
        check_rows(voucher["Rows"])
        for row in voucher["Rows"]:
            account = self.account(fy["Id"], row["AccountNumber"])
            if account is None:
                raise ApiError(400, 3002, f"Account {row['AccountNumber']} not found", "Rows.AccountNumber")
            row["AccountDescription"] = account["Name"]
        return fy

    def locked_to(self) -> date:
        return self.settings.get("AccountingLockedTo") or date.min


def check_rows(rows: list[Record]) -> None:
    """A voucher balances: amounts non-negative with at most two decimals,
    debit total equal to credit total, at least two rows."""
    if len(rows) < 2:
        raise bad_request("A voucher needs at least two rows", "Rows")
    debit = credit = Decimal(0)
    for i, row in enumerate(rows):
        for side in ("DebitAmount", "CreditAmount"):
            amount = Decimal(str(row.get(side) or 0))
            if amount < 0 or amount != amount.quantize(CENT):
                raise bad_request(f"{side} must be positive with at most 2 decimals", f"Rows[{i}].{side}")
            row[side] = amount.quantize(CENT)
        debit += row["DebitAmount"]
        credit += row["CreditAmount"]
    if debit != credit:
        raise bad_request(f"The voucher does not balance: debit {debit}, credit {credit}", "Rows")
