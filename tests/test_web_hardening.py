"""Requests that once answered 500 (issue 12): numbers beyond what the
database holds, a JSON body nested thousands deep, NUL and other control
characters in a path, a query or a file name.  Each answers 4xx: the
contract's JSON error (English message) under /api/, a Swedish page
elsewhere, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.fakes import ledger
from tests.web_support import OWN, app, bearer, client, fake_file, login, token_for, wait_for  # noqa: F401

HUGE = "99999999999999999999999"  # past BIGINT (2^63 - 1) and SQLite's INTEGER


def _json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.data[:300]
    assert response.json["code"] == code
    assert response.json["message"].isascii()  # English on the API


def _swedish_page(response, status: int) -> str:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Till startsidan" in body
    return body


def _import(app, client) -> int:
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(ledger(vouchers=3))})
    assert response.status_code == 202
    assert wait_for(app, response.json["import_id"])["status"] == "succeeded"
    return response.json["import_id"]


def test_an_import_id_past_what_an_id_column_holds_is_not_found(app, client):
    login(client, "bureau-admin")
    _json_error(client.get(f"/api/v1/imports/{HUGE}"), 404, "not_found")
    _json_error(client.get(f"/api/v1/imports/{2**63}"), 404, "not_found")
    _json_error(client.get(f"/api/v1/imports/{2**31}"), 404, "not_found")  # past PostgreSQL's INTEGER (found by Schemathesis)
    body = _swedish_page(client.get(f"/companies/{OWN}/settings/import/{HUGE}"), 404)
    assert "Det finns ingenting här" in body
    assert client.get(f"/api/v1/imports/{_import(app, client)}").status_code == 200  # ordinary ids still work


def test_a_page_number_past_what_the_database_holds_is_a_bad_request(app, client):
    login(client, "bureau-admin")
    _import(app, client)
    body = _swedish_page(client.get(f"/companies/{OWN}/overview?page=99999999999999999999"), 400)
    assert "sida" in body.lower()
    _swedish_page(client.get(f"/companies/{OWN}/overview?page=x"), 400)
    assert client.get(f"/companies/{OWN}/overview?page=2").status_code == 200


def test_a_json_body_nested_thousands_deep_is_a_bad_request(app, client):
    headers = bearer(token_for(app, "bureau-admin"))
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, '{"source": ' + deep + "}"):
        response = client.put(f"/api/v1/companies/{OWN}/data-source", data=body, content_type="application/json", headers=headers)
        _json_error(response, 400, "bad_request")
        assert "nested" in response.json["message"]
    ok = client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "other"}, headers=headers)
    assert ok.status_code == 200


def test_a_nul_in_an_upload_file_name_is_refused_logged_and_not_stored(app, client, tmp_path):
    login(client, "client-import")
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(ledger(), "bok\x00.fake")})
    _json_error(response, 400, "bad_request")
    assert "file name" in response.json["message"]
    with app.extensions["ekonomi"].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 0
        runs = conn.execute(text("SELECT id, status FROM import_run")).all()
    assert [(r.id, r.status) for r in runs] == [(response.json["import_id"], "failed")]  # the refusal is logged
    store = Path(tmp_path / "files")
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))
    page = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(ledger(), "bok\x01.fake")}, follow_redirects=True)
    assert page.status_code == 200 and "filnamnet innehåller otillåtna tecken" in page.get_data(as_text=True).lower()


def test_control_characters_in_a_path_or_query_are_a_bad_request(app, client):
    login(client, "bureau-admin")
    _json_error(client.get("/api/v1/companies/556910-1008%00/data-source"), 400, "bad_request")
    _json_error(client.get(f"/api/v1/companies/{OWN}/imports?limit=1%00"), 400, "bad_request")
    body = _swedish_page(client.get("/companies/556910-1008%00/overview"), 400)
    assert "tecken" in body
    _swedish_page(client.get(f"/companies/{OWN}/overview?year=2023%0101-01"), 400)


def test_control_characters_in_json_strings_are_a_bad_request(app, client):
    headers = bearer(token_for(app, "bureau-admin"))
    response = client.put(f"/api/v1/companies/{OWN}/sources/fakeint/config", json={"company_key": "a\x00b"}, headers=headers)
    _json_error(response, 400, "bad_request")
    response = client.put(f"/api/v1/companies/{OWN}/sources/fakeint/config", json={"a\x00": "b"}, headers=headers)
    _json_error(response, 400, "bad_request")
    multiline = client.put(f"/api/v1/companies/{OWN}/sources/fakeint/config", json={"company_key": "a\tb"}, headers=headers)
    assert multiline.status_code == 200


def test_the_error_page_renders_after_a_failed_statement(app, client):
    """A view whose statement failed leaves (on PostgreSQL) its transaction
    aborted; the error page, which reads the menu from the same session,
    still renders, because the session is rolled back first."""
    from ekonomi.web.errors import Problem
    from ekonomi.web.services import db

    def broken(orgnr: str):
        try:
            db().execute(text("SELECT no_such_column FROM company"))
        except Exception:
            pass
        raise Problem(400, "Något var fel i begäran.")

    app.add_url_rule("/companies/<orgnr>/broken", "broken", broken)
    login(client, "bureau-admin")
    body = _swedish_page(client.get(f"/companies/{OWN}/broken"), 400)
    assert "Något var fel i begäran." in body and "Exempel AB" in body  # the menu lists the companies
