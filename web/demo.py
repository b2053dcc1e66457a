"""``ekonomi demo``: a demo bureau, its users and two client companies with
a year of bookkeeping, imported through the sie4 plugin from SIE 4E files
written here (CP437, as the format wants)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

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


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sie_text(company: DemoCompany, year: int = 2024) -> str:
    """A SIE 4E file of one year: monthly sales, purchases, rent and salaries,
    with opening, closing and result balances that agree."""
    vouchers: list[tuple[str, date, str, list[tuple[str, Decimal]]]] = []
    n = 0

    def add(day: date, text: str, rows: list[tuple[str, Decimal]]) -> None:
        nonlocal n
        n += 1
        assert sum(a for _, a in rows) == 0
        vouchers.append((str(n), day, text, rows))

    for month in range(1, 13):
        sales = Decimal(company.sales[month - 1])
        vat = sales / 4
        add(date(year, month, 10), f"Försäljning {month:02d}", [("1930", sales + vat), ("3001", -sales), ("2611", -vat)])
        buy = Decimal(company.purchases[month - 1])
        add(date(year, month, 15), f"Inköp {month:02d}", [("4010", buy), ("2641", buy / 4), ("1930", -(buy + buy / 4))])
        rent = Decimal(company.rent)
        add(date(year, month, 1), f"Hyra {month:02d}", [("5010", rent), ("1930", -rent)])
        pay = Decimal(company.salaries)
        tax = (pay * Decimal("0.3")).quantize(Decimal("1"))
        add(date(year, month, 25), f"Löner {month:02d}", [("7010", pay), ("2710", -tax), ("1930", -(pay - tax))])
        if month > 1:
            add(date(year, month, 12), f"Skatt {month - 1:02d}", [("2710", tax), ("1930", -tax)])
    opening = {"1930": Decimal(250000), "2081": Decimal(-50000), "2091": Decimal(-200000)}
    movement: dict[str, Decimal] = {}
    for _, _, _, rows in sorted(vouchers, key=lambda v: v[1]):
        for account, amount in rows:
            movement[account] = movement.get(account, Decimal(0)) + amount
    lines = [
        "#FLAGGA 0",
        '#PROGRAM "ekonomi demo" 1.0',
        "#FORMAT PC8",
        f"#GEN {year + 1}0115",
        "#SIETYP 4",
        f"#ORGNR {company.orgnr}",
        f"#FNAMN {_q(company.name)}",
        f"#RAR 0 {year}0101 {year}1231",
        "#KPTYP BAS2014",
    ]
    lines += [f"#KONTO {number} {_q(name)}" for number, name in ACCOUNTS.items()]
    for account, amount in sorted(opening.items()):
        lines.append(f"#IB 0 {account} {amount:.2f}")
    for account in sorted(set(opening) | set(movement)):
        total = opening.get(account, Decimal(0)) + movement.get(account, Decimal(0))
        if account[0] in "12":
            lines.append(f"#UB 0 {account} {total:.2f}")
        else:
            lines.append(f"#RES 0 {account} {movement[account]:.2f}")
    for number, day, text, rows in sorted(vouchers, key=lambda v: (v[1], int(v[0]))):
        lines.append(f"#VER A {number} {day:%Y%m%d} {_q(text)}")
        lines.append("{")
        lines += [f"   #TRANS {account} {{}} {amount:.2f}" for account, amount in rows]
        lines.append("}")
    return "\r\n".join(lines) + "\r\n"


def write_sie(company: DemoCompany, folder: Path) -> Path:
    path = folder / f"demo-{company.orgnr}.se"
    path.write_bytes(sie_text(company).encode("cp437"))
    return path
