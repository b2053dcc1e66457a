"""Preview and confirmation on the web: the API's ``dry_run`` and
``confirm``, and the upload page's preview with "Importera" and "Avbryt"."""

from __future__ import annotations

import re

from sqlalchemy import text

from ekonomi.web import schemas
from tests.test_import_preview import sie
from tests.web_support import OWN, app, client, fake_file, login, wait_for  # noqa: F401


def imported(app, client, content: str, name: str, **query) -> dict:
    r = client.post(f"/api/v1/companies/{OWN}/imports", query_string=query, data={"file": fake_file(content.encode("cp437"), name)})
    assert r.status_code == 202, r.json
    return wait_for(app, r.json["import_id"])


def voucher_count(app) -> int:
    with app.extensions["ekonomi"].engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM voucher")).scalar_one()


def foreign() -> str:
    """The new user's file: another company's, no orgnr, another program, fewer vouchers."""
    return sie(name="Grannens Bygg AB", orgnr=None, program="Visma", vouchers=1)


def test_api_dry_run_answers_the_preview_and_confirm_imports(app, client):
    login(client, "client-import")
    assert imported(app, client, sie(), "own.se")["status"] == "succeeded"

    r = client.post(f"/api/v1/companies/{OWN}/imports?dry_run=true", data={"file": fake_file(foreign().encode(), "granne.se")})
    assert r.status_code == 200, r.json
    assert schemas.PreviewSchema().validate(r.json) == {}
    assert r.json["status"] == "previewed"
    assert r.json["company_in_file"] == {"name": "Grannens Bygg AB", "orgnr": None}
    assert [y["action"] for y in r.json["years"]] == ["replaced"]
    assert {x["code"] for x in r.json["needs_confirmation"]} == {
        "import.confirm.company", "import.confirm.other_writer", "import.confirm.vouchers_removed",
    }  # fmt: skip
    assert voucher_count(app) == 4
    # The preview is read by its id, and is not in the import log.
    again = client.get(r.headers["Location"])
    assert again.status_code == 200 and again.json["years"] == r.json["years"]
    assert [i["status"] for i in client.get(f"/api/v1/companies/{OWN}/imports").json["items"]] == ["succeeded"]

    # Without confirm: accepted, then failed on the worker with the reasons.
    refused = imported(app, client, foreign(), "granne.se")
    assert refused["status"] == "failed"
    errors = [i["code"] for i in refused["issues"] if i["severity"] == "error"]
    assert errors == ["needs_confirmation", "import.confirm.company", "import.confirm.other_writer", "import.confirm.vouchers_removed"]
    assert voucher_count(app) == 4
    log = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert "bekräftades inte" in log  # the log says why, in Swedish
    # confirm=true as a form field (or a query parameter) imports it.
    r = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(foreign().encode(), "granne.se"), "confirm": "true"})
    assert wait_for(app, r.json["import_id"])["status"] == "succeeded"
    assert voucher_count(app) == 1


def test_upload_page_previews_then_imports_when_confirmed(app, client):
    login(client, "client-import")
    assert imported(app, client, sie(), "own.se")["status"] == "succeeded"

    r = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(foreign().encode(), "granne.se")})
    assert r.status_code == 302
    preview_url = r.headers["Location"]
    preview_id = int(re.search(r"/preview/(\d+)", preview_url).group(1))
    assert wait_for(app, preview_id)["status"] == "previewed"
    page = client.get(preview_url).get_data(as_text=True)
    assert "Importera" in page and "Avbryt" in page and "Jag förstår: importera ändå" in page
    assert "Grannens Bygg AB" in page and "Ersätts" in page
    assert "Filen saknar organisationsnummer" in page and "har 4 verifikationer; efter importen finns 1 kvar" in page
    assert voucher_count(app) == 4

    # "Importera" without the box ticked: nothing happens but a message.
    r = client.post(preview_url, data={"action": "import"}, follow_redirects=True)
    assert "Kryssa i" in r.get_data(as_text=True)
    assert voucher_count(app) == 4
    r = client.post(preview_url, data={"action": "import", "confirm": "yes"}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "importeras nu" in body
    import_id = int(re.search(r"import (\d+)\)", body).group(1))
    assert wait_for(app, import_id)["status"] == "succeeded"
    assert voucher_count(app) == 1
    log = client.get(f"/companies/{OWN}/settings/import/").get_data(as_text=True)
    assert f'data-import-row="{preview_id}"' not in log and f'data-import-row="{import_id}"' in log


def test_upload_page_cancel_changes_nothing(app, client, tmp_path):
    login(client, "client-import")
    r = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(sie().encode(), "own.se")})
    preview_url = r.headers["Location"]
    preview_id = int(preview_url.rsplit("/", 1)[1])
    assert wait_for(app, preview_id)["status"] == "previewed"
    page = client.get(preview_url).get_data(as_text=True)
    assert "Läggs till" in page and "Jag förstår" not in page  # an empty company: no reasons
    kept = list((tmp_path / "files" / "inputs").iterdir())
    assert len(kept) == 1
    r = client.post(preview_url, data={"action": "cancel"}, follow_redirects=True)
    assert "Ingenting ändrades" in r.get_data(as_text=True)
    assert voucher_count(app) == 0
    assert not kept[0].exists()  # the chosen file is not kept
    # Another user cannot see or decide someone's preview.
    login(client, "client-full")
    assert client.get(preview_url).status_code == 404


def test_preview_page_of_a_file_with_errors_offers_only_cancel(app, client):
    login(client, "client-import")
    broken = sie().replace("#TRANS 3010 {} -100.00", "#TRANS 3010 {} -90.00", 1)
    r = client.post(f"/companies/{OWN}/settings/import/", data={"file": fake_file(broken.encode(), "bad.se")})
    preview_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert wait_for(app, preview_id)["status"] == "previewed"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "kan inte importeras" in page and 'id="import-confirm"' not in page and "Avbryt" in page
    assert client.post(r.headers["Location"], data={"action": "import"}, follow_redirects=True).status_code == 200
    assert voucher_count(app) == 0
