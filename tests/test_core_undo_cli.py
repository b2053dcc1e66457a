"""``ekonomi imports undo``: asks, undoes, prints one JSON object; with
nothing to undo a failed object with the ``conflict`` code and exit 1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ekonomi.core import cli as cli_module
from tests.fakes import ledger


@pytest.fixture
def run(database_url, pm):
    cli_module._add_plugin_commands()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli_module.cli, ["--database-url", database_url, *args], input=input, catch_exceptions=False)

    return invoke


def trial_balance(run, year: str) -> list:
    out = run("report", "trial-balance", "--company", "556677-8899", "--year", year, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["accounts"]


def test_undo_asks_then_restores_and_refuses_a_second_time(run, tmp_path):
    run("companies", "add", "556677-8899", "Exempel AB")
    first, second = tmp_path / "a.fake", tmp_path / "b.fake"
    first.write_text(ledger(year=2023, vouchers=2), encoding="utf-8")
    second.write_text(ledger(year=2023, vouchers=5), encoding="utf-8")
    assert run("import", str(first), "--company", "556677-8899").exit_code == 0
    before = trial_balance(run, "2023-01-01")
    assert run("import", str(second), "--company", "556677-8899").exit_code == 0
    assert trial_balance(run, "2023-01-01") != before

    declined = run("imports", "undo", "--company", "556677-8899", input="n\n")
    assert declined.exit_code == 1
    assert "b.fake" in declined.output and "2023-01-01" in declined.output and "5 → 2 vouchers" in declined.output
    done = run("imports", "undo", "--company", "556677-8899", "--yes", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["status"] == "succeeded" and data["file"] == "b.fake"
    assert data["fiscal_years"] == [
        {"start": "2023-01-01", "end": "2023-12-31", "action": "restored", "vouchers_now": 5, "vouchers_after": 2}
    ]
    assert trial_balance(run, "2023-01-01") == before

    again = run("imports", "undo", "--company", "556677-8899", "--yes", "--json")
    assert again.exit_code == 1
    refused = json.loads(again.output)
    assert refused["status"] == "failed"
    assert [i["code"] for i in refused["issues"]] == ["conflict"]
    assert "already undone" in refused["issues"][0]["message"]
