"""A bureau admin's rights in the bureau's clients are the bureau's: a
consultant cannot take them away on Användare (issue 12), the page does not
offer it, the server refuses it; the operator's ``users grant``/``revoke``
still change everyone else's."""

from __future__ import annotations

from sqlmodel import Session

from ekonomi.core.cli import cli
from ekonomi.web.commands import register
from tests.web_support import OWN, app, client, login  # noqa: F401

register(cli)
ALL = {"view_reports": True, "open_settings": True, "import_files": True}


def user_id(app, email: str) -> int:
    from ekonomi.core.books.users import get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        return get_user(s, email).id  # type: ignore[return-value]


def rights_of(app, email: str, orgnr: str = OWN) -> dict[str, bool]:
    from ekonomi.core.books import rules
    from ekonomi.core.books.users import get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        return rules.rights(s, get_user(s, email), rules.get_company(s, orgnr))


def run(app, *args: str):
    from click.testing import CliRunner

    url = app.config["DATABASE_URL"]
    return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)


def test_the_users_page_offers_no_boxes_for_the_bureau_admin(app, client):
    login(client, "consultant")
    page = client.get(f"/companies/{OWN}/settings/users").get_data(as_text=True)
    admin = user_id(app, "admin@ett.se")
    konsult = user_id(app, "konsult@ett.se")
    assert f'name="u{admin}_' not in page
    assert "Alla behörigheter (byråadministratör)" in page
    assert f'name="u{konsult}_open_settings"' in page


def test_a_consultant_cannot_untick_the_admins_rights(app, client):
    login(client, "consultant")
    admin = user_id(app, "admin@ett.se")
    konsult = user_id(app, "konsult@ett.se")
    # What a stale or hand-made form sends: every box of the admin unticked
    # but one, the consultant's own boxes kept.
    form = {f"u{admin}_view_reports": "on", **{f"u{konsult}_{r}": "on" for r in ALL}}
    response = client.post(f"/companies/{OWN}/settings/users", data=form)
    assert response.status_code == 403
    assert rights_of(app, "admin@ett.se") == ALL
    login(client, "bureau-admin")
    assert client.get(f"/companies/{OWN}/settings/users").status_code == 200


def test_saving_the_page_leaves_the_admin_alone(app, client):
    login(client, "consultant")
    konsult = user_id(app, "konsult@ett.se")
    form = {f"u{konsult}_{r}": "on" for r in ALL}
    assert client.post(f"/companies/{OWN}/settings/users", data=form).status_code == 302
    assert rights_of(app, "admin@ett.se") == ALL


def test_an_old_narrowing_row_no_longer_locks_the_admin_out(app, client):
    from ekonomi.core.books import models as m
    from ekonomi.core.books.rules import get_company
    from ekonomi.core.books.users import get_user

    with Session(app.extensions["ekonomi"].engine) as s:
        admin, company = get_user(s, "admin@ett.se"), get_company(s, OWN)
        s.add(m.CompanyAccess(user_id=admin.id, company_id=company.id, can_view_reports=False, can_open_settings=False))
        s.commit()
    assert rights_of(app, "admin@ett.se") == ALL
    login(client, "bureau-admin")
    assert client.get(f"/companies/{OWN}/settings/users").status_code == 200


def test_the_operator_grants_and_revokes_with_the_cli(app):
    r = run(app, "users", "revoke", "konsult@ett.se", "--company", OWN, "--right", "import_files")
    assert r.exit_code == 0, r.output
    assert rights_of(app, "konsult@ett.se") == {**ALL, "import_files": False}
    assert run(app, "users", "grant", "konsult@ett.se", "--company", OWN, "--right", "import_files").exit_code == 0
    assert rights_of(app, "konsult@ett.se") == ALL
    assert run(app, "users", "revoke", "kund-full@own.se", "--company", OWN).exit_code == 0
    assert rights_of(app, "kund-full@own.se") == dict.fromkeys(ALL, False)
    assert run(app, "users", "grant", "kund-full@own.se", "--company", OWN, "--right", "open_settings").exit_code == 0
    assert rights_of(app, "kund-full@own.se") == {"view_reports": True, "open_settings": True, "import_files": False}
    refused = run(app, "users", "revoke", "admin@ett.se", "--company", OWN, "--right", "open_settings")
    assert refused.exit_code == 1 and "bureau admin" in refused.output
    assert rights_of(app, "admin@ett.se") == ALL
