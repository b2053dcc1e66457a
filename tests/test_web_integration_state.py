"""How a client's integration stands, on Byrå and on Rapportinställningar:
connected or not, the last sync and what it brought, the last failure
after it in Swedish; loaded in the same few queries for any number of
clients."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlmodel import Session, select

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from tests.web_support import OWN, app, bearer, client, fakesync, login, sync, token_for  # noqa: F401


@pytest.fixture(autouse=True)
def _keys(monkeypatch):
    monkeypatch.setenv("EKONOMI_SECRET_KEYS", Fernet.generate_key().decode())


def state_block(page: str) -> str:
    start = page.index('data-integration="fakesync"')
    return page[start : page.index("</div>", start)]


def test_bureau_page_shows_not_connected_then_connected(app, client, fakesync):
    login(client, "bureau-admin")
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "Inte kopplad" in block and "API-nyckeln saknas" in block
    assert "Ingen lyckad överföring från Fake Synk ännu." in block
    client.put(f"/api/v1/companies/{OWN}/sources/fakesync/config", json={"api_token": "hemlig-1234"}, headers=bearer(token_for(app, "bureau-admin")))
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "Kopplad till Fake Synk." in block and "Inte kopplad" not in block


def test_last_sync_counts_and_who(app, client, fakesync):
    assert sync(app, started_by="user:kund-se@own.se")["status"] == "succeeded"
    login(client, "consultant")
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "av kund-se@own.se" in block
    assert "2 nya och 0 ändrade verifikationer, 3 fakturor, 3 underlag" in block
    fakesync.records = fakesync.records[:4]  # voucher A1 again, nothing else
    assert sync(app, started_by="cli")["status"] == "succeeded"
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "av kommandoraden" in block and "0 nya och 1 ändrade verifikationer, 0 fakturor, 0 underlag" in block


def test_a_failure_after_the_last_success_is_explained_until_the_next_success(app, client, fakesync):
    sync(app)
    fakesync.fail = "fakesync.reconnect"
    failed = sync(app)
    assert failed["status"] == "failed"
    login(client, "bureau-admin")
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "Kopplingen till Fake Synk har gått ut. Koppla företaget igen under Byrå." in block  # the source's words
    assert "refused the token" not in block
    assert f"/settings/import/{failed['import_id']}" in block
    report = state_block(client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True))
    assert "Kopplingen till Fake Synk har gått ut" in report and "2 nya" in report

    fakesync.fail, fakesync.broken = None, True  # the core's own code: plugin_error
    sync(app)
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "Insticksprogrammet för källan fick ett fel" in block and "har gått ut" not in block

    fakesync.fail = "fakesync.unknown"  # neither the source nor the core explains it: the run's message
    fakesync.broken = False
    sync(app)
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "error(s); nothing was imported" in block

    fakesync.fail = None
    sync(app)
    block = state_block(client.get("/bureau/").get_data(as_text=True))
    assert "Misslyckad" not in block


def test_no_block_for_a_company_on_other_sources(app, client):
    login(client, "bureau-admin")
    assert "data-integration=" not in client.get("/bureau/").get_data(as_text=True)
    assert "data-integration=" not in client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)


def test_states_load_in_the_same_queries_for_one_client_or_many(app, fakesync):
    from ekonomi.core.books.companies import add_company
    from ekonomi.web.integration_state import integration_states

    services = app.extensions["ekonomi"]

    def statements(companies: int) -> int:
        with Session(services.engine) as s:
            for n in range(companies - len(s.exec(select(m.Company)).all())):
                company = add_company(s, f"55{n:04d}-{n:04d}", f"Klient {n}", "Byrå Ett")
                rules.set_source_enabled(s, company, "fakesync", True)
                rules.switch_source(s, services.pm, company, "fakesync", actor="test")
            s.commit()
            everyone = s.exec(select(m.Company)).all()
            seen: list[str] = []
            listen = lambda *a: seen.append(a[2])  # noqa: E731
            event.listen(services.engine, "before_cursor_execute", listen)
            try:
                states = integration_states(s, services.pm, everyone)
            finally:
                event.remove(services.engine, "before_cursor_execute", listen)
            assert len(states) == len([c for c in everyone if c.active_source == "fakesync"])
            return len(seen)

    sync(app)
    assert statements(2) == statements(12)
