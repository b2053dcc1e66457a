"""The JSON API: contract shapes, refusals with their codes, the data source
switch, refresh, deleting the latest year, sessions with CSRF."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.fakes import ledger
from tests.web_support import OWN, app, bearer, client, company_id, fake_file, login, token_for, wait_for  # noqa: F401
from ekonomi.web.schemas import DataSourceSchema, ImportListSchema, ImportResultSchema


def upload(client, content, name="bok.fake", headers=None, **data):
    return client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(content, name), **data}, headers=headers or {})


def count(app, table):
    with app.extensions["ekonomi"].engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_upload_is_accepted_and_runs_in_the_background(app, client):
    login(client, "client-import")
    response = upload(client, ledger(vouchers=4))
    assert response.status_code == 202
    body = response.json
    assert set(body) == {"import_id", "url"}
    assert body["url"] == f"/api/v1/imports/{body['import_id']}"
    assert response.headers["Location"] == body["url"]
    result = wait_for(app, body["import_id"])
    polled = client.get(body["url"])
    assert polled.status_code == 200
    data = polled.json
    assert ImportResultSchema().validate(data) == {}
    assert data["status"] == "succeeded"
    assert data["counts"]["vouchers"] == 4
    assert data["fiscal_years"] == [{"start": "2023-01-01", "end": "2023-12-31"}]
    assert data["started_by"] == "user:kund-import@own.se"
    assert data["file"] == "bok.fake"
    assert data["progress"]["phase"] == "done"
    assert result["import_id"] == body["import_id"]


def test_import_log_lists_newest_first(app, client):
    login(client, "client-full")
    first = upload(client, ledger(vouchers=1)).json["import_id"]
    wait_for(app, first)
    second = upload(client, "not a ledger at all", "x.txt")
    assert second.status_code == 400
    items = client.get(f"/api/v1/companies/{OWN}/imports").json
    assert ImportListSchema().validate(items) == {}
    ids = [i["import_id"] for i in items["items"]]
    assert ids == sorted(ids, reverse=True) and first in ids and len(ids) == 2
    assert items["items"][0]["status"] == "failed"
    assert client.get(f"/api/v1/companies/{OWN}/imports?limit=1").json["items"][0]["import_id"] == ids[0]
    assert client.get(f"/api/v1/companies/{OWN}/imports?limit=x").status_code == 400


def test_a_file_that_is_not_sie_is_refused_logged_and_nothing_stored(app, client):
    login(client, "client-import")
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00binary", "bild.png")
    assert response.status_code == 400
    assert response.json["code"] == "not_sie"
    assert "bild.png" in response.json["message"]
    logged = client.get(f"/api/v1/imports/{response.json['import_id']}").json
    assert logged["status"] == "failed" and logged["issues"][0]["code"] == "not_sie"
    assert count(app, "voucher") == 0
    with app.extensions["ekonomi"].engine.connect() as conn:  # the core's own name; the wire keeps the old one
        assert conn.execute(text("SELECT code FROM import_issue")).scalar_one() == "not_recognised"


def test_an_empty_file_says_so(app, client):
    login(client, "client-import")
    response = upload(client, b"", "tom.se")
    assert response.status_code == 400
    assert "tom" in response.json["message"]
    assert count(app, "fiscal_year") == 0


def test_missing_file_is_a_bad_request(app, client):
    login(client, "client-import")
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={})
    assert response.status_code == 400 and response.json["code"] == "bad_request"


def test_unknown_or_integration_source_is_a_bad_request(app, client):
    login(client, "client-import")
    assert upload(client, ledger(), source="nosuch").json["code"] == "bad_request"
    response = upload(client, ledger(), source="fakeint")
    assert response.status_code == 400


def test_too_large_file_is_413_in_json(app, client):
    login(client, "client-import")
    big = "x" * (1024 * 1024 + 100 * 1024)
    response = upload(client, big, "stor.se")
    assert response.status_code == 413
    assert response.json["code"] == "file_too_large"
    assert "1 MB" in response.json["message"]
    # nothing stored, but the refusal is in the import log
    assert count(app, "import_run") == 1
    log = client.get(f"/api/v1/companies/{OWN}/imports").json["items"]
    assert log[0]["status"] == "failed" and log[0]["issues"][0]["code"] == "file_too_large"


def test_a_failed_import_keeps_previous_data_and_says_why(app, client):
    login(client, "client-import")
    good = upload(client, ledger(vouchers=3)).json["import_id"]
    assert wait_for(app, good)["status"] == "succeeded"
    bad = upload(client, ledger(vouchers=5) + "voucher A 9 2023-03-01 Bad\nrow 1910 10.00\nrow 3010 -9.00\n")
    assert bad.status_code == 202
    result = wait_for(app, bad.json["import_id"])
    assert result["status"] == "failed"
    assert any(i["severity"] == "error" and i["line"] for i in result["issues"])
    assert count(app, "voucher") == 3


def test_second_import_while_one_runs_is_accepted_and_waits(app, client):
    login(client, "client-import")
    slow = upload(client, ledger(vouchers=2, extra="sleep 0.6\n"))
    fast = upload(client, ledger(vouchers=3))
    assert slow.status_code == 202 and fast.status_code == 202
    assert wait_for(app, slow.json["import_id"])["status"] == "succeeded"
    assert wait_for(app, fast.json["import_id"])["status"] == "succeeded"
    assert count(app, "voucher") == 3


def test_data_source_switch_refuses_sie_import_and_logs_the_event(app, client):
    login(client, "bureau-admin")
    ds = client.get(f"/api/v1/companies/{OWN}/data-source").json
    assert DataSourceSchema().validate(ds) == {}
    assert ds["source"] == "other" and ds["accepts_files"] is True
    assert {"name": "fakeint", "title": "Fake eEkonomi", "kind": "integration", "enabled": True} in ds["options"]
    switched = client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"})
    assert switched.status_code == 200 and switched.json["source"] == "fakeint"
    assert switched.json["accepts_files"] is False
    refused = upload(client, ledger())
    assert refused.status_code == 409
    assert refused.json["code"] == "source_not_active"
    assert "Annan källa för redovisningsdata" in refused.json["message"]
    # the page says the same, and offers no upload
    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert 'id="upload-form"' not in page and "Annan källa för redovisningsdata" in page
    back = client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "other"})
    assert back.json["source"] == "other"
    with app.extensions["ekonomi"].engine.connect() as conn:
        events = conn.execute(text("SELECT kind, actor, data FROM company_event ORDER BY id")).all()
    assert [(k, json.loads(d)) for k, _, d in events] == [
        ("source_switched", {"from": "other", "to": "fakeint"}),
        ("source_switched", {"from": "fakeint", "to": "other"}),
    ]
    assert events[0][1] == "user:admin@ett.se"


def test_data_source_rejects_bad_bodies(app, client):
    login(client, "bureau-admin")
    url = f"/api/v1/companies/{OWN}/data-source"
    assert client.put(url, data="nonsense", content_type="application/json").status_code == 400
    assert client.put(url, json={}).json["code"] == "bad_request"
    assert client.put(url, json={"source": "other", "extra": 1}).status_code == 400
    assert client.put(url, json={"source": "nosuch"}).status_code == 400
    file_source = client.put(url, json={"source": "fake"})
    assert file_source.status_code == 400 and file_source.json["code"] == "bad_request"


def test_refresh_needs_an_installed_active_integration(app, client):
    login(client, "client-view")
    refused = client.post(f"/api/v1/companies/{OWN}/refresh")
    assert refused.status_code == 409 and refused.json["code"] == "source_not_active"
    login(client, "bureau-admin")
    client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"})
    login(client, "client-view")  # any user of the company may refresh
    accepted = client.post(f"/api/v1/companies/{OWN}/refresh")
    assert accepted.status_code == 202
    result = wait_for(app, accepted.json["import_id"])
    assert result["status"] == "succeeded", result
    assert result["source"] == "fakeint" and result["counts"]["vouchers"] == 1


def test_refresh_with_the_integration_uninstalled_is_a_conflict(app, client):
    from sqlmodel import Session

    from ekonomi.core.books import models as m

    with Session(app.extensions["ekonomi"].engine) as s:
        company = s.exec(__import__("sqlmodel").select(m.Company).where(m.Company.orgnr == OWN)).one()
        company.active_source = "eekonomi"
        s.add(company)
        s.commit()
    login(client, "client-view")
    response = client.post(f"/api/v1/companies/{OWN}/refresh")
    assert response.status_code == 409 and response.json["code"] == "conflict"
    assert "inte installerad" in response.json["message"]


def test_sign_in_starts_a_sync_for_integration_companies(app, client):
    login(client, "bureau-admin")
    client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"})
    app.config["SYNC_ON_LOGIN"] = True
    login(client, "client-view")
    runner = app.extensions["ekonomi"].runner
    for future in list(runner.futures.values()):
        future.result(timeout=30)
    with app.extensions["ekonomi"].engine.connect() as conn:
        runs = conn.execute(text("SELECT source, started_by, status FROM import_run")).all()
    assert ("fakeint", "user:kund-se@own.se", "succeeded") in [tuple(r) for r in runs]


def test_delete_latest_fiscal_year(app, client):
    login(client, "client-full")
    assert client.delete(f"/api/v1/companies/{OWN}/fiscal-years/latest").status_code == 404
    wait_for(app, upload(client, ledger(vouchers=2, year=2022)).json["import_id"])
    wait_for(app, upload(client, ledger(vouchers=3, year=2023)).json["import_id"])
    response = client.delete(f"/api/v1/companies/{OWN}/fiscal-years/latest")
    assert response.status_code == 200
    assert response.json["fiscal_year"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert response.json["deleted"]["vouchers"] == 3
    assert count(app, "voucher") == 2
    assert count(app, "fiscal_year") == 1


def test_cookie_session_needs_csrf_header_but_bearer_does_not(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    client.post("/logout")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"email": "kund-import@own.se", "password": "hemligt-lösen-1", "csrf_token": token}).status_code == 302
    without = upload(client, ledger())
    assert without.status_code == 400 and without.json["code"] == "bad_request"
    meta = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    header_token = meta.split('name="csrf-token" content="')[1].split('"')[0]
    with_header = upload(client, ledger(), headers={"X-CSRFToken": header_token})
    assert with_header.status_code == 202
    wait_for(app, with_header.json["import_id"])
    fresh = app.test_client()
    with_bearer = upload(fresh, ledger(), headers=bearer(token_for(app, "client-import")))
    assert with_bearer.status_code == 202
    wait_for(app, with_bearer.json["import_id"])


def test_bad_tokens_are_401(app, client):
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        response = client.get(f"/api/v1/companies/{OWN}/imports", headers={"Authorization": header})
        assert response.status_code == 401 and response.json["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_api_route_is_json_404(app, client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code in (401, 404)
    assert response.is_json


def test_sign_in_of_bureau_staff_syncs_too_but_never_twice_at_once(app, client):
    from sqlmodel import Session

    from ekonomi.core.books import models as m
    from ekonomi.core.engine.runlog import WORKER

    login(client, "bureau-admin")
    client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"})
    app.config["SYNC_ON_LOGIN"] = True
    engine = app.extensions["ekonomi"].engine
    with Session(engine) as s:  # a sync of OWN already waits its turn
        s.add(m.ImportRun(company_id=company_id(app, OWN), source="fakeint", status="queued", worker=WORKER, started_by="test"))
        s.commit()
    login(client, "consultant")
    assert count(app, "import_run") == 1  # none added while one is under way
    with engine.begin() as conn:
        conn.execute(text("UPDATE import_run SET status = 'failed'"))
    login(client, "consultant")
    runner = app.extensions["ekonomi"].runner
    for future in list(runner.futures.values()):
        future.result(timeout=30)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT started_by, trigger, status FROM import_run WHERE started_by <> 'test'")).all()
    assert [tuple(r) for r in runs] == [("user:konsult@ett.se", "sign-in", "succeeded")]
