"""End to end in a real browser: Debian's chromium driven by Playwright,
against the app served by waitress on 127.0.0.1 (production cookie
settings: Secure, HttpOnly, SameSite=Lax; CSRF on)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT, need
from tests.web_support import OWN, PASSWORD, FakeIntegrationPlugin, bearer, make_people, token_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("EKONOMI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SIE_FILE = "jsisie__sie_test_files__SIE_exempelfil.se"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need(sync_playwright is not None, "playwright (python) is not installed")
    need(Path(CHROMIUM).exists() or shutil.which("chromium") is not None, f"chromium is not at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(database_url, pm, engine, tmp_path, monkeypatch):
    from waitress.server import create_server

    from ekonomi.core.books.companies import add_company
    from ekonomi.web import create_app

    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    monkeypatch.setattr("ekonomi.core.books.users.PASSWORD_METHOD", "pbkdf2:sha256:1000")
    pm.register(FakeIntegrationPlugin(), name="fakeint", builtin=True)
    make_people(engine)
    app = create_app({"SECRET_KEY": "browser-test", "DATABASE_URL": database_url, "PLUGIN_MANAGER": pm, "SYNC_ON_LOGIN": False})
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{port}"
    server.close()
    app.extensions["ekonomi"].runner.shutdown()
    app.extensions["ekonomi"].engine.dispose()


def _sie_orgnr(path: Path) -> str | None:
    for raw in path.read_bytes().splitlines():
        if raw.startswith(b"#ORGNR"):
            parts = raw.decode("cp437").split()
            return parts[1] if len(parts) > 1 else None
    return None


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def test_import_in_the_browser(browser, live_server, sie_corpus):
    from ekonomi.core.books.companies import add_company

    app, base = live_server
    sie = sie_corpus / SIE_FILE
    need(sie.is_file(), f"{SIE_FILE} is not in the corpus")
    # The example file states no orgnr and another company's name: the
    # import warns, and needs a confirmation.
    assert _sie_orgnr(sie) in (None, "")
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "admin@ett.se")
    assert page.url.endswith("/bureau/")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["session"]["httpOnly"] and cookies["session"]["secure"] and cookies["session"]["sameSite"] == "Lax"

    # Switch the data source to the integration: the import page refuses files.
    page.goto(f"{base}/companies/{OWN}/settings/report")
    page.get_by_label("Fake eEkonomi").check()
    page.get_by_role("button", name="Spara").click()
    page.goto(f"{base}/companies/{OWN}/settings/import/")
    assert page.get_by_role("button", name="Importera SIE4-fil").count() == 0
    assert "import av SIE4-filer är avstängd" in page.content()
    assert page.get_by_role("button", name="Uppdatera").is_visible()
    # ... and back to "Annan källa för redovisningsdata".
    page.goto(f"{base}/companies/{OWN}/settings/report")
    page.get_by_label("Annan källa för redovisningsdata").check()
    page.get_by_role("button", name="Spara").click()
    assert page.get_by_text("Rapportinställningarna är sparade").is_visible()

    # Upload: the button opens the file chooser; choosing uploads with progress
    # and previews the import.
    page.goto(f"{base}/companies/{OWN}/settings/import/")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Importera SIE4-fil").click()
    chooser.value.set_files(str(sie))
    page.wait_for_selector(".progress-box", timeout=10_000)
    # The preview: the file names another company and no orgnr, so the
    # import needs the box ticked; nothing is imported before "Importera".
    page.wait_for_selector("#preview-form", timeout=60_000)
    assert "SBMDEMO Lars" in page.content() and "Läggs till" in page.content()
    assert "Filen saknar organisationsnummer" in page.content()
    page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="Importera", exact=True).click()
    assert page.get_by_text("Kryssa i").is_visible()
    page.get_by_label("Jag förstår: importera ändå").check()
    page.get_by_role("button", name="Importera", exact=True).click()
    # When it finishes the page reloads and shows the log row.
    page.wait_for_selector("tr[data-import-row] .badge-succeeded", timeout=60_000)
    row = page.locator("tr[data-import-row]").first
    text = row.inner_text()
    assert SIE_FILE in text and "user:admin@ett.se" in text and "SIE4-fil" in text
    page.screenshot(path=str(ARTIFACTS / "import-page.png"), full_page=True)

    # The details page lists the warnings with line numbers.
    row.get_by_role("link", name="Detaljer").click()
    assert "Fel och varningar" in page.content()
    page.screenshot(path=str(ARTIFACTS / "import-detail.png"), full_page=True)

    # The overview shows the numbers of the trial balance and the chart.
    page.goto(f"{base}/companies/{OWN}/overview")
    page.wait_for_function("() => window.Chart && Chart.getChart('result-chart') !== undefined")
    from ekonomi.core.books.reports import trial_balance

    services = app.extensions["ekonomi"]
    with services.engine.connect() as conn:
        from tests.web_support import company_id

        tb = trial_balance(conn, company_id(app, OWN))
    some = next(a for a in tb["accounts"] if a["closing"] != "0.00")
    cells = page.locator(f'#trial-balance tr[data-account="{some["account"]}"] td').all_inner_texts()
    from ekonomi.web.services import _money

    assert _money(some["closing"]) in [c.replace("\u00a0", "\u00a0") for c in cells]
    assert page.locator("#total-result").inner_text().endswith("kr")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    assert not errors, errors
    context.close()


def test_client_without_import_right_sees_no_button_and_gets_403(browser, live_server):
    app, base = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
    page = context.new_page()
    sign_in(page, base, "kund-se@own.se")
    assert page.url.endswith(f"/companies/{OWN}/overview")
    assert page.get_by_role("link", name="Inställningar").count() == 0
    response = page.goto(f"{base}/companies/{OWN}/settings/import/")
    assert response.status == 403
    assert page.get_by_role("button", name="Importera SIE4-fil").count() == 0
    # The API refuses the upload, with the browser's own session ...
    status = page.evaluate(
        """async (url) => {
            const data = new FormData();
            data.append('file', new Blob(['orgnr 556677-8899\\n']), 'x.fake');
            const token = document.querySelector('meta[name=csrf-token]').content;
            const r = await fetch(url, {method: 'POST', body: data, headers: {'X-CSRFToken': token}});
            return [r.status, (await r.json()).code];
        }""",
        f"{base}/api/v1/companies/{OWN}/imports",
    )
    assert status == [403, "forbidden"]
    # ... and with the user's token.
    api = context.request.post(
        f"{base}/api/v1/companies/{OWN}/imports",
        headers=bearer(token_for(app, "client-view")),
        multipart={"file": {"name": "x.fake", "mimeType": "text/plain", "buffer": b"orgnr 556677-8899\n"}},
    )
    assert api.status == 403
    context.close()
