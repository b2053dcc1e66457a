"""``Source.provides`` is read: an import warns once per record kind the
source yields without listing it, and ``ekonomi plugins --json`` shows it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ekonomi.core import FileInput, FiscalYear, Invoice, hookimpl
from ekonomi.core.checks import ProvidesCheck, record_kind
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from tests.fakes import FakeLedger, ledger


class InvoicingLedger(FakeLedger):
    """The fake ledger source, which also yields an invoice it does not declare."""

    name = "fakeinv"
    provides = frozenset({"company", "fiscal_years", "accounts", "balances", "vouchers"})

    def identify(self, head, filename):
        return filename.endswith(".inv")

    def normalize(self, raw, ctx):
        yield from super().normalize(raw, ctx)
        for n in (1, 2):
            yield Invoice("customer", str(n), None, "Kund AB", None, None, "SEK", Decimal("100.00"), Decimal("100.00"), None, date(2023, 12, 31))


class Plugin:
    @hookimpl
    def ekonomi_sources(self):
        return [InvoicingLedger()]


def test_an_undeclared_kind_is_stored_with_one_warning(engine, pm, company, tmp_path):
    pm.register(Plugin(), name="fakeinv", builtin=True)
    path = tmp_path / "x.inv"
    path.write_text(ledger(vouchers=1), encoding="utf-8")
    result = run_import(engine, pm, ImportRequest(company, FileInput(path, path.name), source="fakeinv"))
    assert result["status"] == "succeeded"
    assert result["counts"]["invoices"] == 2
    warned = [i for i in result["issues"] if i["code"] == "import.undeclared_kind"]
    assert len(warned) == 1 and "invoices" in warned[0]["message"]


def test_declared_kinds_pass_and_control_records_have_no_kind():
    check = ProvidesCheck(InvoicingLedger())
    assert list(check.check(FiscalYear(date(2023, 1, 1), date(2023, 12, 31)))) == []
    assert record_kind(object()) is None


def test_plugins_json_lists_what_each_source_provides(pm):
    info = {p.name: p.as_json() for p in pm.infos()}
    assert "vouchers" in info["sie4"]["provides"]
    assert info["sie4"]["provides"] == sorted(info["sie4"]["provides"])
