"""PostgreSQL imports draw voucher ids from the sequence in growing blocks:
a small import (a sync of a few vouchers) draws few, a big one few round
trips (core/engine/target.py, ID_FIRST and ID_BLOCK)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ekonomi.core.engine.target import ID_BLOCK, ID_FIRST
from tests.fakes import ledger
from tests.test_core_pipeline import do_import, write


def _drawn(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(last_value, 0) FROM pg_sequences WHERE sequencename = 'voucher_id_seq'")).scalar_one()


def _ids(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM voucher ORDER BY id")).scalars().all()


def test_voucher_ids_are_drawn_in_growing_blocks(engine, pm, company, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite numbers vouchers after the stored ones; no sequence is drawn")
    assert ID_FIRST < ID_BLOCK
    assert do_import(engine, pm, company, write(tmp_path, ledger(vouchers=3)))["status"] == "succeeded"
    assert _drawn(engine) == ID_FIRST  # one small block, not ID_BLOCK ids
    result = do_import(engine, pm, company, write(tmp_path, ledger(vouchers=5 * ID_FIRST), name="more.fake"))
    assert result["status"] == "succeeded" and result["counts"]["vouchers"] == 5 * ID_FIRST
    ids = _ids(engine)  # the year replaced: the second import's vouchers
    assert len(ids) == len(set(ids)) == 5 * ID_FIRST and min(ids) > ID_FIRST
    # Three draws cover five blocks' worth, each twice the last (1 + 2 + 4).
    assert _drawn(engine) == ID_FIRST + (ID_FIRST + 2 * ID_FIRST + 4 * ID_FIRST)
