"""The OpenAPI description is served and true: every documented route
exists, and answers with one of its documented status codes."""

from __future__ import annotations

import re

import pytest

from tests.fakes import ledger
from tests.web_support import OTHER, OWN, app, bearer, client, fake_file, token_for, wait_for  # noqa: F401


def test_spec_is_served_without_signing_in(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/companies/{orgnr}/imports" in spec["paths"]
    assert spec["components"]["schemas"]["Error"]["required"] == ["code", "message"]


def _app_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((method.lower(), path))
    return out


def test_every_api_route_is_documented_and_every_documented_route_exists(app, client):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert documented == _app_routes(app)


@pytest.mark.parametrize("who", ["bureau-admin", "client-view", "other-bureau", None])
def test_walk_the_spec(app, client, who):
    """Call every documented operation, with a good request, and check the
    status is one the spec lists for it."""
    spec = client.get("/api/v1/openapi.json").json
    admin = bearer(token_for(app, "bureau-admin"))
    first = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(ledger())}, headers=admin)
    import_id = first.json["import_id"]
    wait_for(app, import_id)
    headers = bearer(token_for(app, who)) if who else {}
    seen = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            url = path.replace("{orgnr}", OWN).replace("{import_id}", str(import_id)).replace("{source}", "fakeint")
            url = url.replace("{voucher_id}", "1").replace("{attachment_id}", "1")  # the ledger's first voucher; no attachment
            kwargs = {}
            if method == "post" and path.endswith("/imports"):
                kwargs["data"] = {"file": fake_file(ledger())}
            if method == "put":
                kwargs["json"] = {"company_key": "k-1"} if path.endswith("/config") else {"source": "other"}
            response = client.open(url, method=method.upper(), headers=headers, **kwargs)
            if response.status_code == 202:
                wait_for(app, response.json["import_id"])
            assert str(response.status_code) in op["responses"], (method, path, response.status_code, response.data[:200])
            if response.status_code >= 400:
                assert set(response.json) >= {"code", "message"}
                enum = spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
                assert response.json["code"] in enum
            seen += 1
    assert seen == 14
