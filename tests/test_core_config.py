"""A company's configuration of a source: validated, stored with its secrets
encrypted, rotated keys, masked everywhere, and handed to the import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from marshmallow import Schema, fields, validate
from sqlalchemy import text
from sqlmodel import Session

from ekonomi.core import ConfigError, ImportContext, Record, Source, hookimpl
from ekonomi.core.books import config
from ekonomi.core.books.encryption import Keyring, derive_key
from ekonomi.core.books.rules import get_company
from tests.fakes import FakeLedger, ledger

SECRET = "hemlig-token-1234"


class LedgerConfig(Schema):
    series = fields.String(required=True, metadata={"label": "Verifikationsserie"})
    api_token = fields.String(
        required=True, validate=validate.Length(min=4), metadata={"label": "API-nyckel", "secret": True}
    )
    batch = fields.Integer(load_default=100, metadata={"label": "Antal per hämtning"})


class ConfiguredLedger(FakeLedger):
    """The fake ledger, with a configuration it remembers seeing."""

    name = "fakecfg"
    title = "Fake ledger with settings"
    config_schema = LedgerConfig
    seen: list[dict[str, Any]] = []

    def identify(self, head: bytes, filename: str) -> bool:
        return False  # chosen by name, never by sniffing

    def normalize(self, raw: Any, ctx: ImportContext) -> Iterator[Record]:
        type(self).seen.append(dict(ctx.config))
        yield from super().normalize(raw, ctx)


class ConfiguredPlugin:
    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [ConfiguredLedger()]


@pytest.fixture
def cpm(pm, monkeypatch):
    pm.register(ConfiguredPlugin(), name="fakecfg", builtin=True)
    ConfiguredLedger.seen = []
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", KEY_A.decode())
    return pm


KEY_A, KEY_B = Fernet.generate_key(), Fernet.generate_key()


def configure(engine, pm, orgnr: str, values: dict[str, Any], source: str = "fakecfg") -> dict[str, Any]:
    with Session(engine) as s:
        view, _event = config.configure(s, pm, get_company(s, orgnr), source, values, actor="test")
        s.commit()
    return view


def load(engine, pm, orgnr: str, keys: Keyring | None = None) -> dict[str, Any]:
    with Session(engine) as s:
        company_id = get_company(s, orgnr).id
        return config.load(s, company_id, pm.source("fakecfg"), keys)  # type: ignore[arg-type]


def raw_column(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT config FROM company_source WHERE source = 'fakecfg'")).scalar_one()


def test_round_trip_and_the_secret_is_not_stored_in_plain_text(engine, cpm, company):
    view = configure(engine, cpm, company, {"series": "B", "api_token": SECRET, "batch": "50"})
    assert view["values"] == {"series": "B", "batch": 50}
    assert view["secrets"] == {"api_token": {"set": True}}
    assert SECRET not in json.dumps(view)
    assert load(engine, cpm, company) == {"series": "B", "api_token": SECRET, "batch": 50}
    raw = raw_column(engine)
    assert SECRET not in raw and "hemlig" not in raw
    token = json.loads(raw)["secrets"]["api_token"]
    assert json.loads(Fernet(KEY_A).decrypt(token.encode())) == SECRET


def test_an_empty_secret_keeps_the_stored_one_and_an_empty_plain_field_clears(engine, cpm, company):
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET, "batch": "50"})
    configure(engine, cpm, company, {"series": "C", "api_token": "", "batch": ""})
    assert load(engine, cpm, company) == {"series": "C", "api_token": SECRET, "batch": 100}
    configure(engine, cpm, company, {"api_token": "en-ny-token"})  # a field left out keeps its value
    assert load(engine, cpm, company) == {"series": "C", "api_token": "en-ny-token", "batch": 100}


def test_validation_errors_name_the_field(engine, cpm, company):
    with pytest.raises(ConfigError) as missing:
        configure(engine, cpm, company, {"series": "B"})
    assert "api_token" in missing.value.message and set(missing.value.fields) == {"api_token"}
    with pytest.raises(ConfigError) as wrong:
        configure(engine, cpm, company, {"series": "B", "api_token": "abc", "batch": "many", "colour": "red"})
    assert set(wrong.value.fields) == {"api_token", "batch", "colour"}
    for name in ("api_token", "batch", "colour"):
        assert name in wrong.value.message
    assert "abc" not in wrong.value.message  # a rejected secret is not echoed either


def test_a_source_without_a_schema_takes_no_configuration(engine, cpm, company):
    with pytest.raises(ConfigError, match="takes no configuration"):
        configure(engine, cpm, company, {"x": "1"}, source="fake")


def test_rotation_old_key_behind_a_new_one_still_decrypts_and_resaving_uses_the_new(engine, cpm, company, monkeypatch):
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", f"{KEY_B.decode()}, {KEY_A.decode()}")
    assert load(engine, cpm, company)["api_token"] == SECRET
    configure(engine, cpm, company, {"series": "D"})  # the secret untouched, but re-encrypted
    token = json.loads(raw_column(engine))["secrets"]["api_token"]
    assert json.loads(Fernet(KEY_B).decrypt(token.encode())) == SECRET
    assert load(engine, cpm, company, Keyring([KEY_B]))["api_token"] == SECRET
    with pytest.raises(ConfigError):
        load(engine, cpm, company, Keyring([KEY_A]))


def test_a_wrong_key_is_a_clear_error(engine, cpm, company, monkeypatch):
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", KEY_B.decode())
    with pytest.raises(ConfigError) as exc:
        load(engine, cpm, company)
    assert "api_token" in exc.value.message and "cannot be decrypted" in exc.value.message
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", "not-a-key")
    with pytest.raises(ConfigError, match="key 1 is not a Fernet key"):
        load(engine, cpm, company)


def test_without_secret_keys_one_is_derived_from_the_app_secret_key(engine, cpm, company, monkeypatch):
    monkeypatch.delenv("EKONOMI_SECRET_KEYS")
    monkeypatch.setenv("EKONOMI_SECRET_KEY", "appens-hemliga-nyckel")
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    assert load(engine, cpm, company, Keyring([derive_key("appens-hemliga-nyckel")]))["api_token"] == SECRET
    monkeypatch.setenv("EKONOMI_SECRET_KEY", "en-annan-nyckel")
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        load(engine, cpm, company)


# ---------------------------------------------------------------------------
# the import gets it
# ---------------------------------------------------------------------------


def _import(engine, pm, company, tmp_path) -> dict[str, Any]:
    from ekonomi.core.context import FileInput
    from ekonomi.core.engine.pipeline import ImportRequest, run_import

    path = tmp_path / "bok.fake"
    path.write_text(ledger(), encoding="utf-8")
    return run_import(engine, pm, ImportRequest(company, FileInput(path, path.name), source="fakecfg"))


def test_the_import_receives_the_decrypted_configuration(engine, cpm, company, tmp_path):
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    result = _import(engine, cpm, company, tmp_path)
    assert result["status"] == "succeeded", result["issues"]
    assert ConfiguredLedger.seen == [{"series": "B", "api_token": SECRET, "batch": 100}]


def test_an_import_without_a_valid_configuration_fails_clearly(engine, cpm, company, tmp_path, monkeypatch):
    result = _import(engine, cpm, company, tmp_path)
    assert result["status"] == "failed" and ConfiguredLedger.seen == []
    assert "api_token" in result["issues"][0]["message"] and "not valid" in result["issues"][0]["message"]
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", KEY_B.decode())
    result = _import(engine, cpm, company, tmp_path)
    assert result["status"] == "failed" and "cannot be decrypted" in result["issues"][0]["message"]
    assert "Traceback" not in json.dumps(result) and SECRET not in json.dumps(result)


# ---------------------------------------------------------------------------
# ekonomi companies configure
# ---------------------------------------------------------------------------


@pytest.fixture
def run(database_url, cpm):
    from ekonomi.core import cli as cli_module

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli_module.cli, ["--database-url", database_url, *args], catch_exceptions=False)

    return invoke


def test_cli_configure_masks_secrets(run, company, engine, cpm):
    done = run("companies", "configure", company, "fakecfg", "--set", f"api_token={SECRET}", "--set", "series=B", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["status"] == "succeeded" and data["secrets"] == {"api_token": {"set": True}}
    assert data["values"] == {"series": "B", "batch": 100}
    assert SECRET not in done.output
    shown = run("companies", "configure", company, "fakecfg")  # no --set: shows it
    assert shown.exit_code == 0 and "api_token: ••••" in shown.output and SECRET not in shown.output
    assert load(engine, cpm, company)["api_token"] == SECRET


def test_cli_configure_refusals_and_usage(run, company):
    bad = run("companies", "configure", company, "fakecfg", "--set", "series=B", "--json")
    assert bad.exit_code == 1
    issue = json.loads(bad.output)["issues"][0]
    assert issue["code"] == "bad_request" and "api_token" in issue["message"]
    assert run("companies", "configure", "999999-9999", "fakecfg").exit_code == 1
    assert run("companies", "configure", company, "nosuch", "--set", "a=b").exit_code == 1
    usage = run("companies", "configure", company, "fakecfg", "--set", "no-equals-sign")
    assert usage.exit_code == 2


def test_cli_wrong_key_is_one_line_not_a_traceback(run, company, engine, cpm, monkeypatch):
    configure(engine, cpm, company, {"series": "B", "api_token": SECRET})
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", KEY_B.decode())
    done = run("companies", "configure", company, "fakecfg", "--set", "series=C")
    assert done.exit_code == 1 and "cannot be decrypted" in done.output and "Traceback" not in done.output
