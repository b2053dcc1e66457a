"""Each fiscal year keeps its own chart of accounts (issue 11): an import
renames accounts only in the years it brings, reports show the names of the
year shown, and a deleted year takes its chart with it.  SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ekonomi.core import Account, Company, DimensionObject, FiscalYear, Source, Voucher, VoucherRow, hookimpl
from ekonomi.core.books.companies import delete_latest_year
from ekonomi.core.books.export import stored_records
from ekonomi.core.context import FileInput
from tests.books_support import Ledger, Year, company_id, do_import, names, sie_file


def test_importing_another_year_keeps_the_names_of_the_years_it_does_not_bring(engine, pm, company, tmp_path):
    """The new user's story: 2024 says "Företagskonto"; another company's
    file brings 2010 with "Checkräkningskonto"; 2024 still says "Företagskonto"."""
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=3)]), "2024.se"))
    other = Ledger([Year(2010, 0, vouchers=2)], names={"1930": "Checkräkningskonto", "3010": "Intäkter"})
    do_import(engine, pm, sie_file(tmp_path, other, "2010.se"))
    assert names(engine, 2024) == {"1930": "Företagskonto", "3010": "Försäljning"}
    assert names(engine, 2010) == {"1930": "Checkräkningskonto", "3010": "Intäkter"}
    with engine.connect() as conn:
        exported = [rec for rec in stored_records(conn, company_id(engine), date(2010, 1, 1)) if type(rec) is Account]
        assert {a.number: a.name for a in exported} == {"1930": "Checkräkningskonto", "3010": "Intäkter"}
        exported = [rec for rec in stored_records(conn, company_id(engine), date(2024, 1, 1)) if type(rec) is Account]
        assert {a.number: a.name for a in exported} == {"1930": "Företagskonto", "3010": "Försäljning"}


def test_deleting_a_year_takes_its_chart_and_leaves_the_others(engine, pm, company, tmp_path):
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=3)]), "2024.se"))
    later = Ledger([Year(2025, 0, vouchers=1)], names={"1930": "Checkräkningskonto", "3010": "Intäkter"})
    do_import(engine, pm, sie_file(tmp_path, later, "2025.se"))
    assert names(engine, 2025)["1930"] == "Checkräkningskonto"
    delete_latest_year(engine, pm, company_id(engine), actor="test")
    assert names(engine, 2024) == {"1930": "Företagskonto", "3010": "Försäljning"}
    with engine.connect() as conn:
        # 2024's two accounts are all that is left: 2025's chart went with 2025.
        assert conn.execute(text("SELECT count(*) FROM account")).scalar_one() == 2
        assert conn.execute(text("SELECT DISTINCT name FROM account WHERE number = '1930'")).scalars().all() == ["Företagskonto"]


def test_the_year_a_file_replaces_takes_its_chart_and_an_earlier_year_only_gains(engine, pm, company, tmp_path):
    """Re-importing 2024 (with 2023 as #RAR -1, no vouchers there): 2024's
    chart becomes the file's, 2023 keeps its names and gains what it lacked."""
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2023, 0, vouchers=1)]), "2023.se"))
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=2)]), "2024.se"))
    renamed = Ledger([Year(2024, 0, vouchers=2), Year(2023, -1)], names={"1930": "Bankkonto", "3010": "Försäljning", "1910": "Kassa"})
    do_import(engine, pm, sie_file(tmp_path, renamed, "2024b.se"))
    assert names(engine, 2024) == {"1930": "Bankkonto", "3010": "Försäljning"}
    assert names(engine, 2023) == {"1930": "Företagskonto", "3010": "Försäljning"}
    with engine.connect() as conn:
        per_year = conn.execute(
            text("SELECT f.start, a.name FROM account a JOIN fiscal_year f ON f.id = a.fiscal_year_id WHERE a.number = '1910'")
        ).all()
    assert sorted(str(s) for s, _ in per_year) == ["2023-01-01", "2024-01-01"]


def test_an_undeclared_account_is_created_in_the_year_it_is_used_in(engine, pm, company, tmp_path):
    ledger = Ledger([Year(2024, 0, vouchers=2, extra_account="1931"), Year(2023, -1, vouchers=1)])
    result = do_import(engine, pm, sie_file(tmp_path, ledger, "bok.se"))
    assert result["counts"]["accounts"] == 3  # two declared, one created
    with engine.connect() as conn:
        years = conn.execute(
            text("SELECT f.start, a.name FROM account a JOIN fiscal_year f ON f.id = a.fiscal_year_id WHERE a.number = '1931'")
        ).all()
    assert [(str(s), n) for s, n in years] == [("2024-01-01", "")]


