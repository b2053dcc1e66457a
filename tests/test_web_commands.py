"""The web app's CLI commands."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from ekonomi.core.cli import cli
from ekonomi.web.commands import register

register(cli)


def run(database_url, *args, input=None):
    return CliRunner().invoke(cli, ["--database-url", database_url, *args], input=input, catch_exceptions=False)


def test_bureaus_users_and_tokens(database_url, monkeypatch):
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    assert run(database_url, "bureaus", "add", "Byrån").exit_code == 0
    again = run(database_url, "bureaus", "add", "Byrån")
    assert again.exit_code == 1 and "already exists" in again.output
    assert run(database_url, "companies", "add", "5566778899", "Exempel AB", "--bureau", "Byrån").exit_code == 0
    r = run(database_url, "users", "add", "a@b.se", "--password", "langt-losen", "--role", "bureau-admin", "--bureau", "Byrån")
    assert r.exit_code == 0, r.output
    r = run(database_url, "users", "add", "k@b.se", "--password", "langt-losen", "--role", "client", "--company", "556677-8899", "--can-import-sie4")
    assert r.exit_code == 0, r.output
    assert run(database_url, "users", "add", "x@b.se", "--password", "kort", "--role", "client", "--company", "556677-8899").exit_code == 1
    assert run(database_url, "users", "add", "y@b.se", "--password", "langt-losen", "--role", "consultant").exit_code == 1
    bad_role = run(database_url, "users", "add", "z@b.se", "--password", "langt-losen", "--role", "king")
    assert bad_role.exit_code == 2
    token = run(database_url, "tokens", "create", "k@b.se")
    assert token.exit_code == 0
    assert token.output.strip().startswith("ek_") and len(token.output.strip().splitlines()) == 1
    from sqlmodel import Session

    from ekonomi.core.books.db import make_engine
    from ekonomi.core.books.rules import get_company, rights
    from ekonomi.core.books.users import get_user, user_for_token

    engine = make_engine(database_url)
    with Session(engine) as s:
        assert user_for_token(s, token.output.strip()).email == "k@b.se"
        assert rights(s, get_user(s, "k@b.se"), get_company(s, "556677-8899"))["import_files"] is True
    engine.dispose()
    assert run(database_url, "tokens", "create", "nobody@b.se").exit_code == 1


def test_demo_is_idempotent_and_imports_through_sie4(database_url, pm, monkeypatch):
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    first = run(database_url, "demo")
    assert first.exit_code == 0, first.output
    assert "imported 59 vouchers" in first.output and "admin@demo.se" in first.output
    second = run(database_url, "demo")
    assert second.exit_code == 0 and "already exists" in second.output
    from sqlalchemy import text

    from ekonomi.core.books.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM company")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM import_run WHERE status = 'succeeded' AND source = 'sie4'")).scalar_one() == 2
    engine.dispose()


def test_demo_sie_file_is_clean(tmp_path):
    from ekonomi.web.demo import COMPANIES, write_sie

    path = write_sie(COMPANIES[0], tmp_path)
    raw = path.read_bytes()
    assert "Mölndal".encode("cp437") in raw
    out = subprocess.run([sys.executable, "-m", "ekonomi.core.cli", "sie", "check", str(path), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["issues"] == [] and data["variant"] == "4E"
    assert data["counts"]["vouchers"] == 59 and data["checksum"] == "ok"


def test_serve_refuses_a_database_without_schema(tmp_path):
    r = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "serve"])
    assert r.exit_code == 1 and "ekonomi init" in r.output


def test_web_commands_module_stays_light():
    code = "import sys, ekonomi.web.commands; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
