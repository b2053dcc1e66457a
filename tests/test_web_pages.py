"""The pages: what each shows, and that forms do what they say."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from tests.fakes import ledger
from tests.web_support import OTHER, OWN, app, client, fake_file, login, runner, wait_for  # noqa: F401


def imported(app, client, content=None, name="bok.fake"):
    r = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(content or ledger(vouchers=3), name)})
    assert r.status_code == 202, r.json
    return wait_for(app, r.json["import_id"])


def test_import_page_shows_button_log_and_events(app, client):
    login(client, "client-import")
    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "Inställningar - Import" in page and "Importera SIE4-fil" in page
    assert "Inga importer ännu" in page
    assert "Ta bort data för det senaste räkenskapsåret" not in page  # needs the settings right
    result = imported(app, client)
    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert f'data-import-row="{result["import_id"]}"' in page
    assert "bok.fake" in page and "Lyckad" in page and "user:kund-import@own.se" in page
    assert "2023-01-01 – 2023-12-31" in page


def test_non_js_form_upload_and_bad_file_message(app, client):
    login(client, "client-import")
    # A chosen file is previewed first (tests/test_web_preview.py has the rest).
    ok = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(ledger())}, follow_redirects=True)
    assert "Förhandsgranska import av bok.fake" in ok.get_data(as_text=True)
    bad = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(b"\x00\x01", "x.bin")}, follow_redirects=True)
    body = bad.get_data(as_text=True)
    assert "ingen SIE-fil" in body and "Misslyckad" in body
    app.extensions["ekonomi"].runner.shutdown()


def test_too_large_upload_on_the_page(app, client):
    login(client, "client-import")
    r = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file("x" * (1200 * 1024), "stor.se")})
    assert r.status_code == 413
    assert "Filen är för stor" in r.get_data(as_text=True)


def test_detail_page_lists_every_issue_with_lines(app, client):
    login(client, "client-full")
    bad = ledger(vouchers=2) + "voucher A 9 2023-03-01 Bad\nrow 1910 10.00\nrow 3010 -9.00\n"
    result = imported(app, client, bad)
    assert result["status"] == "failed"
    page = client.get(f"/companies/{OWN}/settings/import/{result['import_id']}").get_data(as_text=True)
    line = bad.splitlines().index("voucher A 9 2023-03-01 Bad") + 1
    assert "ledger.unbalanced" in page and f'<td class="num">{line}</td>' in page
    assert "Fel" in page


def test_delete_latest_confirmation_names_the_year_and_deletes(app, client):
    login(client, "client-full")
    imported(app, client, ledger(vouchers=2, year=2022))
    imported(app, client, ledger(vouchers=4, year=2023))
    page = client.get(f"/companies/{OWN}/settings/import/delete-latest").get_data(as_text=True)
    assert "2023-01-01 – 2023-12-31" in page and "4 verifikationer med 8 rader" in page
    stale = client.post(f"/companies/{OWN}/settings/import/delete-latest", data={"confirm_start": "2022-01-01"}, follow_redirects=True)
    assert "har ändrats" in stale.get_data(as_text=True)
    done = client.post(f"/companies/{OWN}/settings/import/delete-latest", data={"confirm_start": "2023-01-01"}, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "är borttaget" in body and "togs bort (4 verifikationer)" in body
    with app.extensions["ekonomi"].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 2


def test_report_settings_offer_integration_and_display_mode(app, client):
    login(client, "consultant")
    page = client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)
    assert "Annan källa för redovisningsdata" in page and "Fake eEkonomi" in page
    assert "Visning av bokföringsdata i diagram och rapporter" in page
    r = client.post(f"/companies/{OWN}/settings/report", data={"source": "other", "display_mode": "locked", "lock_date": "2023-02-05"})
    assert r.status_code == 302
    bad = client.post(f"/companies/{OWN}/settings/report", data={"source": "other", "display_mode": "locked", "lock_date": ""})
    assert bad.status_code == 400
    login(client, "client-full")
    page = client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)
    assert "Visning av bokföringsdata" not in page  # only the bureau decides
    client.post(f"/companies/{OWN}/settings/report", data={"source": "other", "display_mode": "ongoing"})
    from ekonomi.core.books.rules import get_company

    with Session(app.extensions["ekonomi"].engine) as s:
        c = get_company(s, OWN)
        assert c.display_mode == "locked" and c.lock_date.isoformat() == "2023-02-05"


def test_eekonomi_shown_disabled_without_an_integration_plugin(app, client):
    app.extensions["ekonomi"].pm.unregister("fakeint")
    login(client, "bureau-admin")
    page = client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)
    assert 'id="source-eekonomi" name="source" value="eekonomi" disabled' in page
    assert "inte installerad" in page


def test_locked_months_limit_what_clients_see(app, client):
    login(client, "client-full")
    imported(app, client, ledger(vouchers=10))  # vouchers on 2023-02-02 … 2023-02-11
    login(client, "consultant")
    client.post(f"/companies/{OWN}/settings/report", data={"source": "other", "display_mode": "locked", "lock_date": "2023-02-05"})
    staff = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert "Verifikationer (10)" in staff
    login(client, "client-view")
    seen = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert "Verifikationer (4)" in seen and "låsta månader till och med 2023-02-05" in seen
    assert "400,00" in seen  # 1910 movement: 4 × 100.00


def test_overview_numbers_chart_data_and_paging(app, client):
    import json

    login(client, "client-view")
    empty = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert "ingen bokföring" in empty
    login(client, "client-full")
    imported(app, client, ledger(vouchers=30, prev_year=True))
    page = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert 'data-account="1910"' in page and "1\u00a0000,00" in page and "4\u00a0000,00" in page
    chart = json.loads(page.split('<script type="application/json" id="chart-data">')[1].split("</script>")[0])
    assert len(chart) == 12
    assert chart[1] == {"month": "2023-02", "revenue": "3000.00", "costs": "0.00", "result": "3000.00"}
    assert "Sida 1 av 2" in page
    second = client.get(f"/companies/{OWN}/overview?year=2023-01-01&page=2").get_data(as_text=True)
    assert "Sida 2 av 2" in second and "Sale 27" in second and "Sale 30" not in second
    assert client.get(f"/companies/{OWN}/overview?year=1999-01-01").status_code == 404
    assert client.get(f"/companies/{OWN}/overview?year=nonsense").status_code == 400


def test_users_page_edits_rights(app, client):
    login(client, "bureau-admin")
    page = client.get(f"/companies/{OWN}/settings/users").get_data(as_text=True)
    assert "kund-se@own.se" in page and "konsult@ett.se" in page and "admin@tva.se" not in page
    from ekonomi.core.books.users import get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        uid = get_user(s, "kund-se@own.se").id
        admin_id = get_user(s, "admin@ett.se").id
    form = {f"u{admin_id}_{r}": "on" for r in ("view_reports", "open_settings", "import_files")}
    form.update({f"u{uid}_view_reports": "on", f"u{uid}_import_sie4": "on"})  # the right's old name still works
    assert client.post(f"/companies/{OWN}/settings/users", data=form).status_code == 302
    login(client, "client-view")
    assert client.get(f"/companies/{OWN}/settings/import/").status_code == 200
    login(client, "bureau-admin")
    client.post(f"/companies/{OWN}/settings/users/add", data={"email": "ny@own.se", "password": "langt-losen", "import_files": "on"})
    login(client, "ny@own.se", "langt-losen")
    assert client.get(f"/companies/{OWN}/settings/import/").status_code == 200
    assert client.get(f"/companies/{OWN}/settings/report").status_code == 403


def test_bureau_page_add_client_and_sources(app, client):
    login(client, "bureau-admin")
    page = client.get("/bureau/").get_data(as_text=True)
    assert "Exempel AB" in page and "Annan källa för redovisningsdata" in page and "Lägg till klient" in page
    r = client.post("/bureau/companies", data={"orgnr": "5561234567", "name": "Nya Kunden AB"}, follow_redirects=True)
    assert "Nya Kunden AB (556123-4567) är tillagd" in r.get_data(as_text=True)
    dup = client.post("/bureau/companies", data={"orgnr": "556123-4567", "name": "Igen"}, follow_redirects=True)
    assert "finns redan" in dup.get_data(as_text=True)
    client.post(f"/bureau/companies/{OWN}/sources", data={"source_sie4": "on"})
    from ekonomi.core.books import rules

    services = app.extensions["ekonomi"]
    with Session(services.engine) as s:
        enabled = rules.enabled_sources(s, services.pm, rules.get_company(s, OWN))
    assert "sie4" in enabled and "fake" not in enabled and "fakeint" not in enabled


def test_failed_plugins_are_shown_to_bureau_admins_only(app, client):
    from ekonomi.core.engine.plugins import PluginInfo

    app.extensions["ekonomi"].pm.failed.append(PluginInfo(name="trasig", plugin="trasig.mod", state="failed", error="ImportError: no"))
    login(client, "bureau-admin")
    assert "ImportError: no" in client.get("/bureau/").get_data(as_text=True)
    login(client, "consultant")
    assert "ImportError: no" not in client.get("/bureau/").get_data(as_text=True)


def test_menu_shows_uppdatera_only_for_integrations(app, client):
    login(client, "bureau-admin")
    assert "Uppdatera" not in client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    client.put(f"/api/v1/companies/{OWN}/data-source", json={"source": "fakeint"})
    page = client.get(f"/companies/{OWN}/overview").get_data(as_text=True)
    assert "Uppdatera" in page
    r = client.post(f"/companies/{OWN}/refresh", follow_redirects=True)
    assert "Uppdateringen har startat" in r.get_data(as_text=True)
    app.extensions["ekonomi"].runner.shutdown()


def test_client_with_one_company_lands_on_its_overview(app, client):
    login(client, "client-view")
    r = client.get("/", follow_redirects=True)
    assert "Översikt: Exempel AB" in r.get_data(as_text=True)
    assert "Inställningar" not in r.get_data(as_text=True).split("<main")[0]
