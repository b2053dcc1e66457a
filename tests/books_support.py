"""SIE files built from canonical records for the tests of the stored books
(charts per fiscal year, undo), and what those tests compare: every year's
trial balance and chart, read back from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ekonomi.core import Account, Balance, Company, FiscalYear, Record, Voucher, VoucherRow
from ekonomi.core.books.reports import fiscal_years, trial_balance
from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import

ORGNR = "556677-8899"


@dataclass
class Year:
    """One #RAR year of a file: its calendar year, #RAR index and how many
    vouchers of ``amount`` (1930 against 3010) it carries."""

    year: int
    index: int = 0
    vouchers: int = 0
    amount: Decimal = Decimal("100.00")
    extra_account: str | None = None  # a row on an account the file does not declare
    end: date | None = None  # 31 December unless given

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)


@dataclass
class Ledger:
    years: list[Year]
    names: dict[str, str] = field(default_factory=lambda: {"1930": "Företagskonto", "3010": "Försäljning"})
    orgnr: str = ORGNR
    opening: Decimal = Decimal("1000.00")


def records(ledger: Ledger) -> list[Record]:
    out: list[Record] = [Company("Exempel AB", ledger.orgnr)]
    out += [FiscalYear(y.start, y.end or date(y.year, 12, 31), y.index) for y in ledger.years]
    out += [Account(n, name) for n, name in ledger.names.items()]
    vouchers: list[Voucher] = []
    for y in ledger.years:
        moved = y.amount * y.vouchers
        out.append(Balance("opening", y.start, "1930", ledger.opening))
        out.append(Balance("closing", y.start, "1930", ledger.opening + moved))
        if moved:
            out.append(Balance("result", y.start, "3010", -moved))
        for i in range(1, y.vouchers + 1):
            rows = [VoucherRow("1930", y.amount), VoucherRow("3010", -y.amount)]
            if y.extra_account and i == 1:
                rows += [VoucherRow(y.extra_account, Decimal("1.00")), VoucherRow("1930", Decimal("-1.00"))]
            vouchers.append(Voucher("A", str(i), date(y.year, 3, i % 28 + 1), f"Försäljning {y.year} {i}", tuple(rows)))
    return out + vouchers


def sie_file(tmp_path: Path, ledger: Ledger, name: str) -> FileInput:
    """The ledger as a SIE 4E file, written by the sie4 plugin's writer."""
    from ekonomi.plugins.sie4.writer import write_sie

    path = tmp_path / name
    with path.open("wb") as out:
        write_sie(records(ledger), out, program="tests", version="1", generated=date(2025, 1, 15))
    return FileInput(path, name)


def do_import(engine: Any, pm: Any, file: FileInput, orgnr: str = ORGNR, confirmed: bool = False) -> dict[str, Any]:
    """``confirmed``: the user confirmed an import that needs it (engine/confirmation.py)."""
    result = run_import(engine, pm, ImportRequest(company=orgnr, file=file, confirmed=confirmed))
    assert result["status"] == "succeeded", result
    return result


def company_id(engine: Any, orgnr: str = ORGNR) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM company WHERE orgnr = :o"), {"o": orgnr}).scalar_one()


def names(engine: Any, year: int, orgnr: str = ORGNR) -> dict[str, str]:
    """The trial balance's account names in the year that starts 1 January ``year``."""
    with engine.connect() as conn:
        tb = trial_balance(conn, company_id(engine, orgnr), date(year, 1, 1))
    return {a["account"]: a["name"] for a in tb["accounts"]}


def books_by_year(engine: Any, orgnr: str = ORGNR) -> dict[str, Any]:
    """Every fiscal year's trial balance, chart, balances and vouchers,
    without ids: equal exactly when the books are."""
    cid = company_id(engine, orgnr)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for y in fiscal_years(conn, cid):
            p = {"f": y.id}

            def rows(sql: str) -> list[tuple[Any, ...]]:
                return sorted((tuple(map(str, r)) for r in conn.execute(text(sql), p)), key=repr)  # noqa: B023

            out[y.start.isoformat()] = {
                "end": y.end.isoformat(),
                "trial_balance": trial_balance(conn, cid, y.start)["accounts"],
                "accounts": rows("SELECT number, name, type, sru, unit FROM account WHERE fiscal_year_id = :f"),
                "dimensions": rows("SELECT number, name, parent FROM dimension WHERE fiscal_year_id = :f"),
                "objects": rows("SELECT dimension, code, name FROM dimension_object WHERE fiscal_year_id = :f"),
                "balances": rows("SELECT kind, account, object_dim, object_code, amount, quantity FROM balance WHERE fiscal_year_id = :f"),
                "period_balances": rows("SELECT period, account, amount FROM period_balance WHERE fiscal_year_id = :f"),
                "budgets": rows("SELECT period, account, amount FROM period_budget WHERE fiscal_year_id = :f"),
                "vouchers": rows("SELECT series, number, date, text FROM voucher WHERE fiscal_year_id = :f"),
                "rows": rows("SELECT account, amount, kind FROM voucher_row WHERE fiscal_year_id = :f"),
            }
    return out
