"""API tokens can be listed and revoked (issue 12): ``ekonomi tokens list``
and ``revoke``, and on Mitt konto; a revoked token answers 401 at once."""

from __future__ import annotations

import json

from ekonomi.core.cli import cli
from ekonomi.web.commands import register
from tests.web_support import OWN, app, bearer, client, login, token_for  # noqa: F401

register(cli)
IMPORTS = f"/api/v1/companies/{OWN}/imports"


def run(app, *args: str):
    from click.testing import CliRunner

    return CliRunner().invoke(cli, ["--database-url", app.config["DATABASE_URL"], *args], catch_exceptions=False)


def listed(app, *args: str) -> list[dict]:
    result = run(app, "tokens", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["items"]


def test_the_cli_lists_tokens_newest_first_without_their_text(app, client):
    from sqlmodel import Session

    from ekonomi.core.books.users import user_for_token

    first = token_for(app, "bureau-admin")
    token_for(app, "consultant")
    with Session(app.extensions["ekonomi"].engine) as s:
        user_for_token(s, first, touch=True)  # as a POST through the API records it
        s.commit()
    items = listed(app)
    assert [i["email"] for i in items] == ["konsult@ett.se", "admin@ett.se"]
    assert items[1]["last_used_at"] is not None and items[0]["last_used_at"] is None
    assert set(items[0]) == {"id", "email", "name", "created_at", "last_used_at"}
    assert first not in json.dumps(items)
    assert [i["email"] for i in listed(app, "--email", "admin@ett.se")] == ["admin@ett.se"]
    plain = run(app, "tokens", "list")
    assert "admin@ett.se" in plain.output and "never used" in plain.output


def test_a_token_revoked_with_the_cli_answers_401_at_once(app, client):
    token = token_for(app, "bureau-admin")
    assert client.get(IMPORTS, headers=bearer(token)).status_code == 200
    (item,) = listed(app)
    result = run(app, "tokens", "revoke", str(item["id"]), "--json")
    assert result.exit_code == 0 and json.loads(result.output) == {"id": item["id"], "revoked": True}
    assert client.get(IMPORTS, headers=bearer(token)).status_code == 401
    assert listed(app) == []
    again = run(app, "tokens", "revoke", str(item["id"]), "--json")
    assert again.exit_code == 1 and json.loads(again.output)["issues"][0]["code"] == "not_found"


def test_mitt_konto_lists_and_revokes_own_tokens_after_confirmation(app, client):
    token = token_for(app, "bureau-admin")
    (item,) = listed(app)
    login(client, "bureau-admin")
    page = client.get("/account/").get_data(as_text=True)
    assert f'data-token="{item["id"]}"' in page and "Aldrig" in page
    confirm = client.get(f"/account/tokens/{item['id']}/revoke")
    assert confirm.status_code == 200 and "Ja, återkalla" in confirm.get_data(as_text=True)
    assert client.get(IMPORTS, headers=bearer(token)).status_code == 200  # asking revokes nothing
    done = client.post(f"/account/tokens/{item['id']}/revoke", follow_redirects=True)
    assert "är återkallad" in done.get_data(as_text=True)
    assert app.test_client().get(IMPORTS, headers=bearer(token)).status_code == 401


def test_another_users_token_cannot_be_seen_or_revoked(app, client):
    token = token_for(app, "consultant")
    (item,) = listed(app)
    login(client, "bureau-admin")
    assert f'data-token="{item["id"]}"' not in client.get("/account/").get_data(as_text=True)
    assert client.get(f"/account/tokens/{item['id']}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{item['id']}/revoke").status_code == 404
    assert client.get(IMPORTS, headers=bearer(token)).status_code == 200
