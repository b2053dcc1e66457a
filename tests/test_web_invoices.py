"""Obetalda fakturor on Översikt and GET /api/v1/companies/<orgnr>/invoices:
the stored snapshot a sync brought, totals per kind in SEK, overdue marks,
and only for those who see the company's reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ekonomi.core import Invoice
from tests.fakes import sync_books
from tests.web_support import OTHER, OWN, app, bearer, client, fakesync, login, sync, token_for  # noqa: F401

URL = f"/api/v1/companies/{OWN}/invoices"


def test_api_lists_unpaid_invoices_by_due_date_with_totals(app, client, fakesync):
    assert sync(app)["status"] == "succeeded"
    today = date.today()
    body = client.get(URL, headers=bearer(token_for(app, "client-view"))).json
    assert [i["number"] for i in body["items"]] == ["1001", "L-55", "1002"]  # due -10, +10, +25 days
    first = body["items"][0]
    assert first["overdue"] is True and first["due_date"] == (today - timedelta(days=10)).isoformat()
    assert first["remaining_amount"] == "1000.00" and first["remaining_amount_sek"] == "1000.00"
    assert first["counterparty_name"] == "Sparlivs AB" and first["counterparty_number"] == "K7"
    euro = body["items"][2]
    assert (euro["currency"], euro["remaining_amount"], euro["remaining_amount_sek"], euro["overdue"]) == ("EUR", "100.00", "1150.75", False)
    assert len(euro["attachments"]) == 1
    assert body["totals"]["customer"] == {
        "count": 2, "remaining_sek": "2150.75", "overdue_count": 1, "overdue_sek": "1000.00", "without_sek": 0,
    }
    assert body["totals"]["supplier"]["remaining_sek"] == "499.00" and body["totals"]["supplier"]["overdue_count"] == 0
    assert body["as_of"] == today.isoformat()


def test_a_foreign_invoice_without_a_sek_value_is_counted_apart(app, client, fakesync):
    today = date.today()
    fakesync.records = [
        *sync_books(today)[:5],
        Invoice("supplier", "X1", None, "Far Away Ltd", None, None, "USD", Decimal("10.00"), Decimal("10.00"), None, today),
        Invoice("supplier", "X2", None, "Stora AB", today, today, "SEK", Decimal("12345678901.23"), Decimal("12345678901.23"), None, today),
    ]
    assert sync(app)["status"] == "succeeded"
    body = client.get(URL, headers=bearer(token_for(app, "client-view"))).json
    assert [i["number"] for i in body["items"]] == ["X2", "X1"]  # no due date: last
    assert body["totals"]["supplier"]["remaining_sek"] == "12345678901.23"  # exact, and X1 not in it
    assert body["totals"]["supplier"]["without_sek"] == 1
    assert body["items"][0]["overdue"] is False  # due today is not overdue yet
    assert body["totals"]["customer"]["count"] == 0 and body["totals"]["customer"]["remaining_sek"] == "0.00"


def test_overview_shows_the_invoices_in_swedish(app, client, fakesync):
    sync(app)
    login(client, "client-view")
    page = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    section = page[page.index('id="invoices"'):]
    assert f"per {date.today().isoformat()}" in section
    assert "Kundfakturor (2)" in section and "Leverantörsfakturor (1)" in section
    assert "2\u00a0150,75 kr" in section and "499,00 kr" in section  # totals in SEK
    row = section[section.index('data-invoice="1001"'):]
    row = row[: row.index("</tr>")]
    assert "Förfallen" in row and "Sparlivs AB" in row and "1\u00a0000,00 kr" in row
    euro = section[section.index('data-invoice="1002"'):]
    euro = euro[: euro.index("</tr>")]
    assert "100,00 EUR" in euro and "1\u00a0150,75 kr" in euro and "Förfallen" not in euro
    assert "/attachments/" in euro  # the paperclip to its underlag
    assert section.index('data-invoice="1001"') < section.index('data-invoice="1002"')


def test_no_invoices_says_so(app, client):
    login(client, "client-view")
    page = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert "Inga obetalda fakturor." in page


def test_invoices_only_for_those_who_see_the_company(app, client, fakesync):
    sync(app)
    assert client.get(URL, headers=bearer(token_for(app, "other-bureau"))).status_code == 404
    assert client.get(f"/api/v1/companies/{OTHER}/invoices", headers=bearer(token_for(app, "client-view"))).status_code == 404
    assert client.get(URL).status_code == 401


def test_a_second_sync_shows_each_invoice_underlag_once(app, client, fakesync):
    sync(app)
    sync(app)
    body = client.get(URL, headers=bearer(token_for(app, "client-view"))).json
    assert [len(i["attachments"]) for i in body["items"]] == [0, 0, 1]
