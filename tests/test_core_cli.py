"""The ``ekonomi`` command line: JSON shapes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ekonomi.core import cli as cli_module
from tests.fakes import ledger

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(database_url, pm):
    """Invoke the CLI in-process against the test database."""
    cli_module._add_plugin_commands()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        result = runner.invoke(cli_module.cli, ["--database-url", database_url, *args], input=input, catch_exceptions=False)
        return result

    return invoke


def ekonomi(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed console script, as other tools call it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ekonomi.core.cli", *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )


def test_companies_add_and_list_json(run):
    assert run("companies", "add", "5566778899", "Exempel AB").exit_code == 0
    listed = run("companies", "list", "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.output)
    assert isinstance(data, list)
    assert data[0]["orgnr"] == "556677-8899"
    assert data[0]["name"] == "Exempel AB"
    assert data[0]["active_source"] == "other"
    dup = run("companies", "add", "556677-8899", "Again")
    assert dup.exit_code == 1
    bad = run("companies", "add", "12345", "Nope")
    assert bad.exit_code == 1 and "organisation number" in bad.output


def test_import_json_log_and_trial_balance(run, tmp_path):
    run("companies", "add", "556677-8899", "Exempel AB")
    f = tmp_path / "a.fake"
    f.write_text(ledger(vouchers=2), encoding="utf-8")
    res = run("import", str(f), "--company", "5566778899", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    for key in ("import_id", "status", "source", "fiscal_years", "counts", "issues", "duration_s"):
        assert key in data
    assert data["status"] == "succeeded" and data["counts"]["vouchers"] == 2

    bad = tmp_path / "b.fake"
    bad.write_text(ledger(vouchers=1) + "voucher A 5 2023-05-05 X\nrow 1910 1.00\n", encoding="utf-8")
    res2 = run("import", str(bad), "--company", "556677-8899", "--json")
    assert res2.exit_code == 1
    failed = json.loads(res2.output)
    assert failed["status"] == "failed"
    assert {"severity", "code", "message", "line"} <= set(failed["issues"][0])

    log = json.loads(run("log", "--company", "556677-8899", "--json").output)
    assert [e["import_id"] for e in log] == [failed["import_id"], data["import_id"]]  # newest first
    assert log[0]["status"] == "failed"

    tb = run("report", "trial-balance", "--company", "556677-8899", "--year", "2023-01-01", "--json")
    assert tb.exit_code == 0
    tbd = json.loads(tb.output)
    assert tbd["fiscal_year"] == {"start": "2023-01-01", "end": "2023-12-31"}
    rows = {a["account"]: a for a in tbd["accounts"]}
    assert rows["1910"] == {
        "account": "1910",
        "name": "Kassa",
        "opening": "1000.00",
        "movement": "200.00",
        "closing": "1200.00",
        "stated_closing": None,
    }
    assert run("report", "trial-balance", "--company", "556677-8899", "--year", "20230101", "--json").exit_code == 0
    missing = run("report", "trial-balance", "--company", "556677-8899", "--year", "2019-01-01", "--json")
    assert missing.exit_code == 1 and json.loads(missing.output)["issues"][0]["code"] == "not_found"


def test_import_refusals_print_json_and_exit_1(run, tmp_path):
    f = tmp_path / "a.fake"
    f.write_text(ledger(), encoding="utf-8")
    res = run("import", str(f), "--company", "556000-0000", "--json")
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["status"] == "failed" and data["issues"][0]["code"] == "not_found"


def test_usage_errors_exit_2(run, tmp_path):
    assert run("import", str(tmp_path / "missing.se"), "--company", "x").exit_code == 2
    assert run("import").exit_code == 2
    assert run("report", "trial-balance", "--company", "x", "--year", "2023-13-45").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_delete_latest_asks_and_deletes(run, tmp_path):
    run("companies", "add", "556677-8899", "Exempel AB")
    for year in (2022, 2023):
        f = tmp_path / f"{year}.fake"
        f.write_text(ledger(year=year, vouchers=2), encoding="utf-8")
        assert run("import", str(f), "--company", "556677-8899").exit_code == 0
    declined = run("fiscal-years", "delete-latest", "--company", "556677-8899", input="n\n")
    assert declined.exit_code == 1
    assert "2023-01-01" in declined.output and "2 vouchers" in declined.output
    done = run("fiscal-years", "delete-latest", "--company", "556677-8899", "--yes", "--json")
    assert done.exit_code == 0
    data = json.loads(done.output)
    assert data["fiscal_year"]["start"] == "2023-01-01"
    assert data["deleted"]["vouchers"] == 2
    tb = json.loads(run("report", "trial-balance", "--company", "556677-8899", "--json").output)
    assert tb["fiscal_year"]["start"] == "2022-01-01"


def test_schema_required(tmp_path, pm):
    cli_module._add_plugin_commands()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    res = CliRunner().invoke(cli_module.cli, ["--database-url", url, "companies", "list"])
    assert res.exit_code == 1 and "ekonomi init" in res.output


def test_real_console_script_init_plugins_and_bad_input(tmp_path):
    env = {"EKONOMI_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "EKONOMI_INSTANCE_PATH": str(tmp_path / "inst")}
    init = ekonomi("init", env=env)
    assert init.returncode == 0, init.stderr
    plugins = ekonomi("plugins", "--json", env=env)
    assert plugins.returncode == 0, plugins.stderr
    infos = json.loads(plugins.stdout)
    sie = [p for p in infos if p["name"] == "sie4"]
    assert sie and sie[0]["state"] == "loaded" and sie[0]["kind"] == "file"
    assert set(sie[0]) == {"name", "title", "version", "kind", "plugin", "state", "provides"}
    bad = ekonomi("import", str(tmp_path / "nope.se"), "--company", "1", env=env)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) <= 3


def test_broken_plugin_from_env_is_listed_as_failed(tmp_path):
    env = {
        "EKONOMI_PLUGINS": "tests.no_such_plugin_module,tests.fakes:FakePlugin",
        "PYTHONPATH": str(ROOT),
        "EKONOMI_INSTANCE_PATH": str(tmp_path),
    }
    res = ekonomi("plugins", "--json", env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    infos = {p["name"]: p for p in json.loads(res.stdout)}
    assert infos["fake"]["state"] == "loaded"
    failed = infos["tests.no_such_plugin_module"]
    assert failed["state"] == "failed" and failed["kind"] is None and "No module named" in failed["error"]


def test_companies_list_shows_each_companys_newest_import(run, tmp_path):
    run("companies", "add", "556677-8899", "Exempel AB")
    run("companies", "add", "559911-2233", "Annat AB")
    good, bad = tmp_path / "a.fake", tmp_path / "b.fake"
    good.write_text(ledger(vouchers=1), encoding="utf-8")
    bad.write_text("boom\n", encoding="utf-8")
    run("import", str(good), "--company", "556677-8899", "--json")
    newest = json.loads(run("import", str(bad), "--company", "556677-8899", "--json").output)
    listed = {c["orgnr"]: c["last_import"] for c in json.loads(run("companies", "list", "--json").output)}
    assert listed["556677-8899"]["import_id"] == newest["import_id"]
    assert listed["556677-8899"]["status"] == "failed" and listed["556677-8899"]["file"] == "b.fake"
    assert listed["559911-2233"] is None


def test_import_prints_its_json_when_the_database_is_gone(run, tmp_path, monkeypatch):
    """The database restarting mid-import: no traceback, the JSON object still comes."""
    from sqlalchemy.exc import OperationalError

    from ekonomi.core.engine import pipeline

    def lost(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(pipeline, "run_import", lost)
    f = tmp_path / "a.fake"
    f.write_text(ledger(), encoding="utf-8")
    res = run("import", str(f), "--company", "556677-8899", "--json")
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["status"] == "failed"
    assert data["issues"][0]["code"] == "import.crashed" and "closed the connection" in data["issues"][0]["message"]


def test_writing_a_failure_is_tried_again_on_a_fresh_connection(engine, company, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from ekonomi.core.books import models as m
    from ekonomi.core.books.rules import get_company
    from ekonomi.core.engine import runlog

    with Session(engine) as s:
        run = m.ImportRun(company_id=get_company(s, company).id, source="fake", status="running", started_by="test")
        s.add(run)
        s.commit()
        rid = run.id
    real, calls = runlog.finish, []

    def flaky(conn, *args):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE import_run", {}, Exception("terminating connection due to administrator command"))
        real(conn, *args)

    monkeypatch.setattr(runlog, "finish", flaky)
    outcome = runlog.Outcome("failed", 0.0, m.utcnow(), error="the database went away")
    runlog.finish_failed(engine, rid, outcome, runlog.IssueLog(None))
    assert len(calls) == 2
    assert runlog.load(engine, rid).as_json()["status"] == "failed"
