"""In a real browser: signing in starts the sync, Översikt says it runs,
and its script shows the books by itself once the sync has ended."""

from __future__ import annotations

import threading

import pytest

from tests.fakes import FakeSync
from tests.test_web_browser import browser, live_server, sign_in  # noqa: F401
from tests.web_support import ROLES, use_fakesync

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_notice_follows_the_sync_and_the_page_shows_its_books(browser, live_server, pm):  # noqa: F811
    app, base = live_server
    source = FakeSync()
    source.gate = threading.Event()
    use_fakesync(app, pm, source)
    app.config["SYNC_ON_LOGIN"] = True
    page = browser.new_page()
    try:
        sign_in(page, base, ROLES["client-view"])
        notice = page.locator("#sync-notice")
        assert "Uppdatering pågår" in notice.inner_text()
        assert page.locator("#invoices").inner_text().count("Inga obetalda fakturor") == 1
        source.gate.set()
        notice.wait_for(state="detached", timeout=15_000)  # the script reloaded the page
        assert "Kundfakturor (2)" in page.locator("#invoices").inner_text()
    finally:
        source.gate.set()
        page.close()
