"""``ekonomi sie check``: exit codes, JSON contract, and no database imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ekonomi.plugins.sie4.source import ekonomi_commands, make_group

KEYS = {"sietyp", "variant", "program", "encoding", "checksum", "company", "fiscal_years", "counts", "totals", "issues"}
COUNTS = {"accounts", "vouchers", "rows", "added_rows", "removed_rows", "balances", "period_balances", "objects"}


@pytest.fixture()
def cli() -> click.Group:
    group = click.Group("ekonomi")
    ekonomi_commands(group)
    return group


def _write(tmp_path: Path, text: str, name: str = "f.se", encoding: str = "cp437") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


GOOD = """#FLAGGA 0
#PROGRAM "Test" 1.0
#FORMAT PC8
#GEN 20240101
#SIETYP 4
#ORGNR 556677-8899
#FNAMN "Bolaget AB"
#RAR 0 20230101 20231231
#KONTO 1930 "Bank"
#KONTO 3001 "Försäljning"
#IB 0 1930 100.00
#UB 0 1930 150.00
#RES 0 3001 -50.00
#VER A 1 20230105 "Sälj"
{
#TRANS 1930 {} 50.00
#TRANS 3001 {} -50.00
}
"""


def test_json_contract(cli: click.Group, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["sie", "check", str(_write(tmp_path, GOOD)), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) == KEYS and set(data["counts"]) == COUNTS
    assert data["variant"] == "4E" and data["sietyp"] == 4
    assert data["company"] == {"name": "Bolaget AB", "orgnr": "556677-8899"}
    assert data["fiscal_years"] == [{"index": 0, "start": "2023-01-01", "end": "2023-12-31"}]
    assert data["totals"] == {"debit": "50.00", "credit": "-50.00"}
    assert data["counts"]["accounts"] == 2 and data["counts"]["rows"] == 2
    assert data["issues"] == []


def test_error_exit_one_and_text_report(cli: click.Group, tmp_path: Path) -> None:
    bad = GOOD.replace("#TRANS 3001 {} -50.00", "#TRANS 3001 {} -40.00")
    r = CliRunner().invoke(cli, ["sie", "check", str(_write(tmp_path, bad))])
    assert r.exit_code == 1
    assert "NOT importable" in r.output and "ledger.unbalanced" in r.output


def test_missing_file_is_usage_error(cli: click.Group, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["sie", "check", str(tmp_path / "nope.se")])
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 if hasattr(r, "stderr") else True


def test_not_sie_is_refused_with_what_it_is(cli: click.Group, tmp_path: Path) -> None:
    p = _write(tmp_path, "<html><body>404 Not Found</body></html>")
    r = CliRunner().invoke(cli, ["sie", "check", str(p), "--json"])
    assert r.exit_code == 1
    issue = json.loads(r.output)["issues"][0]
    assert issue["code"] == "sie.not_sie" and "HTML" in issue["message"]


def test_check_imports_no_database_stack(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD)
    code = (
        "import sys, json\n"
        "from ekonomi.plugins.sie4.source import make_group\n"
        f"try:\n    make_group()(['check', {str(p)!r}, '--json'], standalone_mode=True)\n"
        "except SystemExit as e:\n    rc = e.code\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'flask') if m in sys.modules]\n"
        "sys.stderr.write(json.dumps({'rc': rc, 'heavy': heavy}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(out.stderr.strip().splitlines()[-1])
    assert result == {"rc": 0, "heavy": []}
    assert json.loads(out.stdout)["variant"] == "4E"


def test_group_is_a_click_group() -> None:
    assert isinstance(make_group(), click.Group)
    assert "check" in make_group().commands
