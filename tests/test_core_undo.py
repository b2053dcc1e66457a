"""Undoing the latest import: the books return exactly to what they were
before it, every year's trial balance row for row, charts, balances, year
ends and fiscal years; once only.  SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from ekonomi.core.books.companies import delete_latest_year
from ekonomi.core.engine.undo import NothingToUndo, undo_latest_import, undo_summary
from tests.books_support import Ledger, Year, books_by_year, company_id, do_import, names, sie_file

RENAMED = {"1930": "Checkräkningskonto", "3010": "Intäkter", "1910": "Kassa"}


def import_a(engine, pm, tmp_path):
    """A: 2023 (#RAR -1) and 2024 (#RAR 0), both with vouchers."""
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=3), Year(2023, -1, vouchers=2)]), "a.se"))
    return books_by_year(engine)


def events(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT kind FROM company_event ORDER BY id")).scalars().all()


def test_undo_of_an_import_that_replaced_the_current_year(engine, pm, company, tmp_path):
    after_a = import_a(engine, pm, tmp_path)
    b = Ledger([Year(2024, 0, vouchers=5, amount=Decimal("7.50"), end=date(2025, 3, 31)), Year(2023, -1)], names=RENAMED)
    do_import(engine, pm, sie_file(tmp_path, b, "b.se"))
    assert books_by_year(engine) != after_a
    assert names(engine, 2024)["1930"] == "Checkräkningskonto"
    summary = undo_summary(engine, company_id(engine))
    assert summary["file"] == "b.se"
    assert [(y["start"], y["action"], y["vouchers_now"], y["vouchers_after"]) for y in summary["fiscal_years"]] == [
        ("2023-01-01", "restored", 2, 2),  # its chart gained 1910, which goes again
        ("2024-01-01", "restored", 5, 3),
    ]
    done = undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert done["import_id"] == summary["import_id"]
    assert books_by_year(engine) == after_a
    assert names(engine, 2024) == {"1930": "Företagskonto", "3010": "Försäljning"}
    assert events(engine) == ["import_undone"]
    with pytest.raises(NothingToUndo, match="already undone"):
        undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == after_a


def test_undo_of_an_import_that_created_a_year_and_replaced_an_earlier_one(engine, pm, company, tmp_path):
    after_a = import_a(engine, pm, tmp_path)
    b = Ledger([Year(2025, 0, vouchers=2), Year(2024, -1, vouchers=4, amount=Decimal("12.34"))], names=RENAMED)
    do_import(engine, pm, sie_file(tmp_path, b, "b.se"))
    assert sorted(books_by_year(engine)) == ["2023-01-01", "2024-01-01", "2025-01-01"]
    summary = undo_summary(engine, company_id(engine))
    assert [(y["start"], y["action"], y["vouchers_after"]) for y in summary["fiscal_years"]] == [
        ("2024-01-01", "restored", 3),
        ("2025-01-01", "removed", 0),
    ]
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == after_a
    with engine.connect() as conn:  # nothing is left aside once undone
        assert conn.execute(text("SELECT count(*) FROM undo_voucher")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM import_undo")).scalar_one() == 0


def test_only_the_latest_import_is_kept_for_undo(engine, pm, company, tmp_path):
    import_a(engine, pm, tmp_path)
    # B leaves 2024 with one of A's three vouchers: confirmed, as the user must.
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=1)], names=RENAMED), "b.se"), confirmed=True)
    after_b = books_by_year(engine)
    do_import(engine, pm, sie_file(tmp_path, Ledger([Year(2024, 0, vouchers=6)]), "c.se"))
    with engine.connect() as conn:  # B's replaced rows went when C committed; C keeps B's
        kept = conn.execute(text("SELECT DISTINCT undo_import_id FROM undo_voucher")).scalars().all()
        latest = conn.execute(text("SELECT max(id) FROM import_run")).scalar_one()
    assert kept == [latest]
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == after_b
    with pytest.raises(NothingToUndo):
        undo_latest_import(engine, pm, company_id(engine), actor="test")


def test_nothing_to_undo_without_imports_or_after_deleting_a_year(engine, pm, company, tmp_path):
    with pytest.raises(NothingToUndo, match="no successful import") as err:
        undo_summary(engine, company_id(engine))
    assert err.value.code == "conflict"
    import_a(engine, pm, tmp_path)
    delete_latest_year(engine, pm, company_id(engine), actor="test")
    with pytest.raises(NothingToUndo, match="deleted"):
        undo_latest_import(engine, pm, company_id(engine), actor="test")


class SyncSource:
    """An integration-like source (upsert by source id, an invoice
    snapshot, a cursor); the file says each voucher's amount and the cursor."""

    name = "syncish"
    title = "Sync-like"
    version = "1.0"
    kind = "file"
    mode = "upsert"
    file_extensions = (".sync",)
    provides = frozenset({"company", "fiscal_years", "vouchers", "invoices"})

    def identify(self, head: bytes, filename: str) -> bool:
        return filename.endswith(".sync")

    def normalize(self, raw, ctx):
        from ekonomi.core import Company, FiscalYear, Invoice, StateUpdate, Voucher, VoucherRow

        words = raw.path.read_text().split()
        yield Company(None, ctx.company_orgnr)
        yield FiscalYear(date(2024, 1, 1), date(2024, 12, 31), 0)
        for word in words[1:]:
            sid, amount = word.split("=")
            rows = (VoucherRow("1930", Decimal(amount)), VoucherRow("3010", -Decimal(amount)))
            yield Voucher("A", sid, date(2024, 5, 1), f"Synkad {sid}", rows, source_id=sid)
        yield Invoice("customer", f"F{words[0]}", None, "Kund AB", None, None, "SEK", Decimal(100), Decimal(100), None, date(2024, 6, 1))
        yield StateUpdate({"cursor": words[0]})


def test_undo_of_an_upsert_brings_back_the_vouchers_invoices_and_cursor_it_replaced(engine, pm, company, tmp_path):
    from ekonomi.core import Source, hookimpl
    from ekonomi.core.context import FileInput

    class Plugin:
        @hookimpl
        def ekonomi_sources(self) -> list[Source]:
            return [type("Sync", (SyncSource, Source), {})()]

    pm.register(Plugin(), name="syncish", builtin=True)
    path = tmp_path / "s.sync"

    def sync(text_: str) -> None:
        path.write_text(text_)
        do_import(engine, pm, FileInput(path, "s.sync"))

    def state() -> list:
        with engine.connect() as conn:
            return conn.execute(text("SELECT state FROM source_state")).scalars().all()

    def invoices() -> list:
        with engine.connect() as conn:
            return conn.execute(text("SELECT number FROM invoice")).scalars().all()

    sync("1 v1=10.00 v2=20.00")
    after_first = books_by_year(engine)
    sync("2 v1=15.00 v3=5.00")
    assert invoices() == ["F2"] and state() == ['{"cursor": "2"}']
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == after_first
    assert invoices() == ["F1"] and state() == ['{"cursor": "1"}']
    sync("3 v4=1.00")
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == after_first and state() == ['{"cursor": "1"}']


def test_undo_of_the_first_import_leaves_empty_books(engine, pm, company, tmp_path):
    import_a(engine, pm, tmp_path)
    undo_latest_import(engine, pm, company_id(engine), actor="test")
    assert books_by_year(engine) == {}
    with engine.connect() as conn:
        for table in ("account", "balance", "voucher", "voucher_row", "fiscal_year"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
