"""``ekonomi demo``: a demo bureau, its users and two client companies with
a year of bookkeeping, built as canonical records, written as SIE 4E files by
the sie4 plugin's writer and imported through that plugin, as a bureau's
files would be."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ekonomi.core import Account, Balance, Company, FiscalYear, Record, Voucher, VoucherRow

BUREAU = "Demobyrån"
PASSWORD = "demo-losen-1"


@dataclass(frozen=True)
class DemoCompany:
    orgnr: str
    name: str
    sales: tuple[int, ...]  # kronor per month, excl. VAT
    purchases: tuple[int, ...]
    rent: int
    salaries: int


COMPANIES = (
    DemoCompany(
        "556910-1008",
        "Kaffekompaniet i Mölndal AB",
        (82000, 76500, 91000, 88000, 97500, 104000, 71000, 66500, 99000, 102500, 110000, 131000),
        (31000, 29500, 35000, 34000, 38500, 41000, 27000, 25500, 38000, 40000, 43500, 52000),
        18500,
        42000,
    ),
    DemoCompany(
        "556910-1016",
        "Snickeri Nord AB",
        (45000, 52000, 61000, 70500, 83000, 95000, 88000, 79000, 72000, 64000, 51000, 47000),
        (12000, 15500, 19000, 22000, 27500, 31000, 29000, 25000, 21500, 18000, 14000, 12500),
        9500,
        38000,
    ),
)

ACCOUNTS = {
    "1510": "Kundfordringar",
    "1930": "Företagskonto",
    "2081": "Aktiekapital",
    "2091": "Balanserad vinst eller förlust",
    "2440": "Leverantörsskulder",
    "2611": "Utgående moms på försäljning inom Sverige, 25 %",
    "2641": "Debiterad ingående moms",
    "2710": "Personalskatt",
    "3001": "Försäljning inom Sverige, 25 % moms",
    "4010": "Inköp material och varor",
    "5010": "Lokalhyra",
    "7010": "Löner till kollektivanställda",
}


def records(company: DemoCompany, year: int = 2024) -> Iterator[Record]:
    """A year of bookkeeping as canonical records: monthly sales, purchases,
    rent and salaries, with opening, closing and result balances that agree."""
    start = date(year, 1, 1)
    vouchers = sorted(_vouchers(company, year), key=lambda v: (v.date, int(v.number)))
    opening = {"1930": Decimal(250000), "2081": Decimal(-50000), "2091": Decimal(-200000)}
    movement: dict[str, Decimal] = {}
    for v in vouchers:
        for row in v.rows:
            movement[row.account] = movement.get(row.account, Decimal(0)) + row.amount
    yield Company(company.name, company.orgnr)
    yield FiscalYear(start, date(year, 12, 31), 0)
    yield from (Account(number, name) for number, name in ACCOUNTS.items())
    yield from (Balance("opening", start, account, amount) for account, amount in sorted(opening.items()))
    for account in sorted(set(opening) | set(movement)):
        if account[0] in "12":
            yield Balance("closing", start, account, opening.get(account, Decimal(0)) + movement.get(account, Decimal(0)))
        else:
            yield Balance("result", start, account, movement[account])
    yield from vouchers


def _vouchers(company: DemoCompany, year: int) -> Iterator[Voucher]:
    numbers = itertools.count(1)

    def voucher(day: date, text: str, rows: list[tuple[str, Decimal]]) -> Voucher:
        assert sum(a for _, a in rows) == 0
        return Voucher("A", str(next(numbers)), day, text, tuple(VoucherRow(a, amount) for a, amount in rows))

    for month in range(1, 13):
        sales = Decimal(company.sales[month - 1])
        vat = sales / 4
        yield voucher(date(year, month, 10), f"Försäljning {month:02d}", [("1930", sales + vat), ("3001", -sales), ("2611", -vat)])
        buy = Decimal(company.purchases[month - 1])
        yield voucher(date(year, month, 15), f"Inköp {month:02d}", [("4010", buy), ("2641", buy / 4), ("1930", -(buy + buy / 4))])
        rent = Decimal(company.rent)
        yield voucher(date(year, month, 1), f"Hyra {month:02d}", [("5010", rent), ("1930", -rent)])
        pay = Decimal(company.salaries)
        tax = (pay * Decimal("0.3")).quantize(Decimal("1"))
        yield voucher(date(year, month, 25), f"Löner {month:02d}", [("7010", pay), ("2710", -tax), ("1930", -(pay - tax))])
        if month > 1:
            yield voucher(date(year, month, 12), f"Skatt {month - 1:02d}", [("2710", tax), ("1930", -tax)])


def write_sie(company: DemoCompany, folder: Path, year: int = 2024) -> Path:
    """The company's year as a SIE 4E file, written by the sie4 plugin's writer."""
    from ekonomi.plugins.sie4.writer import write_sie as write

    path = folder / f"demo-{company.orgnr}.se"
    with path.open("wb") as out:
        write(records(company, year), out, program="ekonomi demo", version="1.0", generated=date(year + 1, 1, 15))
    return path
