"""Security headers on pages and API answers (issue 12)."""

from __future__ import annotations

import pytest

from tests.web_support import OWN, app, bearer, client, login, token_for  # noqa: F401


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/bureau/", f"/companies/{OWN}/overview", f"/companies/{OWN}/settings/users", "/account/"])
def test_signed_in_pages_carry_the_headers_and_are_not_stored(app, client, path):
    login(client, "bureau-admin")
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_login_page_carries_the_headers(client):
    response = client.get("/login")
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_api_answers_carry_the_headers(app, client):
    token = token_for(app, "bureau-admin")
    ok = client.get(f"/api/v1/companies/{OWN}/imports", headers=bearer(token))
    assert ok.status_code == 200
    assert_security_headers(ok)
    assert ok.headers["Cache-Control"] == "no-store"
    refused = client.get(f"/api/v1/companies/{OWN}/imports")
    assert refused.status_code == 401
    assert_security_headers(refused)


def test_http_is_not_redirected_to_https(client):
    assert client.get("/login").status_code == 200
