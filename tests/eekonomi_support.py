"""The eEkonomi source against its emulator, over real HTTP: a company
connected through the real OAuth2 code flow, and syncs through the real
import pipeline.  The plugin sees only base URLs and client credentials."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlmodel import Session

from ekonomi.core.books import config, rules
from ekonomi.core.books.companies import add_company
from ekonomi.core.engine.pipeline import ImportRequest, run_import

ORGNR = "559000-0001"  # the emulator's demo company
CLIENT_ID, CLIENT_SECRET = "ekonomi-local", "ekonomi-local-secret"
REDIRECT = "http://127.0.0.1:9/eekonomi/callback"


@pytest.fixture(scope="module")
def emulator() -> Any:
    """The emulator with its default seed, on a thread, for a test module."""
    from ekonomi.plugins.eekonomi.emulator import create_app, running

    with running(create_app()) as server:
        yield server


def point_at(monkeypatch: pytest.MonkeyPatch, emulator: Any) -> None:
    """The plugin's settings, as a deployment sets them, aimed at the emulator."""
    monkeypatch.setenv("EKONOMI_EEKONOMI_API_BASE", emulator.api_base)
    monkeypatch.setenv("EKONOMI_EEKONOMI_IDENTITY_BASE", emulator.identity_base)
    monkeypatch.setenv("EKONOMI_EEKONOMI_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EKONOMI_EEKONOMI_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("EKONOMI_EEKONOMI_REDIRECT_URI", REDIRECT)


def register(pm: Any) -> None:
    from ekonomi.plugins.eekonomi import source

    pm.register(source, name="eekonomi", builtin=True)


def authorization_code(scope: str | None = None, company_id: str | None = None) -> str:
    """What a person's consent at the identity server gives the callback
    (``company_id``: the emulator's company to choose, where it has several)."""
    from ekonomi.plugins.eekonomi.oauth import authorize_url
    from ekonomi.plugins.eekonomi.settings import Settings

    settings = Settings.from_env()
    url = authorize_url(settings, "test-state") if scope is None else authorize_url(settings, "test-state", scope=scope)
    url += f"&emulator_company={company_id}" if company_id else ""
    resp = requests.get(url, allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text
    return parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]


def connect(
    engine: Any, pm: Any, orgnr: str = ORGNR, name: str = "Demo eEkonomi AB", scope: str | None = None,
    company_id: str | None = None,
) -> None:
    """Add the company, make eEkonomi its source and store its tokens."""
    from ekonomi.plugins.eekonomi.connection import token_values
    from ekonomi.plugins.eekonomi.oauth import exchange_code
    from ekonomi.plugins.eekonomi.settings import Settings

    tokens = exchange_code(Settings.from_env(), authorization_code(scope, company_id))
    with Session(engine) as session:
        company = add_company(session, orgnr, name)
        session.commit()
        rules.switch_source(session, pm, company, "eekonomi", actor="test")
        config.configure(session, pm, company, "eekonomi", token_values(tokens), actor="test")
        session.commit()


def sync(engine: Any, pm: Any, orgnr: str = ORGNR, trigger: str = "cli") -> dict[str, Any]:
    return run_import(engine, pm, ImportRequest(company=orgnr, source="eekonomi", trigger=trigger))


def control(emulator: Any, what: str, body: Any = None, method: str = "post") -> Any:
    resp = requests.request(method, f"{emulator.base}/_emulator/{what}", json=body, timeout=60)
    assert resp.status_code < 300, resp.text
    return resp.json() if resp.content else None


def api_token(emulator: Any) -> str:
    """An access token of the test's own, to read the emulator as the plugin would."""
    resp = requests.post(
        f"{emulator.identity_base}/connect/token",
        data={"grant_type": "authorization_code", "code": authorization_code(), "redirect_uri": REDIRECT},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def api_list(emulator: Any, token: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, money as Decimal."""
    import json
    from decimal import Decimal

    items: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = requests.get(
            f"{emulator.api_base}{path}", params={"$page": page, "$pagesize": 1000, **params},
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        )  # fmt: skip
        assert resp.status_code == 200, resp.text
        body = json.loads(resp.text, parse_float=Decimal)
        items += body["Data"]
        if page >= body["Meta"]["TotalNumberOfPages"]:
            return items
        page += 1


def api_requests(emulator: Any) -> list[dict[str, Any]]:
    return list(control(emulator, "requests", method="get"))
