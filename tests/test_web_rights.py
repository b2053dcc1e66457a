"""The rights matrix: every role × every route × own and other company.

Nobody reaches another company's data by changing an id in a URL: a company
the user cannot reach answers 404 (pages and API alike); a reachable one
without the right answers 403; without signing in, pages redirect to the
login and the API answers 401.
"""

from __future__ import annotations

from typing import Any

import pytest

from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from tests.fakes import ledger
from tests.web_support import OTHER, OWN, ROLES, app, client, fake_file, login, token_for, bearer  # noqa: F401

# What each role may do in OWN (the bureau's or their own company).
RIGHTS = {
    "bureau-admin": {"reach", "view", "log", "import", "settings", "users", "staff", "admin"},
    "consultant": {"reach", "view", "log", "import", "settings", "users", "staff"},
    "client-full": {"reach", "view", "log", "import", "settings"},
    "client-import": {"reach", "view", "log", "import"},
    "client-view": {"reach", "view"},
    "other-bureau": {"staff", "admin"},  # reaches nothing of OWN's
}

# (name, method, url, right needed, api?)  {o} is the orgnr, {i} an import of that company.
ROUTES = [
    ("overview", "GET", "/companies/{o}/overview", "view", False),
    ("overview-root", "GET", "/companies/{o}/", "view", False),
    ("settings", "GET", "/companies/{o}/settings/", "log", False),
    ("import-page", "GET", "/companies/{o}/settings/import/", "log", False),
    ("import-upload", "POST", "/companies/{o}/settings/import/", "import", False),
    ("import-detail", "GET", "/companies/{o}/settings/import/{i}", "log", False),
    ("delete-confirm", "GET", "/companies/{o}/settings/import/delete-latest", "settings", False),
    ("delete-do", "POST", "/companies/{o}/settings/import/delete-latest", "settings", False),
    ("report-settings", "GET", "/companies/{o}/settings/report", "settings", False),
    ("report-save", "POST", "/companies/{o}/settings/report", "settings", False),
    ("users", "GET", "/companies/{o}/settings/users", "users", False),
    ("users-save", "POST", "/companies/{o}/settings/users", "users", False),
    ("users-add", "POST", "/companies/{o}/settings/users/add", "users", False),
    ("refresh-page", "POST", "/companies/{o}/refresh", "reach", False),
    ("bureau-sources", "POST", "/bureau/companies/{o}/sources", "admin+settings", False),
    ("bureau-config", "POST", "/bureau/companies/{o}/sources/fakeint/config", "admin+settings", False),
    ("api-upload", "POST", "/api/v1/companies/{o}/imports", "import", True),
    ("api-log", "GET", "/api/v1/companies/{o}/imports", "log", True),
    ("api-import", "GET", "/api/v1/imports/{i}", "log", True),
    ("api-source-get", "GET", "/api/v1/companies/{o}/data-source", "reach", True),
    ("api-source-put", "PUT", "/api/v1/companies/{o}/data-source", "settings", True),
    ("api-delete", "DELETE", "/api/v1/companies/{o}/fiscal-years/latest", "settings", True),
    ("api-refresh", "POST", "/api/v1/companies/{o}/refresh", "reach", True),
    ("api-config-get", "GET", "/api/v1/companies/{o}/sources/fakeint/config", "admin+settings", True),
    ("api-config-put", "PUT", "/api/v1/companies/{o}/sources/fakeint/config", "admin+settings", True),
]

# Routes that are not about one company.
BUREAU_ROUTES = [
    ("bureau", "GET", "/bureau/", "staff"),
    ("bureau-add", "POST", "/bureau/companies", "staff"),
]


def _payload(name: str, orgnr: str) -> dict[str, Any]:
    if name in ("import-upload", "api-upload"):
        return {"data": {"file": fake_file(ledger(orgnr=orgnr, vouchers=1))}}
    if name == "report-save":
        return {"data": {"source": "other"}}
    if name == "api-source-put":
        return {"json": {"source": "other"}}
    if name == "users-add":
        return {"data": {"email": "ny@kund.se", "password": "langt-losen"}}
    if name == "bureau-config":
        return {"data": {"cfg_company_key": "k-1"}}
    if name == "api-config-put":
        return {"json": {"company_key": "k-1"}}
    if name == "bureau-sources":
        return {"data": {"source_fake": "on", "source_sie4": "on"}}
    if name == "bureau-add":
        return {"data": {"orgnr": "551122-3344", "name": "Ny AB"}}
    return {}


