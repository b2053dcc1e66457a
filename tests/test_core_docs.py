"""The plugin guide's example runs, and the test kit passes on sources."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from ekonomi.core.testing import SourceConformance
from tests.fakes import FakeLedger, ledger

ROOT = Path(__file__).resolve().parent.parent


def load_example(name: str) -> types.ModuleType:
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```\s*<!-- end example -->", doc, re.S)
    assert m, f"example {name} not found in docs/plugins.md"
    module = types.ModuleType(name)
    exec(compile(m.group(1), f"docs/plugins.md:{name}", "exec"), module.__dict__)
    return module


STATEMENT = "date;text;amount\n2023-03-01;Kaffe;-45.50\n2023-03-02;Inbetalning;1200.00\n"


def test_guide_example_imports_and_reimports_nothing(engine, pm, company, tmp_path):
    csvbank = load_example("csvbank")
    assert pm.register(csvbank, name="csvbank")
    from sqlmodel import Session

    from ekonomi.core.books.rules import get_company, set_source_enabled

    with Session(engine) as session:
        set_source_enabled(session, get_company(session, company), "csvbank", True)
        session.commit()
    # A ledger for the fiscal year first: appended vouchers go into stored years.
    books = tmp_path / "books.fake"
    books.write_text(ledger(vouchers=0), encoding="utf-8")
    assert run_import(engine, pm, ImportRequest(company, FileInput(books, books.name)))["status"] == "succeeded"
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    first = run_import(engine, pm, ImportRequest(company, FileInput(path, path.name)))
    assert first["status"] == "succeeded", first
    assert first["source"] == "csvbank" and first["counts"]["vouchers"] == 2
    again = run_import(engine, pm, ImportRequest(company, FileInput(path, path.name)))
    assert again["status"] == "succeeded"
    assert again["counts"]["vouchers_duplicate"] == 2
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voucher")).scalar_one() == 2
        total = conn.execute(text("SELECT sum(amount) FROM voucher_row WHERE account = '1930'")).scalar_one()
    assert total == 115450  # öre: -45.50 + 1200.00


def test_third_party_source_starts_disabled(engine, pm, company, tmp_path):
    csvbank = load_example("csvbank")
    pm.register(csvbank, name="csvbank")  # not built in
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    result = run_import(engine, pm, ImportRequest(company, FileInput(path, path.name)))
    assert result["status"] == "failed"
    assert result["issues"][0]["code"] == "not_recognised"  # no enabled source recognises it


@pytest.fixture(scope="class")
def fake_sample(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kit") / "sample.fake"
    path.write_text(ledger(vouchers=4, prev_year=True), encoding="utf-8")
    return path


class TestFakeLedgerConformance(SourceConformance):
    source = FakeLedger()

    @pytest.fixture(autouse=True)
    def _use_sample(self, fake_sample, monkeypatch):
        monkeypatch.setattr(type(self), "sample_files", [fake_sample])
