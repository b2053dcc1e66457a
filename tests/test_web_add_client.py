"""Adding a client whose orgnr another bureau's client has does not reveal
that it exists (issue 12): the answer is the one for an unusable orgnr."""

from __future__ import annotations

from tests.web_support import OTHER, OWN, app, client, login  # noqa: F401


def flash_of(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index('class="flash flash-error')
    return text[start : text.index("</p>", start)]


def test_another_bureaus_orgnr_is_answered_as_an_unusable_one(app, client):
    login(client, "bureau-admin")
    taken = client.post("/bureau/companies", data={"orgnr": OTHER, "name": "Försök AB"}, follow_redirects=True)
    invalid = client.post("/bureau/companies", data={"orgnr": "5599-11", "name": "Försök AB"}, follow_redirects=True)
    assert "finns redan" not in taken.get_data(as_text=True)
    assert "Annat AB" not in taken.get_data(as_text=True)
    assert flash_of(taken) == flash_of(invalid)
    assert "kan inte användas" in flash_of(taken)
    assert taken.status_code == invalid.status_code == 200


def test_the_bureaus_own_client_is_named(app, client):
    login(client, "consultant")
    again = client.post("/bureau/companies", data={"orgnr": OWN, "name": "Igen AB"}, follow_redirects=True)
    assert "Exempel AB (556677-8899) finns redan bland byråns klienter" in again.get_data(as_text=True)


def test_a_missing_name_is_asked_for(app, client):
    login(client, "consultant")
    answer = client.post("/bureau/companies", data={"orgnr": OTHER, "name": " "}, follow_redirects=True)
    assert "Ange företagets namn" in answer.get_data(as_text=True)
