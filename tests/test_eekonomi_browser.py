"""Connecting a company to eEkonomi and syncing it, in a real browser:
Chromium (Playwright) against the app served by waitress, with the
emulator as the identity server and API, all on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from ekonomi.plugins.eekonomi.emulator import create_app as create_emulator
from ekonomi.plugins.eekonomi.emulator import running
from tests import eekonomi_support as es
from tests.test_web_browser import ARTIFACTS, _free_port, browser, sign_in  # noqa: F401
from tests.web_support import make_people

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(database_url, pm, engine, tmp_path, monkeypatch):
    from waitress.server import create_server

    from ekonomi.core.books.companies import add_company
    from ekonomi.web import create_app

    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    port = _free_port()
    with running(create_emulator({"generate": {"random_seed": 11, "vouchers": 700}})) as emulator:
        es.point_at(monkeypatch, emulator)
        monkeypatch.setenv("EKONOMI_EEKONOMI_REDIRECT_URI", f"http://127.0.0.1:{port}/eekonomi/callback")
        es.register(pm)
        make_people(engine)
        with Session(engine) as session:
            add_company(session, es.ORGNR, "Demo eEkonomi AB", "Byrå Ett")
            session.commit()
        app = create_app({"SECRET_KEY": "browser-test", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm, "SYNC_ON_LOGIN": False})
        server = create_server(app, host="127.0.0.1", port=port, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        yield app, f"http://127.0.0.1:{port}"
        server.close()
        app.extensions["ekonomi"].runner.shutdown()
        app.extensions["ekonomi"].engine.dispose()


def test_connect_and_sync_in_the_browser(browser, served):
    app, base = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "admin@ett.se")

    page.goto(f"{base}/companies/{es.ORGNR}/settings/report")
    page.get_by_label("Visma eEkonomi").check()
    page.get_by_role("button", name="Spara").click()
    assert "Inte ansluten till Visma eEkonomi" in page.content()
    page.get_by_role("link", name="Anslut till Visma eEkonomi").click()  # to Visma's consent, which says yes at once
    page.wait_for_url(f"{base}/companies/{es.ORGNR}/settings/report")
    assert "är anslutet till Visma eEkonomi" in page.content()
    assert "Ansluten till Visma eEkonomi (Demo eEkonomi AB)" in page.content()
    page.screenshot(path=str(ARTIFACTS / "eekonomi-connected.png"), full_page=True)

    page.get_by_role("button", name="Uppdatera").click()
    assert "Uppdateringen har startat" in page.content()
    from ekonomi.core.engine import runlog

    services = app.extensions["ekonomi"]
    with services.engine.connect() as conn:
        from sqlalchemy import text

        latest = conn.execute(text("SELECT max(id) FROM import_run")).scalar()
    services.runner.wait(latest, timeout=120)
    result = runlog.load(services.engine, latest).as_json()
    assert result["status"] == "succeeded", result["issues"]
    page.goto(f"{base}/companies/{es.ORGNR}/overview")
    assert "Försäljning" in page.content() or "Intäkter" in page.content()
    assert "Obetalda fakturor" in page.content()
    page.screenshot(path=str(ARTIFACTS / "eekonomi-overview.png"), full_page=True)
    page.goto(f"{base}/bureau/")
    assert "Ansluten till Visma eEkonomi (Demo eEkonomi AB)" in page.content()
    page.screenshot(path=str(ARTIFACTS / "eekonomi-bureau.png"), full_page=True)
    assert errors == []
