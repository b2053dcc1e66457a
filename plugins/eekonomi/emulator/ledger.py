"""Balances from the books: what ``/accountbalances`` and
``/fiscalyears/openingbalances`` answer.  A balance is the fiscal year's
opening balance (balance-sheet accounts, classes 1–2) plus the debit minus
credit of the rows dated up to the day within that year (assumed semantics,
research notes E.5; profit-and-loss accounts are year to date)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from .errors import ApiError
from .store import Books, Record

RESULT_ACCOUNT = 2099  # where a closed year's result opens the next (assumed)


def is_balance_sheet(number: int) -> bool:
    return number // 1000 in (1, 2)


def movements(books: Books, fiscal_year: Record, until: date | None = None) -> dict[int, Decimal]:
    last = min(until, fiscal_year["EndDate"]) if until else fiscal_year["EndDate"]
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for voucher in books.table("vouchers").values():
        if fiscal_year["StartDate"] <= voucher["VoucherDate"] <= last:
            for row in voucher["Rows"]:
                sums[row["AccountNumber"]] += row["DebitAmount"] - row["CreditAmount"]
    return sums


def opening(books: Books, fiscal_year: Record) -> dict[int, Decimal]:
    """The first year's opening balances as seeded; a later year's are the
    year before's closing balance-sheet balances, its result moved to 2099."""
    years = books.fiscal_years()
    index = next(i for i, fy in enumerate(years) if fy["Id"] == fiscal_year["Id"])
    if index == 0:
        return dict(books.opening_balances)
    before = years[index - 1]
    result: dict[int, Decimal] = defaultdict(Decimal, opening(books, before))
    for number, amount in movements(books, before).items():
        result[number if is_balance_sheet(number) else RESULT_ACCOUNT] += amount
    return dict(result)


def balances(books: Books, day: date) -> dict[int, Decimal]:
    """Every account's balance on ``day`` (accounts never used are left out)."""
    fiscal_year = books.fiscal_year_of(day)
    if fiscal_year is None:
        raise ApiError(400, 3001, f"No fiscal year contains {day.isoformat()}")
    total: dict[int, Decimal] = defaultdict(Decimal, opening(books, fiscal_year))
    for number, amount in movements(books, fiscal_year, day).items():
        total[number] += amount
    return dict(sorted(total.items()))
