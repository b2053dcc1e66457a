"""Fixtures and helpers for the web tests (Flask tutorial pattern: ``app``
from ``create_app({...})``, ``client``, ``runner``, a login helper).

Test modules import the fixtures they use from here.  The people:

* bureau "Byrå Ett" keeps OWN; "Byrå Två" keeps OTHER
* admin@ett.se (bureau-admin) and konsult@ett.se (consultant) of Byrå Ett
* kund-full@own.se: client of OWN with every right
* kund-import@own.se: client of OWN who may import SIE4 files (not settings)
* kund-se@own.se: client of OWN who may only see reports
* admin@tva.se: bureau-admin of Byrå Två (reaches OTHER, never OWN)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields, validate
from sqlmodel import Session

from ekonomi.core import Company, FiscalYear, Source, Voucher, VoucherRow, hookimpl

OWN = "556677-8899"
OTHER = "559911-2233"
PASSWORD = "hemligt-lösen-1"

ROLES = {
    "bureau-admin": "admin@ett.se",
    "consultant": "konsult@ett.se",
    "client-full": "kund-full@own.se",
    "client-import": "kund-import@own.se",
    "client-view": "kund-se@own.se",
    "other-bureau": "admin@tva.se",
}


class FakeIntegrationConfig(Schema):
    """Like eEkonomi's: which company, and a token (secret).  Nothing is
    required, so syncs run unconfigured."""

    company_key = fields.String(metadata={"label": "Företagsnyckel"})
    api_token = fields.String(validate=validate.Length(min=4), metadata={"label": "API-nyckel", "secret": True})
    days_back = fields.Integer(metadata={"label": "Antal dagar bakåt"})


class FakeIntegration(Source):
    """An integration source for the tests: "fetches" one voucher, texted
    with its configured company key (if any), so tests see ``ctx.config``."""

    name = "fakeint"
    title = "Fake eEkonomi"
    version = "0.1"
    kind = "integration"
    provides = frozenset({"company", "fiscal_years", "vouchers"})
    mode = "replace"
    config_schema = FakeIntegrationConfig

    def fetch(self, ctx: Any) -> None:
        return None

    def normalize(self, raw: Any, ctx: Any) -> Iterator[Any]:
        yield Company(name=None, orgnr=ctx.company_orgnr)
        yield FiscalYear(date(2024, 1, 1), date(2024, 12, 31), 0)
        yield Voucher(
            "A",
            "1",
            date(2024, 3, 1),
            f"Synkad {ctx.config.get('company_key', '')}".strip(),
            rows=(VoucherRow("1930", Decimal("500.00")), VoucherRow("3010", Decimal("-500.00"))),
        )


class FakeIntegrationPlugin:
    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [FakeIntegration()]


def make_people(engine: Any) -> None:
    from ekonomi.core.books.companies import add_bureau, add_company
    from ekonomi.core.books.users import add_user

    with Session(engine) as s:
        ett = add_bureau(s, "Byrå Ett")
        tva = add_bureau(s, "Byrå Två")
        own = add_company(s, OWN, "Exempel AB", "Byrå Ett")
        add_company(s, OTHER, "Annat AB", "Byrå Två")
        add_user(s, ROLES["bureau-admin"], PASSWORD, "bureau-admin", bureau=ett)
        add_user(s, ROLES["consultant"], PASSWORD, "consultant", bureau=ett)
        add_user(s, ROLES["other-bureau"], PASSWORD, "bureau-admin", bureau=tva)
        add_user(s, ROLES["client-full"], PASSWORD, "client", company=own, can_import_files=True, can_open_settings=True)
        add_user(s, ROLES["client-import"], PASSWORD, "client", company=own, can_import_files=True)
        add_user(s, ROLES["client-view"], PASSWORD, "client", company=own)
        s.commit()


@pytest.fixture
def app(database_url: str, pm: Any, engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from ekonomi.web import create_app

    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")  # fast in tests
    pm.register(FakeIntegrationPlugin(), name="fakeint", builtin=True)
    make_people(engine)
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "PLUGIN_MANAGER": pm,
            "WTF_CSRF_ENABLED": False,
            "MAX_UPLOAD_MB": 1,
            "SYNC_ON_LOGIN": False,
        }
    )
    yield application
    runner = application.extensions["ekonomi"].runner
    runner.shutdown()
    application.extensions["ekonomi"].engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


def login(client: Any, role_or_email: str, password: str = PASSWORD) -> Any:
    email = ROLES.get(role_or_email, role_or_email)
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"login as {email} failed: {response.status_code}"
    return response


def token_for(app: Any, role_or_email: str) -> str:
    from ekonomi.core.books.users import create_token, get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        token = create_token(s, get_user(s, ROLES.get(role_or_email, role_or_email)))
        s.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(app: Any, import_id: int, timeout: float = 30) -> dict[str, Any]:
    """Wait for a background import; returns its result object."""
    from ekonomi.core.engine.runlog import load

    services = app.extensions["ekonomi"]
    services.runner.wait(import_id, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        result = load(services.engine, import_id).as_json()
        if result["status"] in ("succeeded", "failed", "previewed") or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def fake_file(content: str | bytes, name: str = "bok.fake") -> tuple[Any, str]:
    import io

    data = content.encode("utf-8") if isinstance(content, str) else content
    return (io.BytesIO(data), name)


def company_id(app: Any, orgnr: str) -> int:
    from ekonomi.core.books.rules import get_company

    with Session(app.extensions["ekonomi"].engine) as s:
        return get_company(s, orgnr).id  # type: ignore[return-value]


@pytest.fixture
def fakesync(app: Any, pm: Any) -> Any:
    """tests.fakes.FakeSync registered, enabled for OWN and OWN's active
    source; the test runs syncs with ``sync``."""
    from tests.fakes import FakeSync

    return use_fakesync(app, pm, FakeSync())


def use_fakesync(app: Any, pm: Any, source: Any) -> Any:
    """``source`` (a FakeSync) registered, enabled for OWN and OWN's active source."""
    from ekonomi.core.books import rules
    from tests.fakes import FakeSyncPlugin

    pm.register(FakeSyncPlugin(source), name="fakesync", builtin=True)
    with Session(app.extensions["ekonomi"].engine) as s:
        company = rules.get_company(s, OWN)
        rules.set_source_enabled(s, company, "fakesync", True)
        rules.switch_source(s, pm, company, "fakesync", actor="test")
        s.commit()
    return source


def sync(app: Any, orgnr: str = OWN, started_by: str = "user:kund-se@own.se") -> dict[str, Any]:
    """A sync of the company from its active integration through the real
    pipeline, in the foreground; its result object."""
    from ekonomi.core.engine.pipeline import ImportRequest, run_import

    services = app.extensions["ekonomi"]
    with Session(services.engine) as s:
        from ekonomi.core.books.rules import get_company

        source = get_company(s, orgnr).active_source
    return run_import(services.engine, services.pm, ImportRequest(company=orgnr, source=source, started_by=started_by))
