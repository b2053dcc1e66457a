""""Ångra senaste importen" on the import page and in the API: the
confirmation names what comes back, the books return to what they were,
the right is the one deleting the latest year needs, nothing left → 409."""

from __future__ import annotations

from tests.fakes import ledger
from tests.web_support import OTHER, OWN, app, bearer, client, fake_file, login, token_for, wait_for  # noqa: F401

UNDO = f"/api/v1/companies/{OWN}/imports/latest/undo"


def imported(app, client, content: str, name: str, headers=None) -> dict:
    r = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(content, name)}, headers=headers or {})
    assert r.status_code == 202, r.json
    result = wait_for(app, r.json["import_id"])
    assert result["status"] == "succeeded", result
    return result


def trial_balance(app) -> list:
    from ekonomi.core.books.reports import trial_balance as tb
    from tests.web_support import company_id

    with app.extensions["ekonomi"].engine.connect() as conn:
        return tb(conn, company_id(app, OWN))["accounts"]


def test_the_button_the_confirmation_and_the_undo(app, client):
    login(client, "client-full")
    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "Ångra senaste importen" not in page  # nothing to undo yet
    imported(app, client, ledger(vouchers=2, year=2023), "a.fake")
    before = trial_balance(app)
    second = imported(app, client, ledger(vouchers=5, year=2023), "b.fake")
    assert trial_balance(app) != before

    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "Ångra senaste importen" in page and "b.fake" in page
    confirm = client.get(f"/companies/{OWN}/settings/import/undo-latest").get_data(as_text=True)
    assert "b.fake" in confirm
    assert "Räkenskapsåret 2023-01-01 – 2023-12-31 återställs: 2 verifikationer i stället för 5" in confirm
    stale = client.post(f"/companies/{OWN}/settings/import/undo-latest", data={"confirm_import": "1"}, follow_redirects=True)
    assert "har ändrats" in stale.get_data(as_text=True)
    assert trial_balance(app) != before
    done = client.post(
        f"/companies/{OWN}/settings/import/undo-latest", data={"confirm_import": str(second["import_id"])}, follow_redirects=True
    )
    body = done.get_data(as_text=True)
    assert f"Import {second['import_id']} (b.fake) är ångrad" in body
    assert f"Import {second['import_id']} (b.fake) ångrades: 2023-01-01 (återställt)" in body  # the event in the log
    assert trial_balance(app) == before
    again = client.get(f"/companies/{OWN}/settings/import/undo-latest", follow_redirects=True).get_data(as_text=True)
    assert "Det finns ingen import att ångra" in again


def test_api_undo_then_409_with_nothing_to_undo(app, client):
    admin = bearer(token_for(app, "bureau-admin"))
    assert client.post(UNDO, headers=admin).status_code == 409
    imported(app, client, ledger(vouchers=2, year=2022), "a.fake", admin)
    before = trial_balance(app)
    second = imported(app, client, ledger(vouchers=3, year=2023), "b.fake", admin)
    response = client.post(UNDO, headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["import_id"] == second["import_id"]
    assert response.json["fiscal_years"] == [
        {"start": "2023-01-01", "end": "2023-12-31", "action": "removed", "vouchers_now": 3, "vouchers_after": 0}
    ]
    assert trial_balance(app) == before
    refused = client.post(UNDO, headers=admin)
    assert refused.status_code == 409
    assert refused.json["code"] == "conflict" and "already undone" in refused.json["message"]


def test_undo_needs_the_right_to_change_the_books(app, client):
    admin = bearer(token_for(app, "bureau-admin"))
    imported(app, client, ledger(vouchers=2, year=2023), "a.fake", admin)
    for who in ("client-view", "client-import"):  # may see or import, not open settings
        response = client.post(UNDO, headers=bearer(token_for(app, who)))
        assert response.status_code == 403, who
        assert response.json["code"] == "forbidden"
    assert client.post(UNDO, headers=bearer(token_for(app, "other-bureau"))).status_code == 404
    login(client, "client-import")
    assert client.get(f"/companies/{OWN}/settings/import/undo-latest").status_code == 403
    page = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "Ångra senaste importen" not in page
    assert client.post(UNDO, headers=admin).status_code == 200  # the import was still there to undo