@pytest.fixture
def books(app) -> dict[str, int]:
    """One import in each company: its id (for detail routes)."""
    services = app.extensions["ekonomi"]
    ids = {}
    for orgnr in (OWN, OTHER):
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp())
        path = folder / "bok.fake"
        path.write_text(ledger(orgnr=orgnr, vouchers=2), encoding="utf-8")
        result = run_import(services.engine, services.pm, ImportRequest(company=orgnr, file=FileInput(path, "bok.fake")))
        assert result["status"] == "succeeded", result
        ids[orgnr] = result["import_id"]
    return ids


def _allowed(role: str, right: str) -> bool:
    return all(r in RIGHTS[role] for r in right.split("+"))


def _call(client: Any, method: str, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
    return client.open(url, method=method, headers=headers or {}, **kw)


def _wait_all(app) -> None:
    runner = app.extensions["ekonomi"].runner
    for future in list(runner.futures.values()):
        future.result(timeout=30)


@pytest.mark.parametrize("role", list(RIGHTS))
@pytest.mark.parametrize("name,method,url,right,is_api", ROUTES, ids=[r[0] for r in ROUTES])
@pytest.mark.parametrize("target", ["own", "other"])
def test_company_route_rights(app, client, books, role, name, method, url, right, is_api, target):
    orgnr = OWN if target == "own" else OTHER
    login(client, role)
    response = _call(client, method, url.format(o=orgnr, i=books[orgnr]), **_payload(name, orgnr))
    _wait_all(app)
    reaches = (target == "own" and role != "other-bureau") or (target == "other" and role == "other-bureau")
    if not reaches:
        assert response.status_code == 404, (response.status_code, response.data[:300])
        if is_api:
            assert response.json["code"] == "not_found"
        return
    role_rights = RIGHTS[role] if target == "own" else RIGHTS["bureau-admin"]
    if all(r in role_rights for r in right.split("+")):
        assert response.status_code not in (401, 403, 404), (response.status_code, response.data[:500])
    else:
        assert response.status_code == 403, (response.status_code, response.data[:300])
        if is_api:
            assert response.json["code"] == "forbidden"


@pytest.mark.parametrize("name,method,url,right,is_api", [r for r in ROUTES if r[4]], ids=[r[0] for r in ROUTES if r[4]])
@pytest.mark.parametrize("role", ["client-view", "client-import", "consultant"])
def test_api_rights_with_bearer_token(app, client, books, role, name, method, url, right, is_api):
    """The same rights through a personal token, without a session."""
    headers = bearer(token_for(app, role))
    response = _call(client, method, url.format(o=OWN, i=books[OWN]), headers=headers, **_payload(name, OWN))
    _wait_all(app)
    if _allowed(role, right):
        assert response.status_code not in (401, 403, 404), (response.status_code, response.data[:300])
    else:
        assert response.status_code == 403
        assert response.json["code"] == "forbidden"
    other = _call(client, method, url.format(o=OTHER, i=books[OTHER]), headers=headers, **_payload(name, OTHER))
    _wait_all(app)
    assert other.status_code == 404 and other.json["code"] == "not_found"


@pytest.mark.parametrize("name,method,url,right,is_api", ROUTES, ids=[r[0] for r in ROUTES])
def test_signed_out(app, client, books, name, method, url, right, is_api):
    response = _call(client, method, url.format(o=OWN, i=books[OWN]), **_payload(name, OWN))
    if is_api:
        assert response.status_code == 401
        assert response.json["code"] == "unauthorized"
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(RIGHTS))
@pytest.mark.parametrize("name,method,url,right", BUREAU_ROUTES, ids=[r[0] for r in BUREAU_ROUTES])
def test_bureau_route_rights(app, client, role, name, method, url, right):
    login(client, role)
    response = _call(client, method, url, **_payload(name, OWN))
    if _allowed(role, right):
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


def test_bureau_page_lists_only_own_clients(app, client):
    login(client, "other-bureau")
    page = client.get("/bureau/").get_data(as_text=True)
    assert "Annat AB" in page and "Exempel AB" not in page
    login(client, "bureau-admin")
    page = client.get("/bureau/").get_data(as_text=True)
    assert "Exempel AB" in page and "Annat AB" not in page


def test_import_ids_of_other_companies_are_not_found_in_every_detail_route(app, client, books):
    """Changing the import id (not the orgnr) does not leak either."""
    login(client, "client-full")
    assert client.get(f"/companies/{OWN}/settings/import/{books[OTHER]}").status_code == 404
    assert client.get(f"/api/v1/imports/{books[OTHER]}").status_code == 404
    assert client.get(f"/api/v1/imports/{books[OWN]}").status_code == 200
