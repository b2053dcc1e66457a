"""A source's configuration on the Byrå page and through the API: bureau
admins only, secrets masked in every answer, errors that name the field, and
the import gets it."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from tests.web_support import OWN, app, bearer, client, login, token_for, wait_for  # noqa: F401

SECRET = "hemlig-token-5678"
URL = f"/api/v1/companies/{OWN}/sources/fakeint/config"


@pytest.fixture(autouse=True)
def _keys(monkeypatch):
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", Fernet.generate_key().decode())


def _raw_config(app) -> str:
    with app.extensions["ekonomi"].engine.connect() as conn:
        return conn.execute(text("SELECT config FROM company_source WHERE source = 'fakeint'")).scalar_one()


def test_api_put_and_get_mask_the_secret(app, client):
    admin = bearer(token_for(app, "bureau-admin"))
    empty = client.get(URL, headers=admin)
    assert empty.status_code == 200 and empty.json["secrets"] == {"api_token": {"set": False}}
    assert [f["name"] for f in empty.json["fields"]] == ["company_key", "api_token", "days_back"]
    put = client.put(URL, json={"company_key": "k-1", "api_token": SECRET, "days_back": "30"}, headers=admin)
    assert put.status_code == 200, put.json
    assert put.json["values"] == {"company_key": "k-1", "days_back": 30}
    assert put.json["secrets"] == {"api_token": {"set": True}}
    got = client.get(URL, headers=admin)
    assert SECRET not in got.get_data(as_text=True) and SECRET not in put.get_data(as_text=True)
    assert got.json["secrets"]["api_token"] == {"set": True}
    assert SECRET not in _raw_config(app)
    again = client.put(URL, json={"api_token": None, "company_key": "k-2"}, headers=admin)  # null keeps a secret
    assert again.json["secrets"]["api_token"] == {"set": True} and again.json["values"]["company_key"] == "k-2"


def test_api_validation_errors_name_the_field(app, client):
    admin = bearer(token_for(app, "bureau-admin"))
    bad = client.put(URL, json={"api_token": "abc", "days_back": "many"}, headers=admin)
    assert bad.status_code == 400 and bad.json["code"] == "bad_request"
    assert "api_token" in bad.json["message"] and "days_back" in bad.json["message"]
    assert set(bad.json["fields"]) == {"api_token", "days_back"}
    assert "abc" not in bad.json["message"]
    assert client.put(URL, data="not json", headers=admin).status_code == 400
    assert client.put(URL, json=["a"], headers=admin).json["code"] == "bad_request"
    assert client.get(f"/api/v1/companies/{OWN}/sources/nosuch/config", headers=admin).status_code == 404
    no_schema = client.get(f"/api/v1/companies/{OWN}/sources/fake/config", headers=admin)
    assert no_schema.status_code == 400 and "takes no configuration" in no_schema.json["message"]


def test_only_bureau_admins_configure(app, client):
    for role in ("consultant", "client-full"):
        headers = bearer(token_for(app, role))
        assert client.get(URL, headers=headers).status_code == 403
        assert client.put(URL, json={"company_key": "x"}, headers=headers).status_code == 403


def test_bureau_page_form_keeps_an_empty_secret_and_never_shows_it(app, client):
    login(client, "bureau-admin")
    page = client.get("/bureau/").get_data(as_text=True)
    assert "Inställningar för Fake eEkonomi hos Exempel AB" in page and 'type="password"' in page
    assert "API-nyckel" in page and "Företagsnyckel" in page
    saved = client.post(
        f"/bureau/companies/{OWN}/sources/fakeint/config",
        data={"cfg_company_key": "k-1", "cfg_api_token": SECRET, "cfg_days_back": "7"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Inställningarna för Fake eEkonomi hos Exempel AB är sparade" in saved
    assert SECRET not in saved and "••••" in saved and 'value="k-1"' in saved
    client.post(f"/bureau/companies/{OWN}/sources/fakeint/config", data={"cfg_company_key": "k-2", "cfg_api_token": ""})
    view = client.get(URL).json
    assert view["secrets"]["api_token"] == {"set": True} and view["values"] == {"company_key": "k-2"}
    import_log = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "Inställningar för Fake eEkonomi: API-nyckel, Företagsnyckel, Antal dagar bakåt" in import_log
    assert SECRET not in import_log


def test_bureau_page_form_errors_are_swedish_and_name_the_field(app, client):
    login(client, "bureau-admin")
    page = client.post(
        f"/bureau/companies/{OWN}/sources/fakeint/config",
        data={"cfg_api_token": "abc", "cfg_days_back": "många"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Inställningarna för Fake eEkonomi sparades inte" in page
    assert "API-nyckel: för kort (minst 4 tecken)" in page and "Antal dagar bakåt: ska vara ett heltal" in page
    assert "abc" not in page.split("sparades inte")[1][:300]


def test_the_sync_gets_the_configuration(app, client):
    admin = bearer(token_for(app, "bureau-admin"))
    client.put(URL, json={"company_key": "K-77", "api_token": SECRET}, headers=admin)
    client.post(f"/bureau/companies/{OWN}/sources", data={"source_sie4": "on", "source_fakeint": "on"})
    assert client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"}, headers=admin).status_code == 200
    started = client.post(f"/api/v1/companies/{OWN}/refresh", headers=admin)
    result = wait_for(app, started.json["import_id"])
    assert result["status"] == "succeeded", result["issues"]
    with app.extensions["ekonomi"].engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM voucher")).scalar_one() == "Synkad K-77"
    assert SECRET not in json.dumps(result)