def test_a_4i_file_adds_to_the_charts_of_the_years_its_vouchers_land_in(engine, pm, company, tmp_path):
    """No #RAR: its chart goes to the years of its vouchers, adding what is
    missing there; it replaces nothing, so stored names stay."""
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=1), Year(2023, -1, vouchers=1)]), "bok.se"))
    lines = [
        "#FLAGGA 0", '#PROGRAM "Lön" 1', "#FORMAT PC8", "#GEN 20240601", "#SIETYP 4", '#FNAMN "Exempel AB"',
        "#ORGNR 556677-8899", '#KONTO 1930 "Lönekonto"', '#KONTO 7010 "Löner"',
        '#VER "L" "1" 20240525 "Lön maj"', "{", "#TRANS 7010 {} 500.00", "#TRANS 1930 {} -500.00", "}",
    ]  # fmt: skip
    path = tmp_path / "lon.si"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp437"))
    do_import(engine, pm, FileInput(path, "lon.si"))
    with engine.connect() as conn:
        charts = conn.execute(
            text("SELECT f.start, a.number, a.name FROM account a JOIN fiscal_year f ON f.id = a.fiscal_year_id ORDER BY 1, 2")
        ).all()
    by_year = {}
    for start, number, name in charts:
        by_year.setdefault(str(start), {})[number] = name
    assert by_year["2024-01-01"] == {"1930": "Företagskonto", "3010": "Försäljning", "7010": "Löner"}
    assert by_year["2023-01-01"] == {"1930": "Företagskonto", "3010": "Försäljning"}


class YearChartSource(Source):
    """Like eEkonomi: a chart per fiscal year, each entry naming its year."""

    name = "yearchart"
    title = "Chart per year"
    version = "1.0"
    kind = "file"
    mode = "upsert"
    provides = frozenset({"company", "fiscal_years", "accounts", "objects", "vouchers"})
    file_extensions = (".yc",)

    def identify(self, head: bytes, filename: str) -> bool:
        return filename.endswith(".yc")

    def normalize(self, raw: FileInput, ctx: Any) -> Iterator[Any]:
        yield Company(None, ctx.company_orgnr)
        for y in (2023, 2024):
            yield FiscalYear(date(y, 1, 1), date(y, 12, 31), y - 2024)
        yield Account("1930", f"Bank {raw.path.read_text().strip()}")  # every year the import brings
        yield Account("3010", "Försäljning 2023", year_start=date(2023, 1, 1))
        yield Account("3010", "Försäljning 2024", year_start=date(2024, 1, 1))
        yield DimensionObject(6, "P1", "Projekt 2024", year_start=date(2024, 1, 1))
        rows = (VoucherRow("1930", Decimal("10.00")), VoucherRow("3010", Decimal("-10.00")))
        yield Voucher("A", "1", date(2024, 2, 1), "Sale", rows, source_id="v1")


class YearChartPlugin:
    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [YearChartSource()]


def test_a_source_gives_each_year_its_own_chart(engine, pm, company, tmp_path: Path):
    pm.register(YearChartPlugin(), name="yearchart", builtin=True)
    path = tmp_path / "a.yc"
    path.write_text("ett")
    do_import(engine, pm, FileInput(path, "a.yc"))
    path.write_text("två")  # upsert: the names it brings again are updated
    do_import(engine, pm, FileInput(path, "a.yc"))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT f.start, a.number, a.name FROM account a JOIN fiscal_year f ON f.id = a.fiscal_year_id ORDER BY 1, 2")
        ).all()
        objects = conn.execute(
            text("SELECT f.start, o.code, o.name FROM dimension_object o JOIN fiscal_year f ON f.id = o.fiscal_year_id")
        ).all()
    assert [(str(s), n, name) for s, n, name in rows] == [
        ("2023-01-01", "1930", "Bank två"),
        ("2023-01-01", "3010", "Försäljning 2023"),
        ("2024-01-01", "1930", "Bank två"),
        ("2024-01-01", "3010", "Försäljning 2024"),
    ]
    assert [(str(s), c, n) for s, c, n in objects] == [("2024-01-01", "P1", "Projekt 2024")]


def test_removing_the_other_companys_year_again_leaves_2024_right(engine, pm, company, tmp_path):
    """The story's end: the imported 2010 goes again (undo of that import)
    and 2024 still says "Företagskonto"; no chart row of 2010 is left."""
    from ekonomi.core.engine.undo import undo_latest_import

    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=3)]), "2024.se"))
    other = Ledger([Year(2010, 0, vouchers=2)], names={"1930": "Checkräkningskonto", "3010": "Intäkter"})
    do_import(engine, pm, sie_file(tmp_path, other, "2010.se"))
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert names(engine, 2024) == {"1930": "Företagskonto", "3010": "Försäljning"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fiscal_year")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM account")).scalar_one() == 2
