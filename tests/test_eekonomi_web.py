"""Connecting a company to eEkonomi from its settings page: the plugin's own
routes (through the core's WebHost), the OAuth2 code flow against the
emulator, tokens kept encrypted, and what the pages then show and do."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import Session

from tests import eekonomi_support as es
from tests.eekonomi_support import emulator  # noqa: F401
from tests.web_support import OWN, bearer, client, login, token_for, wait_for  # noqa: F401
from tests.web_support import app as web_app  # noqa: F401

CONNECT = f"/companies/{es.ORGNR}/eekonomi/connect"


@pytest.fixture
def app(emulator, pm, engine, monkeypatch, request):
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", Fernet.generate_key().decode())
    es.control(emulator, "seed", {"generate": {"random_seed": 11, "vouchers": 700}})
    es.point_at(monkeypatch, emulator)
    es.register(pm)
    application = request.getfixturevalue("web_app")
    from ekonomi.core.books.companies import add_company

    with Session(engine) as session:
        add_company(session, es.ORGNR, "Demo eEkonomi AB", "Byrå Ett")
        session.commit()
    return application


def consent(location: str) -> str:
    """The identity server's answer to a person's consent: the callback URL."""
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def raw_config(app) -> str:
    with app.extensions["ekonomi"].engine.connect() as conn:
        return str(conn.execute(text("SELECT config FROM company_source WHERE source = 'eekonomi'")).scalar())


def connected(app, client, orgnr: str = es.ORGNR) -> Any:
    login(client, "bureau-admin")
    start = client.get(f"/companies/{orgnr}/eekonomi/connect")
    assert start.status_code == 302
    return client.get(consent(start.headers["Location"]))  # the browser comes back with its cookie


def test_connect_runs_the_code_flow_and_keeps_the_tokens_encrypted(app, client, emulator):
    login(client, "bureau-admin")
    start = client.get(CONNECT)
    assert start.status_code == 302
    where = urlsplit(start.headers["Location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == f"{emulator.identity_base}/connect/authorize"
    query = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert query["client_id"] == es.CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == es.REDIRECT
    assert query["scope"].split() == ["ea:api", "offline_access", "ea:accounting_readonly", "ea:sales_readonly", "ea:purchase_readonly"]
    assert query["state"].startswith(f"{es.ORGNR}.") and "forceselectcompany:true" in query["acr_values"]

    callback = consent(start.headers["Location"])
    done = app.test_client().get(callback)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/companies/{es.ORGNR}/settings/report")
    raw = raw_config(app)
    assert '"refresh_token"' in raw and "connected_at" in raw
    stored = es.api_requests(emulator)
    assert any(r["path"] == "/connect/token" and r["status"] == 200 for r in stored)
    page = client.get(f"/companies/{es.ORGNR}/settings/report").get_data(as_text=True)
    assert "Ansluten till Visma eEkonomi (Demo eEkonomi AB)" in page and "Koppla från" in page
    # the same callback twice: the state is spent
    again = app.test_client().get(callback)
    assert again.status_code == 400


def test_tokens_never_stand_in_the_database_in_clear(app, client, engine, pm):
    assert connected(app, client).status_code == 302
    from ekonomi.core.books import config, rules

    with Session(engine) as session:
        values = config.load(session, rules.get_company(session, es.ORGNR).id, pm.source("eekonomi"))
    raw = raw_config(app)
    assert values["refresh_token"] and values["refresh_token"] not in raw and values["access_token"] not in raw
    view = client.get(f"/api/v1/companies/{es.ORGNR}/sources/eekonomi/config", headers=bearer(token_for(app, "bureau-admin")))
    assert view.status_code == 200 and view.json["secrets"]["refresh_token"] == {"set": True}
    assert values["refresh_token"] not in view.get_data(as_text=True)


def test_uppdatera_syncs_the_connected_company(app, client):
    assert connected(app, client).status_code == 302
    switched = client.put(f"/api/v1/companies/{es.ORGNR}/data-source", json={"source": "eekonomi"})
    assert switched.status_code == 200 and switched.json["accepts_files"] is False
    accepted = client.post(f"/api/v1/companies/{es.ORGNR}/refresh")
    assert accepted.status_code == 202
    result = wait_for(app, accepted.json["import_id"], timeout=120)
    assert result["status"] == "succeeded", result["issues"]
    assert result["trigger"] == "refresh" and result["started_by"] == "user:admin@ett.se"
    assert result["counts"]["vouchers"] > 0


def test_choosing_another_company_at_eekonomi_is_refused(app, client):
    done = connected(app, client, OWN)  # Exempel AB, but the emulator's user has Demo eEkonomi AB
    assert done.status_code == 302
    page = client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)
    assert "Du valde Demo eEkonomi AB (559000-0001)" in page
    assert "Inte ansluten till Visma eEkonomi" in page
    assert '"refresh_token"' not in raw_config(app)


def test_disconnect_needs_a_confirmation_and_keeps_the_books(app, client):
    assert connected(app, client).status_code == 302
    url = f"/companies/{es.ORGNR}/eekonomi/disconnect"
    assert client.post(url).status_code == 400
    done = client.post(url, data={"confirm": "yes"})
    assert done.status_code == 302
    assert '"refresh_token"' not in raw_config(app)
    page = client.get(f"/companies/{es.ORGNR}/settings/report").get_data(as_text=True)
    assert "Inte ansluten till Visma eEkonomi" in page and "Anslut till Visma eEkonomi" in page


def test_who_may_connect(app, client):
    login(client, "client-view")
    assert client.get(f"/companies/{OWN}/eekonomi/connect").status_code == 403
    login(client, "other-bureau")
    assert client.get(CONNECT).status_code == 404
    client.post("/logout")
    anonymous = client.get(CONNECT)
    assert anonymous.status_code in (302, 401)
    with_token = app.test_client().get(CONNECT, headers=bearer(token_for(app, "bureau-admin")))
    assert with_token.status_code == 302 and "/connect/authorize" in with_token.headers["Location"]


def test_a_server_without_client_credentials_says_so(app, client, monkeypatch):
    monkeypatch.delenv("EKONOMI_EEKONOMI_CLIENT_ID")
    login(client, "bureau-admin")
    refused = client.get(CONNECT)
    assert refused.status_code == 409
    assert "EKONOMI_EEKONOMI_CLIENT_ID" in refused.get_data(as_text=True)


def test_file_uploads_are_refused_while_eekonomi_is_active(app, client):
    import io

    login(client, "bureau-admin")
    client.put(f"/api/v1/companies/{es.ORGNR}/data-source", json={"source": "eekonomi"})
    refused = client.post(
        f"/api/v1/companies/{es.ORGNR}/imports", data={"file": (io.BytesIO(b"#FLAGGA 0\n"), "bok.se")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert refused.status_code == 409 and refused.json["code"] == "source_not_active"
    page = client.get(f"/companies/{es.ORGNR}/settings/import/").get_data(as_text=True)
    assert 'id="upload-form"' not in page
