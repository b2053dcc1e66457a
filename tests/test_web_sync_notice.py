"""Översikt while a sync or import of the company is queued or running:
a notice that the page's script follows at GET /api/v1/imports/<id>, and
that is gone once the import has ended."""

from __future__ import annotations

import threading

from tests.web_support import OWN, app, bearer, client, fakesync, login, token_for, wait_for  # noqa: F401

OVERVIEW = f"/companies/{OWN}/overview"


def test_signing_in_lands_on_a_page_that_shows_the_sync_running(app, client, fakesync):
    app.config["SYNC_ON_LOGIN"] = True
    fakesync.gate = threading.Event()
    try:
        landed = login(client, "client-view")
        page = client.get(landed.headers["Location"], follow_redirects=True).get_data(as_text=True)
        assert "Översikt: Exempel AB" in page
        assert "Uppdatering pågår …" in page
        url = page.split('data-sync-url="')[1].split('"')[0]
        assert client.get(url).json["status"] in ("queued", "running")  # the user follows the sync they started
    finally:
        fakesync.gate.set()
    import_id = int(url.rsplit("/", 1)[1])
    assert wait_for(app, import_id)["status"] == "succeeded"
    page = client.get(OVERVIEW).get_data(as_text=True)
    assert "Uppdatering pågår" not in page and "data-sync-url" not in page
    assert "Obetalda fakturor" in page and "Kundinbetalning" in page


def test_a_sync_another_started_shows_as_text_without_polling(app, client, fakesync):
    fakesync.gate = threading.Event()
    try:
        started = client.post(f"/api/v1/companies/{OWN}/refresh", headers=bearer(token_for(app, "consultant")))
        import_id = started.json["import_id"]
        login(client, "client-view")
        page = client.get(OVERVIEW).get_data(as_text=True)
        assert "Uppdatering pågår …" in page and "ladda om sidan om en stund" in page
        assert "data-sync-url" not in page
        assert client.get(f"/api/v1/imports/{import_id}").status_code == 403  # not theirs, no import log right
        login(client, "client-full")  # sees the import log: follows it
        assert f'data-sync-url="/api/v1/imports/{import_id}"' in client.get(OVERVIEW).get_data(as_text=True)
    finally:
        fakesync.gate.set()
    wait_for(app, import_id)


def test_a_queued_file_import_is_an_import(app, client, tmp_path):
    """Written to the queue, not run (as a file waits behind another import)."""
    from ekonomi.core import FileInput
    from ekonomi.core.engine.pipeline import ImportRequest, submit

    services = app.extensions["ekonomi"]
    path = tmp_path / "bok.fake"
    path.write_text("orgnr 556677-8899\n", encoding="utf-8")
    request = ImportRequest(company=OWN, file=FileInput(path, path.name), source="fake", started_by="user:kund-full@own.se")
    import_id = submit(services.engine, services.pm, request)
    login(client, "client-full")
    page = client.get(OVERVIEW).get_data(as_text=True)
    assert "Import pågår …" in page and "Den väntar på sin tur." in page
    assert f'data-sync-url="/api/v1/imports/{import_id}"' in page


def test_the_company_list_marks_a_sync_under_way(app, client, fakesync):
    """A user of several companies lands on the list after signing in."""
    from sqlmodel import Session

    from ekonomi.core.books import rules
    from ekonomi.core.books.users import get_user, grant
    from tests.web_support import OTHER

    with Session(app.extensions["ekonomi"].engine) as s:
        grant(s, get_user(s, "kund-se@own.se"), rules.get_company(s, OTHER), can_view_reports=True, can_open_settings=False, can_import_files=False)
        s.commit()
    app.config["SYNC_ON_LOGIN"] = True
    fakesync.gate = threading.Event()
    try:
        login(client, "client-view")
        page = client.get("/").get_data(as_text=True)
    finally:
        fakesync.gate.set()
    page = page[page.index('<ul class="plain">'):]
    own = page[page.index("Exempel AB"):]
    assert "Uppdatering pågår …" in own[: own.index("</li>")]
    other = page[page.index("Annat AB"):]
    assert "pågår" not in other[: other.index("</li>")]  # on other sources: no sync
