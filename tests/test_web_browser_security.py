"""In a real browser (issue 12): the pages work under the Content Security
Policy (no script or style refused), signing out ends the session the
browser kept, and a token is revoked from Mitt konto after a confirmation."""

from __future__ import annotations

import pytest

from tests.test_web_browser import browser, live_server, sign_in  # noqa: F401
from tests.web_support import OWN, bearer, token_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_pages_work_under_the_csp_and_sign_out_ends_the_session(browser, live_server):  # noqa: F811
    app, base = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: refused.append(str(exc)))
    sign_in(page, base, "admin@ett.se")
    pages = ("/bureau/", f"/companies/{OWN}/overview", f"/companies/{OWN}/settings/users", f"/companies/{OWN}/settings/import/", "/account/")
    for path in pages:
        assert page.goto(f"{base}{path}").status == 200, path
        page.wait_for_load_state("networkidle")
    saved = context.cookies()
    page.goto(f"{base}/account/")
    page.get_by_role("button", name="Logga ut").first.click()
    page.wait_for_load_state()
    assert "/login" in page.url
    replay = browser.new_context()
    replay.add_cookies(saved)
    again = replay.new_page()
    again.goto(f"{base}/bureau/")
    assert "/login" in again.url
    replay.close()
    assert not refused, refused
    context.close()


def test_a_token_is_revoked_from_mitt_konto(browser, live_server):  # noqa: F811
    app, base = live_server
    token = token_for(app, "consultant")
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    sign_in(page, base, "konsult@ett.se")
    page.goto(f"{base}/account/")
    page.get_by_role("link", name="Återkalla").click()
    assert "slutar fungera direkt" in page.content()
    page.get_by_role("button", name="Ja, återkalla").click()
    page.wait_for_load_state()
    assert page.get_by_text("är återkallad").is_visible()
    answer = context.request.get(f"{base}/api/v1/companies/{OWN}/imports", headers=bearer(token))
    assert answer.status == 401
    context.close()
