"""After an import that wrote many rows, PostgreSQL's statistics of the
tables it changed are fresh (ANALYZE after the commit); a failing ANALYZE
never fails the import (issue 12)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from ekonomi.core.engine import analyze
from tests.fakes import ledger
from tests.test_core_pipeline import do_import, write


def _last_analyze(engine) -> dict[str, object]:
    with engine.connect() as conn:  # a new connection: no cached statistics snapshot
        rows = conn.execute(text("SELECT relname, last_analyze FROM pg_stat_user_tables")).all()
    return {name: at for name, at in rows}


def _postgres_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statistics")


def test_a_big_import_leaves_its_tables_analysed(engine, pm, company, tmp_path):
    _postgres_only(engine)
    with engine.connect() as conn:
        started = conn.execute(text("SELECT now()")).scalar_one()
    result = do_import(engine, pm, company, write(tmp_path, ledger(vouchers=5_000)))
    assert result["status"] == "succeeded" and result["counts"]["rows"] >= analyze.ANALYZE_MIN_ROWS
    after = _last_analyze(engine)
    for table in ("voucher", "voucher_row", "balance"):
        assert after[table] is not None and after[table] >= started, table
    assert after["invoice"] is None or after["invoice"] < started  # not a table this import changed


def test_a_small_import_analyses_nothing(engine, pm, company, tmp_path):
    _postgres_only(engine)
    before = _last_analyze(engine)
    assert do_import(engine, pm, company, write(tmp_path, ledger(vouchers=10)))["status"] == "succeeded"
    assert _last_analyze(engine)["voucher_row"] == before["voucher_row"]


def test_a_failing_analyze_is_logged_and_the_import_stands(engine, pm, company, tmp_path, monkeypatch, caplog):
    _postgres_only(engine)
    monkeypatch.setattr(analyze, "ANALYZE_MIN_ROWS", 1)
    monkeypatch.setattr(analyze, "TABLES_OF_COUNT", {"vouchers": ("no_such_table",)})
    with caplog.at_level(logging.WARNING, logger="ekonomi.core.engine.analyze"):
        result = do_import(engine, pm, company, write(tmp_path, ledger(vouchers=2)))
    assert result["status"] == "succeeded"
    assert any("ANALYZE no_such_table" in r.getMessage() for r in caplog.records)


def test_which_tables_an_import_changed():
    small = {"vouchers": 10, "rows": 20, "balances": 5}
    assert analyze.tables_to_analyze(small) == []
    big = {"vouchers": 6_000, "rows": 12_000, "balances": 0, "period_balances": 40, "invoices": 3}
    assert analyze.tables_to_analyze(big) == ["voucher", "voucher_row", "period_balance", "period_budget"]


def test_sqlite_is_never_analysed(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite")
    assert analyze.analyze_after_load(engine, {"vouchers": 50_000, "rows": 100_000}) == []
