"""Each hook, exercised through a real import."""

from __future__ import annotations

import click
from click.testing import CliRunner

from ekonomi.core import Issue, RecordCheck, Severity, Voucher, hookimpl
from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from tests.fakes import ledger


def _import(engine, pm, company, tmp_path, content: str):
    path = tmp_path / "x.fake"
    path.write_text(content, encoding="utf-8")
    return run_import(engine, pm, ImportRequest(company, FileInput(path, path.name)))


def test_ekonomi_fetched_sees_the_raw_input(engine, pm, company, tmp_path):
    kept = []

    class Archive:
        @hookimpl
        def ekonomi_fetched(self, source, ctx, raw):
            kept.append((source.name, ctx.company_orgnr, raw.path.read_bytes()))

    pm.register(Archive(), name="archive")
    content = ledger(vouchers=1)
    assert _import(engine, pm, company, tmp_path, content)["status"] == "succeeded"
    assert kept == [("fake", company, content.encode())]


def test_ekonomi_fetched_failure_is_a_warning(engine, pm, company, tmp_path):
    class Broken:
        @hookimpl
        def ekonomi_fetched(self, source, ctx, raw):
            raise OSError("disk full")

    pm.register(Broken(), name="broken-archive")
    result = _import(engine, pm, company, tmp_path, ledger(vouchers=1))
    assert result["status"] == "succeeded"
    assert [i["code"] for i in result["issues"]] == ["import.observer_failed"]


def test_ekonomi_checks_adds_a_rule(engine, pm, company, tmp_path):
    class NoCash(RecordCheck):
        def __init__(self):
            self.seen = 0

        def check(self, record):
            if type(record) is Voucher:
                self.seen += 1
                if any(r.account == "1910" and r.amount > 150 for r in record.rows):
                    return [Issue(Severity.ERROR, "house.cash_limit", "Cash over 150", record.line)]
            return ()

        def finish(self):
            return [Issue(Severity.INFO, "house.summary", f"{self.seen} vouchers looked at")]

    class HouseRules:
        @hookimpl
        def ekonomi_checks(self, source, ctx):
            return [NoCash()]

    pm.register(HouseRules(), name="house")
    ok = _import(engine, pm, company, tmp_path, ledger(vouchers=2))
    assert ok["status"] == "succeeded"
    assert any(i["code"] == "house.summary" and "2 vouchers" in i["message"] for i in ok["issues"])
    bad = _import(engine, pm, company, tmp_path, ledger(vouchers=1) + "voucher A 7 2023-06-01 Big\nrow 1910 200.00\nrow 3010 -200.00\n")
    assert bad["status"] == "failed"
    assert any(i["code"] == "house.cash_limit" for i in bad["issues"])


def test_ekonomi_event_sees_the_life_of_imports(engine, pm, company, tmp_path):
    events = []

    class Observer:
        @hookimpl
        def ekonomi_event(self, event):
            events.append((event.kind, event.company, event.import_id))

    pm.register(Observer(), name="observer")
    ok = _import(engine, pm, company, tmp_path, ledger(vouchers=1))
    kinds = [k for k, _, _ in events]
    assert kinds[0] == "import_started" and kinds[-1] == "import_finished"
    assert "import_progress" in kinds
    assert all(c == company and i == ok["import_id"] for _, c, i in events)
    events.clear()
    _import(engine, pm, company, tmp_path, "boom\n")
    assert [k for k, _, _ in events][-1] == "import_failed"


def test_ekonomi_commands_adds_to_the_cli(pm):
    from ekonomi.core import cli as cli_module

    class Extra:
        @hookimpl
        def ekonomi_commands(self, cli):
            @cli.command("hello-plugin")
            def hello() -> None:
                click.echo("hello from a plugin")

    pm.register(Extra(), name="extra")
    cli_module._add_plugin_commands()
    res = CliRunner().invoke(cli_module.cli, ["hello-plugin"])
    assert res.exit_code == 0 and res.output == "hello from a plugin\n"
    cli_module.cli.commands.pop("hello-plugin")
