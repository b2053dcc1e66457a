"""A voucher and its underlag: the voucher page, the attachment's bytes and
headers, the same under /api/v1; never another company's, nor (for a client
user shown only locked months) anything after the lock date."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ekonomi.core.books import rules
from tests.fakes import HTML, PDF, PNG
from tests.web_support import OTHER, OWN, app, bearer, client, fakesync, login, sync, token_for  # noqa: F401


def ids(app) -> dict[str, int]:
    """Voucher and attachment ids by series+number and filename."""
    with app.extensions["ekonomi"].engine.connect() as conn:
        found = {f"A{n}": i for i, n in conn.execute(text("SELECT id, number FROM voucher"))}
        found.update({f: i for i, f in conn.execute(text("SELECT id, filename FROM attachment"))})
    return found


@pytest.fixture
def synced(app, fakesync):
    assert sync(app)["status"] == "succeeded"
    return ids(app)


def lock(app, day: date | None, mode: str = "locked") -> None:
    with Session(app.extensions["ekonomi"].engine) as s:
        company = rules.get_company(s, OWN)
        company.display_mode, company.lock_date = mode, day
        s.add(company)
        s.commit()


def test_voucher_page_shows_rows_and_underlag(app, client, synced):
    login(client, "client-view")
    overview = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert f"/companies/{OWN}/vouchers/{synced['A1']}" in overview
    summary = overview[overview.index('<span class="mono">A1</span>'):]
    assert '<span class="muted" title="Underlag">📎 1</span>' in summary[: summary.index("</summary>")]
    page = client.get(f"/companies/{OWN}/vouchers/{synced['A1']}").get_data(as_text=True)
    assert "Kundinbetalning" in page and "2026-02-10" in page
    assert "Företagskonto" in page and "Försäljning" in page and "1\u00a0250,00" in page and "1:10" in page
    assert f"/companies/{OWN}/attachments/{synced['kvitto A1.pdf']}" in page and "kvitto A1.pdf" in page
    assert f"({len(PDF)} byte)" in page
    assert "foto-A2.png" not in page  # A2's underlag is A2's


def test_attachment_bytes_and_headers(app, client, synced):
    login(client, "client-view")
    pdf = client.get(f"/companies/{OWN}/attachments/{synced['kvitto A1.pdf']}")
    assert pdf.status_code == 200 and pdf.data == PDF
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline") and "kvitto" in pdf.headers["Content-Disposition"]
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    png = client.get(f"/companies/{OWN}/attachments/{synced['foto-A2.png']}")
    assert png.data == PNG and png.headers["Content-Type"] == "image/png"
    html = client.get(f"/companies/{OWN}/attachments/{synced['faktura.html']}")
    assert html.data == HTML and html.headers["Content-Disposition"].startswith("attachment")  # never shown on our origin
    assert "faktura.html" in html.headers["Content-Disposition"]


def test_api_voucher_and_attachment(app, client, synced):
    headers = bearer(token_for(app, "client-view"))
    body = client.get(f"/api/v1/companies/{OWN}/vouchers/{synced['A1']}", headers=headers).json
    assert (body["series"], body["number"], body["date"], body["text"]) == ("A", "1", "2026-02-10", "Kundinbetalning")
    assert [(r["account"], r["account_name"], r["amount"]) for r in body["rows"]] == [
        ("1930", "Företagskonto", "1250.00"), ("3010", "Försäljning", "-1250.00"),
    ]
    assert body["rows"][0]["objects"] == [{"dimension": 1, "code": "10", "name": ""}]
    assert body["attachments"] == [{"id": synced["kvitto A1.pdf"], "filename": "kvitto A1.pdf", "content_type": "application/pdf", "size": len(PDF)}]
    got = client.get(f"/api/v1/companies/{OWN}/attachments/{synced['kvitto A1.pdf']}", headers=headers)
    assert got.status_code == 200 and got.data == PDF


def test_another_companys_voucher_and_attachment_are_not_found(app, client, synced):
    """A client of OTHER asks for OWN's ids under its own company, and OWN's
    client asks under OTHER: 404 both, as for ids that do not exist."""
    from ekonomi.core.books.users import add_user
    from tests.web_support import PASSWORD

    with Session(app.extensions["ekonomi"].engine) as s:
        add_user(s, "kund@annat.se", PASSWORD, "client", company=rules.get_company(s, OTHER))
        s.commit()
    other = bearer(token_for(app, "kund@annat.se"))
    for path in (f"vouchers/{synced['A1']}", f"attachments/{synced['kvitto A1.pdf']}"):
        missing = client.get(f"/api/v1/companies/{OTHER}/{path}", headers=other)
        assert missing.status_code == 404 and missing.json["code"] == "not_found"
        assert client.get(f"/api/v1/companies/{OWN}/{path}", headers=other).status_code == 404
        assert client.get(f"/api/v1/companies/{OTHER}/{path}", headers=bearer(token_for(app, "client-view"))).status_code == 404
    assert client.get(f"/api/v1/companies/{OWN}/attachments/999999", headers=bearer(token_for(app, "client-view"))).status_code == 404
    login(client, "kund@annat.se")
    assert client.get(f"/companies/{OTHER}/attachments/{synced['kvitto A1.pdf']}").status_code == 404
    assert client.get(f"/companies/{OWN}/vouchers/{synced['A1']}").status_code == 404


def test_locked_months_hide_later_vouchers_and_their_underlag(app, client, synced):
    lock(app, date(2026, 3, 31))
    headers = bearer(token_for(app, "client-view"))
    api = f"/api/v1/companies/{OWN}"
    assert client.get(f"{api}/vouchers/{synced['A1']}", headers=headers).status_code == 200
    assert client.get(f"{api}/attachments/{synced['kvitto A1.pdf']}", headers=headers).status_code == 200
    assert client.get(f"{api}/vouchers/{synced['A2']}", headers=headers).status_code == 404
    assert client.get(f"{api}/attachments/{synced['foto-A2.png']}", headers=headers).status_code == 404
    assert client.get(f"{api}/attachments/{synced['faktura.html']}", headers=headers).status_code == 200  # an invoice's
    # The bureau sees everything; with nothing locked yet, a client sees no voucher.
    assert client.get(f"{api}/vouchers/{synced['A2']}", headers=bearer(token_for(app, "consultant"))).status_code == 200
    lock(app, None)
    assert client.get(f"{api}/vouchers/{synced['A1']}", headers=headers).status_code == 404
    lock(app, None, mode="ongoing")
    assert client.get(f"{api}/vouchers/{synced['A2']}", headers=headers).status_code == 200


def test_a_missing_file_is_a_clear_404_and_logged(app, client, synced, caplog):
    from ekonomi.core.books import settings

    with app.extensions["ekonomi"].engine.connect() as conn:
        digest = conn.execute(text("SELECT sha256 FROM attachment WHERE id = :a"), {"a": synced["foto-A2.png"]}).scalar_one()
    (settings.file_store() / digest[:2] / digest).unlink()
    login(client, "client-view")
    with caplog.at_level(logging.ERROR, logger="ekonomi.web.vouchers"):
        page = client.get(f"/companies/{OWN}/attachments/{synced['foto-A2.png']}")
    assert page.status_code == 404 and "foto-A2.png saknas i filarkivet" in page.get_data(as_text=True)
    assert any("missing from the file store" in r.getMessage() for r in caplog.records)
    api = client.get(f"/api/v1/companies/{OWN}/attachments/{synced['foto-A2.png']}", headers=bearer(token_for(app, "client-view")))
    assert api.status_code == 404 and "missing from the file store" in api.json["message"]


def test_without_the_report_right_nothing_is_served(app, client, synced):
    from ekonomi.core.books.users import get_user, grant

    with Session(app.extensions["ekonomi"].engine) as s:
        grant(s, get_user(s, "kund-import@own.se"), rules.get_company(s, OWN), can_view_reports=False, can_open_settings=False, can_import_files=True)
        s.commit()
    headers = bearer(token_for(app, "client-import"))
    for path in (f"vouchers/{synced['A1']}", f"attachments/{synced['kvitto A1.pdf']}", "invoices"):
        assert client.get(f"/api/v1/companies/{OWN}/{path}", headers=headers).status_code == 403


def test_a_second_sync_keeps_one_link_per_underlag(app, client, synced):
    def stored() -> int:
        with app.extensions["ekonomi"].engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM attachment")).scalar())

    before = stored()
    assert sync(app)["status"] == "succeeded"
    assert stored() == before  # the same underlag brought again is stored once
    again = ids(app)
    body = client.get(f"/api/v1/companies/{OWN}/vouchers/{again['A1']}", headers=bearer(token_for(app, "client-view"))).json
    assert [a["filename"] for a in body["attachments"]] == ["kvitto A1.pdf"]


def test_a_filename_is_made_fit_for_the_header(app, client, synced):
    with app.extensions["ekonomi"].engine.begin() as conn:
        conn.execute(text("UPDATE attachment SET filename = :f WHERE id = :a"), {"f": "räkning\n2026/å.pdf", "a": synced["kvitto A1.pdf"]})
    login(client, "client-view")
    got = client.get(f"/companies/{OWN}/attachments/{synced['kvitto A1.pdf']}")
    assert got.status_code == 200 and got.data == PDF
    disposition = got.headers["Content-Disposition"]
    assert "\n" not in disposition and "filename*=UTF-8''r%C3%A4kning2026_%C3%A5.pdf" in disposition
