"""Account rules (issue 12): e-mail addresses by email-validator, passwords
of 10 characters or more, not common (zxcvbn), not containing the address;
everywhere one is set, while existing accounts keep signing in."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ekonomi.core.books import models as m

from ekonomi.core.books.credentials import WeakCredentials, check_password, normalize_email
from ekonomi.core.cli import cli
from ekonomi.web.commands import register
from tests.web_support import OWN, PASSWORD, app, client, login  # noqa: F401

register(cli)


@pytest.mark.parametrize("email", ["@", "a@", "@own.se", "kund", "kund@own", "kund@@own.se", "kund @own.se", ""])
def test_malformed_addresses_are_refused(email):
    with pytest.raises(WeakCredentials) as refused:
        normalize_email(email)
    assert refused.value.rule == "email" and refused.value.code == "bad_request"


def test_an_address_is_kept_in_lower_case():
    assert normalize_email("  Karin.Kund@Own.SE ") == "karin.kund@own.se"


@pytest.mark.parametrize(
    "password, email, rule",
    [
        (" " * 8, "kund@own.se", "password_short"),
        (" " * 12, "kund@own.se", "password_short"),
        ("12345678", "kund@own.se", "password_short"),
        ("1234567890", "kund@own.se", "password_common"),
        ("qwertyuiop", "kund@own.se", "password_common"),
        ("kund@own.se", "kund@own.se", "password_email"),
        ("karin.kund@own.se", "karin.kund@own.se", "password_email"),
        ("hej-karin.kund-99", "karin.kund@own.se", "password_email"),
        ("aaaaaaaaaaaa", "kund@own.se", "password_weak"),
        ("abcabcabcabc", "kund@own.se", "password_weak"),
    ],
)
def test_weak_passwords_are_refused(password, email, rule):
    with pytest.raises(WeakCredentials) as refused:
        check_password(password, email)
    assert refused.value.rule == rule


@pytest.mark.parametrize("password", [PASSWORD, "korrekt-häst-batteri", "tio-tecken-x"])
def test_good_passwords_pass(password):
    check_password(password, "karin.kund@own.se")


def test_a_short_local_part_is_not_looked_for_inside_the_password():
    check_password("kaffe-och-bulle", "k@own.se")


def run(app, *args: str):
    from click.testing import CliRunner

    return CliRunner().invoke(cli, ["--database-url", app.config["DATABASE_URL"], *args], catch_exceptions=False)


@pytest.mark.parametrize(
    "email, password, says",
    [
        ("a@", "korrekt-häst-batteri", "not an e-mail address"),
        ("ny@own.se", "12345678", "at least 10 characters"),
        ("ny@own.se", "1234567890", "most common passwords"),
        ("nyanställd@own.se", "nyanställd@own.se", "must not contain the e-mail address"),
    ],
)
def test_the_cli_refuses_weak_accounts_in_english(app, email, password, says):
    result = run(app, "users", "add", email, "--password", password, "--role", "client", "--company", OWN)
    assert result.exit_code == 1
    assert says in result.output


@pytest.mark.parametrize(
    "email, password, says",
    [
        ("@", "korrekt-häst-batteri", "Ange en giltig e-postadress"),
        ("ny@own.se", " " * 8, "minst 10 tecken"),
        ("ny@own.se", "12345678", "minst 10 tecken"),
        ("ny@own.se", "1234567890", "vanligaste lösenorden"),
        ("nyanstalld@own.se", "nyanstalld@own.se", "får inte innehålla e-postadressen"),
    ],
)
def test_the_users_page_refuses_weak_accounts_in_swedish(app, client, email, password, says):
    login(client, "consultant")
    url = f"/companies/{OWN}/settings/users"
    page = client.post(f"{url}/add", data={"email": email, "password": password}, follow_redirects=True)
    assert says in page.get_data(as_text=True)
    with Session(app.extensions["ekonomi"].engine) as s:
        assert s.exec(select(m.User).where(m.User.email == email)).first() is None
    assert app.test_client().post("/login", data={"email": email, "password": password}).status_code == 401


def test_a_password_change_follows_the_rules(app, client):
    login(client, "client-view")
    answer = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "kund-se@own.se", "repeat_password": "kund-se@own.se"},
        follow_redirects=True,
    )
    assert "får inte innehålla e-postadressen" in answer.get_data(as_text=True)
    client.post("/logout")
    login(client, "client-view")  # the old password still works


def test_existing_accounts_under_older_rules_keep_signing_in(app, client):
    from ekonomi.core.books.users import hash_password

    with Session(app.extensions["ekonomi"].engine) as s:
        s.add(m.User(email="a@", password_hash=hash_password("kort-pw"), role="consultant", bureau_id=1))
        s.commit()
    login(client, "a@", "kort-pw")
