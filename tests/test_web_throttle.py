"""Sign-in throttling per account and per address, and the API's rate
limit (issue 12): small limits set on the app, so the tests stay quick."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.conftest import need
from tests.web_support import OWN, PASSWORD, app, bearer, client, login, token_for  # noqa: F401


@pytest.fixture
def checks(monkeypatch):
    """Counts the password checks the sign-in form makes."""
    from ekonomi.core.books import users

    calls = []
    real = users.authenticate

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(users, "authenticate", counting)
    return calls


def wrong(client, email="admin@ett.se"):
    return client.post("/login", data={"email": email, "password": "fel-lösen-123"})


def test_wrong_passwords_for_one_account_are_throttled_without_checking_them(app, client, checks, caplog):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per minute"
    assert [wrong(client).status_code for _ in range(3)] == [401, 401, 401]
    with caplog.at_level(logging.WARNING, logger="ekonomi.web.throttle"):
        refused = wrong(client)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "För många inloggningsförsök" in refused.get_data(as_text=True)
    assert len(checks) == 3  # the fourth never reached the password hash
    assert "throttled sign-in attempts per account" in caplog.text and "admin@ett.se" in caplog.text
    # The right password waits too, while another account is still open.
    assert client.post("/login", data={"email": "admin@ett.se", "password": PASSWORD}).status_code == 429
    login(client, "consultant")


def test_wrong_passwords_from_one_address_are_throttled_across_accounts(app, client):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per minute"
    answers = [wrong(client, f"person{i}@ett.se").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert wrong(elsewhere, "person9@ett.se").status_code == 401
    login(elsewhere, "consultant")


def test_successful_sign_ins_are_not_counted(app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per minute"
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "2 per minute"
    for _ in range(4):
        login(client, "bureau-admin")


def test_the_api_has_a_rate_limit_per_token(app, client):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    token = token_for(app, "bureau-admin")
    url = f"/api/v1/companies/{OWN}/imports"
    assert [client.get(url, headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url, headers=bearer(token))
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_requests"
    assert "Too many requests" in refused.get_json()["message"]
    assert int(refused.headers["Retry-After"]) > 0
    other = token_for(app, "consultant")
    assert client.get(url, headers=bearer(other)).status_code == 200


def test_the_counters_go_to_redis_when_configured(database_url, pm, engine, monkeypatch):
    from ekonomi.web import create_app
    from tests.web_support import make_people

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        need(False, f"Redis is not reachable at {url}")
    monkeypatch.setenv("EKONOMI_RATELIMIT_STORAGE_URL", url)
    make_people(engine)
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    config = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm, "WTF_CSRF_ENABLED": False}
    config.update(LOGIN_LIMIT_PER_ACCOUNT="2 per minute", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    apps = [create_app(dict(config)) for _ in range(2)]  # two web processes, one count
    try:
        assert apps[0].config["RATELIMIT_STORAGE_URI"] == url
        assert wrong(apps[0].test_client()).status_code == 401
        assert wrong(apps[1].test_client()).status_code == 401
        assert wrong(apps[0].test_client()).status_code == 429
    finally:
        for a in apps:
            a.extensions["ekonomi"].runner.shutdown()
            a.extensions["ekonomi"].engine.dispose()


def test_the_openapi_description_names_the_429(client):
    described = client.get("/api/v1/openapi.json").get_json()
    for path, operations in described["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "429" in operation["responses"], (method, path)
