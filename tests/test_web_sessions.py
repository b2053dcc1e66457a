"""Sessions end: at sign-out, on a password change, from "Logga ut
överallt", and when left unused (issue 12)."""

from __future__ import annotations

import pytest

from tests.web_support import OWN, PASSWORD, app, client, login  # noqa: F401

NEW_PASSWORD = "ett-helt-nytt-lösen-7"


def saved_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_in(c) -> bool:
    """Whether the client's session opens the Byrå page and the API."""
    page = c.get("/bureau/")
    api = c.get(f"/api/v1/companies/{OWN}/imports")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    return page.status_code == 200


def test_a_saved_session_cookie_is_refused_after_sign_out(app, client):
    login(client, "bureau-admin")
    saved = saved_cookie(client)
    assert signed_in(with_cookie(app, saved))
    assert client.post("/logout").status_code == 302
    replay = with_cookie(app, saved)
    assert "/login" in replay.get("/bureau/").headers["Location"]
    assert replay.get(f"/api/v1/companies/{OWN}/imports").status_code == 401


def test_signing_in_again_after_sign_out_works(app, client):
    login(client, "bureau-admin")
    client.post("/logout")
    login(client, "bureau-admin")
    assert signed_in(client)


def test_logout_everywhere_ends_every_session(app, client):
    login(client, "bureau-admin")
    elsewhere = app.test_client()
    login(elsewhere, "bureau-admin")
    page = client.get("/account/").get_data(as_text=True)
    assert "Logga ut överallt" in page
    response = client.post("/account/logout-everywhere")
    assert "/login" in response.headers["Location"]
    assert not signed_in(elsewhere)
    assert not signed_in(client)


def test_a_password_change_ends_the_other_sessions_not_this_one(app, client):
    login(client, "bureau-admin")
    elsewhere = app.test_client()
    login(elsewhere, "bureau-admin")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert "Lösenordet är bytt" in response.get_data(as_text=True)
    assert signed_in(client)
    assert not signed_in(elsewhere)
    client.post("/logout")
    assert client.post("/login", data={"email": "admin@ett.se", "password": PASSWORD}).status_code == 401
    login(client, "bureau-admin", NEW_PASSWORD)


def test_a_password_change_needs_the_current_password(app, client):
    login(client, "bureau-admin")
    response = client.post(
        "/account/password",
        data={"current_password": "fel-lösen-123", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert "Det nuvarande lösenordet stämmer inte" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, "bureau-admin")


@pytest.mark.parametrize("hours, idle_s, alive", [(8, 7.9 * 3600, True), (8, 8.1 * 3600, False), (0.5, 1900, False)])
def test_a_session_ends_when_left_unused(app, client, monkeypatch, hours, idle_s, alive):
    from ekonomi.web import sessions

    app.config["SESSION_IDLE_HOURS"] = hours
    start = 1_900_000_000.0
    monkeypatch.setattr(sessions, "now", lambda: start)
    login(client, "bureau-admin")
    monkeypatch.setattr(sessions, "now", lambda: start + idle_s)
    assert signed_in(client) is alive


def test_use_keeps_a_session_alive(app, client, monkeypatch):
    from ekonomi.web import sessions

    clock = [1_900_000_000.0]
    monkeypatch.setattr(sessions, "now", lambda: clock[0])
    login(client, "bureau-admin")
    for _ in range(3):  # 3 x 5 h: longer than the idle time, but never idle that long
        clock[0] += 5 * 3600
        assert signed_in(client)


def test_the_idle_time_comes_from_the_environment(database_url, pm, engine, monkeypatch):
    from datetime import timedelta

    from ekonomi.web import create_app

    monkeypatch.setenv("EKONOMI_SESSION_IDLE_HOURS", "2")
    application = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm})
    try:
        assert application.config["SESSION_IDLE_HOURS"] == 2
        assert application.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    finally:
        application.extensions["ekonomi"].runner.shutdown()
        application.extensions["ekonomi"].engine.dispose()
