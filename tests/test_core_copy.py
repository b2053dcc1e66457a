"""PostgreSQL's COPY text form, written in C (core/engine/_pack.h, core/engine/_rows.c):
whatever values the store binds come back out of PostgreSQL exactly as
psycopg's own ``write_row`` would have stored them, texts with tabs,
newlines, backslashes and any Unicode included."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekonomi.core.engine import bulk, store
from ekonomi.core.engine.bulk import HUNDRED
from ekonomi.core.records import RowKind, Voucher, VoucherRow

_rows = bulk._rows
pytestmark = pytest.mark.skipif(_rows is None and os.environ.get("CI") != "true", reason="core/engine/_rows.c is not built here")

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))  # PostgreSQL texts hold no NUL
tricky = st.sampled_from(["", "\\", "\\N", "a\tb", "rad\nrad", "\r\n", "\\\\t", "å ä ö €", "N", "\x7f\x01"])
row = st.tuples(st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1), st.none() | text | tricky, st.none() | tricky)


def test_copy_rows_by_hand() -> None:
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    buf = bytearray()
    _rows.copy_row(buf, (None, -12, "a\tb\\c\nd\re", "å", ""))
    _rows.copy_row(buf, (-(2**63), 2**63 - 1, 0))
    assert bytes(buf) == "\\N\t-12\ta\\tb\\\\c\\nd\\re\tå\t\n-9223372036854775808\t9223372036854775807\t0\n".encode()
    with pytest.raises(TypeError):
        _rows.copy_row(buf, (Decimal("1.5"),))


@pytest.fixture(scope="module")
def pg(pg_server_url: str):
    import psycopg

    with psycopg.connect(pg_server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        assert bulk.copy_writer_fits(conn) == (_rows is not None)
        yield conn


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(row, max_size=30))
def test_copy_text_is_what_write_row_stores(pg, rows) -> None:
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    pg.execute("CREATE TEMP TABLE IF NOT EXISTS c (i serial, a bigint, b text, t text)")
    pg.execute("TRUNCATE c")
    buf = bytearray()
    for r in rows:
        _rows.copy_row(buf, r)
    with pg.cursor() as cur:
        with cur.copy("COPY c (a, b, t) FROM STDIN") as copy:
            copy.write(buf)
        with cur.copy("COPY c (a, b, t) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        got = cur.execute("SELECT a, b, t FROM c ORDER BY i").fetchall()
    assert got[: len(rows)] == got[len(rows) :] == rows


def test_voucher_packer_copy_form_is_copy_row_of_the_store_tuples() -> None:
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    P = RowKind.POSTED
    v = Voucher("A", "1", date(2023, 1, 5), "Hyra\tjan", (
        VoucherRow("1910", Decimal("1.50"), (), None, "back\\slash", None, P, None, 3),
        VoucherRow("3010", Decimal("-1.5"), ((1, "10"),), date(2023, 1, 6), "rad\nrad", Decimal("-2.125"), P, "sig", 4),
    ), None, None, None, 2)
    packer = _rows.VoucherPacker(7, {"1910": None}, set(), {}, json.dumps, store._KIND_TEXT, HUNDRED, P, copy=True)
    vbuf, rbuf = bytearray(), bytearray()
    assert packer.pack(v, 5, 3, 42, None, vbuf, rbuf) == (2, 2)
    want_v, want_r = bytearray(), bytearray()
    _rows.copy_row(want_v, store._voucher_tuple(v, 5, 7, 3, 42, None))
    for t in store._store_rows(v.rows, 5, 7, 3, {"1910": None}, set(), {})[0]:
        _rows.copy_row(want_r, t)
    assert (vbuf, rbuf) == (want_v, want_r)
    assert b"Hyra\\tjan" in vbuf and b"rad\\nrad" in rbuf and b"back\\\\slash" in rbuf
