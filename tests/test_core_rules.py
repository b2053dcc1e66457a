"""The product's rules: one active source, rights, switching is logged."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ekonomi.core import Source, StateUpdate, Voucher, VoucherRow, hookimpl
from ekonomi.core.books import models as m
from ekonomi.core.context import FileInput
from ekonomi.core.errors import SourceNotActive
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from ekonomi.core.books.rules import get_company, rights, switch_source
from tests.fakes import ledger


class FakeApi(Source):
    """An integration that pulls two vouchers, then one changed and one new."""

    name = "fakeapi"
    title = "Fake API"
    kind = "integration"
    mode = "upsert"

    def fetch(self, ctx):
        page = ctx.state.get("page", 0)
        return page

    def normalize(self, raw, ctx):
        from datetime import date
        from decimal import Decimal

        amounts = {0: [("v1", "10.00"), ("v2", "20.00")], 1: [("v2", "25.00"), ("v3", "30.00")]}[min(raw, 1)]
        for sid, amt in amounts:
            yield Voucher("A", sid[1:], date(2023, 5, 1), f"api {sid}", (VoucherRow("1930", Decimal(amt)), VoucherRow("3010", -Decimal(amt))), source_id=sid)
        yield StateUpdate({"page": raw + 1})


class FakeApiPlugin:
    @hookimpl
    def ekonomi_sources(self):
        return [FakeApi()]


@pytest.fixture
def api(pm):
    pm.register(FakeApiPlugin(), name="fakeapi", builtin=True)
    return pm


def _switch(engine, pm, company, to):
    with Session(engine) as session:
        event = switch_source(session, pm, get_company(session, company), to, actor="test")
        session.commit()
    if event:
        pm.emit(event)
    return event


def _file(tmp_path, content=None):
    path = tmp_path / "x.fake"
    path.write_text(content or ledger(vouchers=1), encoding="utf-8")
    return FileInput(path, path.name)


def test_file_import_refused_while_integration_active(engine, api, company, tmp_path):
    assert run_import(engine, api, ImportRequest(company, _file(tmp_path)))["status"] == "succeeded"
    event = _switch(engine, api, company, "fakeapi")
    assert event.data == {"from": "other", "to": "fakeapi"}
    refused = run_import(engine, api, ImportRequest(company, _file(tmp_path)))
    assert refused["status"] == "failed"
    assert refused["issues"][0]["code"] == "source_not_active"
    assert "Fake API" in refused["issues"][0]["message"] and "Rapportinställningar" in refused["issues"][0]["message"]
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, data FROM company_event")).all()
    assert [(k, json.loads(d)) for k, d in kinds] == [("source_switched", {"from": "other", "to": "fakeapi"})]
    # Switching back lets files in again.
    _switch(engine, api, company, "other")
    assert run_import(engine, api, ImportRequest(company, _file(tmp_path)))["status"] == "succeeded"


def test_integration_refused_unless_active_and_upserts_by_source_id(engine, api, company, tmp_path):
    assert run_import(engine, api, ImportRequest(company, _file(tmp_path, ledger(vouchers=0))))["status"] == "succeeded"
    refused = run_import(engine, api, ImportRequest(company, source="fakeapi", started_by="eekonomi-sync"))
    assert refused["status"] == "failed" and refused["issues"][0]["code"] == "source_not_active"
    _switch(engine, api, company, "fakeapi")
    first = run_import(engine, api, ImportRequest(company, source="fakeapi"))
    assert first["status"] == "succeeded", first
    second = run_import(engine, api, ImportRequest(company, source="fakeapi"))
    assert second["counts"]["vouchers_new"] == 1 and second["counts"]["vouchers_updated"] == 1
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT source_id, text FROM voucher")).all())
        v2 = conn.execute(
            text("SELECT r.amount FROM voucher_row r JOIN voucher v ON v.id = r.voucher_id WHERE v.source_id = 'v2' AND r.account = '1930'")
        ).scalar_one()
        state = conn.execute(text("SELECT state FROM source_state")).scalar_one()
    assert sorted(stored) == ["v1", "v2", "v3"]
    assert v2 == 2500
    assert json.loads(state) == {"page": 2}


def test_switch_to_a_file_source_is_refused(engine, api, company):
    from ekonomi.core.errors import Refused

    with pytest.raises(Refused):
        _switch(engine, api, company, "fake")


def test_rights(engine, company):
    with Session(engine) as session:
        b1, b2 = m.Bureau(name="Byrå 1"), m.Bureau(name="Byrå 2")
        session.add_all([b1, b2])
        session.flush()
        comp = get_company(session, company)
        comp.bureau_id = b1.id
        staff = m.User(email="k@b1.se", role="consultant", bureau_id=b1.id)
        other_staff = m.User(email="k@b2.se", role="consultant", bureau_id=b2.id)
        client = m.User(email="c@x.se", role="client")
        stranger = m.User(email="s@x.se", role="client")
        session.add_all([staff, other_staff, client, stranger])
        session.flush()
        session.add(m.CompanyAccess(user_id=client.id, company_id=comp.id, can_import_files=False))
        session.flush()
        assert rights(session, staff, comp) == {"view_reports": True, "open_settings": True, "import_files": True}
        assert rights(session, other_staff, comp) == {"view_reports": False, "open_settings": False, "import_files": False}
        assert rights(session, client, comp) == {"view_reports": True, "open_settings": False, "import_files": False}
        assert rights(session, stranger, comp)["view_reports"] is False


def test_client_without_right_cannot_import(engine, pm, company, tmp_path):
    with Session(engine) as session:
        comp = get_company(session, company)
        user = m.User(email="c@x.se", role="client")
        session.add(user)
        session.flush()
        session.add(m.CompanyAccess(user_id=user.id, company_id=comp.id, can_import_files=False))
        session.commit()
        uid = user.id
    result = run_import(engine, pm, ImportRequest(company, _file(tmp_path), user_id=uid, started_by="user:c@x.se"))
    assert result["status"] == "failed" and result["issues"][0]["code"] == "forbidden"


def test_the_import_right_has_a_generic_name_and_the_old_one_still_maps():
    from ekonomi.core.books.rules import RIGHTS, right_name

    assert "import_files" in RIGHTS and "import_sie4" not in RIGHTS
    assert right_name("import_sie4") == "import_files" and right_name("open_settings") == "open_settings"
