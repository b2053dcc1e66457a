"""Signing in and out, cookies, CSRF on forms, tokens, the start page."""

from __future__ import annotations

from tests.web_support import OWN, PASSWORD, app, client, login, runner  # noqa: F401


def test_login_page_and_wrong_password(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Logga in" in page.get_data(as_text=True)
    wrong = client.post("/login", data={"email": "admin@ett.se", "password": "fel-lösen"})
    assert wrong.status_code == 401
    assert "Fel e-postadress eller lösenord" in wrong.get_data(as_text=True)
    unknown = client.post("/login", data={"email": "ingen@x.se", "password": PASSWORD})
    assert unknown.status_code == 401


def test_login_redirects_by_role_and_logout_ends_the_session(client):
    response = login(client, "bureau-admin")
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/bureau/"
    login(client, "client-view")
    assert client.get("/").headers["Location"] == f"/companies/{OWN}/overview"
    assert client.post("/logout").status_code == 302
    assert "/login" in client.get(f"/companies/{OWN}/overview").headers["Location"]


def test_next_is_followed_only_within_the_site(client):
    ok = client.post("/login?next=/bureau/", data={"email": "admin@ett.se", "password": PASSWORD})
    assert ok.headers["Location"] == "/bureau/"
    client.post("/logout")
    evil = client.post("/login?next=https://evil.example/", data={"email": "admin@ett.se", "password": PASSWORD})
    assert evil.headers["Location"] == "/"
    client.post("/logout")
    evil2 = client.post("/login?next=//evil.example/", data={"email": "admin@ett.se", "password": PASSWORD})
    assert evil2.headers["Location"] == "/"


def test_forms_need_csrf_when_enabled(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/login", data={"email": "admin@ett.se", "password": PASSWORD})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    ok = client.post("/login", data={"email": "admin@ett.se", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    # a form in the app without its token is refused too
    assert client.post(f"/companies/{OWN}/settings/report", data={"source": "other"}).status_code == 400


def test_session_cookie_flags(database_url, pm, engine, tmp_path, monkeypatch):
    from ekonomi.web import create_app
    from tests.web_support import make_people

    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    make_people(engine)
    production = create_app({"SECRET_KEY": "x", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm, "WTF_CSRF_ENABLED": False})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    c = production.test_client()
    response = c.post("/login", data={"email": "admin@ett.se", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    production.extensions["ekonomi"].runner.shutdown()
    production.extensions["ekonomi"].engine.dispose()
    testing = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm})
    assert testing.config["SESSION_COOKIE_SECURE"] is False
    testing.extensions["ekonomi"].runner.shutdown()
    testing.extensions["ekonomi"].engine.dispose()


def test_password_is_hashed_and_token_kept_as_sha256(app):
    from sqlmodel import Session, select

    from ekonomi.core.books import models as m
    from ekonomi.core.books.users import create_token, get_user, token_sha256, user_for_token

    with Session(app.extensions["ekonomi"].engine) as s:
        user = get_user(s, "admin@ett.se")
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")
        token = create_token(s, user)
        s.commit()
        row = s.exec(select(m.ApiToken)).one()
        assert row.token_sha256 == token_sha256(token) and token not in row.token_sha256
        assert user_for_token(s, token).email == "admin@ett.se"
        user.active = False
        s.add(user)
        s.commit()
        assert user_for_token(s, token) is None


def test_inactive_user_cannot_sign_in(app, client):
    from sqlmodel import Session

    from ekonomi.core.books.users import get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        u = get_user(s, "konsult@ett.se")
        u.active = False
        s.add(u)
        s.commit()
    assert client.post("/login", data={"email": "konsult@ett.se", "password": PASSWORD}).status_code == 401
