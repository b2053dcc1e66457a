"""PostgreSQL's COPY text form, written in C (core/engine/_pack.h, _rows.c)
and by its Python twin (_native.py): the same bytes, and whatever values the
store binds come back out of PostgreSQL exactly as psycopg's own
``write_row`` would have stored them, texts with tabs, newlines, backslashes
and any Unicode included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekonomi.core.engine import _native
from tests.conftest import c_speedups

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))  # PostgreSQL texts hold no NUL
tricky = st.sampled_from(["", "\\", "\\N", "a\tb", "rad\nrad", "\r\n", "\\\\t", "å ä ö €", "N", "\x7f\x01"])
row = st.tuples(st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1), st.none() | text | tricky, st.none() | tricky)


def test_copy_rows_by_hand(twin) -> None:
    buf = bytearray()
    twin.copy_row(buf, (None, -12, "a\tb\\c\nd\re", "å", ""))
    twin.copy_row(buf, (-(2**63), 2**63 - 1, 0, True))
    assert bytes(buf) == "\\N\t-12\ta\\tb\\\\c\\nd\\re\tå\t\n-9223372036854775808\t9223372036854775807\t0\t1\n".encode()
    with pytest.raises(TypeError):
        twin.copy_row(buf, (Decimal("1.5"),))


@pytest.fixture(scope="module")
def pg(pg_server_url: str):
    import psycopg

    with psycopg.connect(pg_server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        yield conn


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(row, max_size=30))
def test_copy_text_is_what_write_row_stores(pg, rows) -> None:
    c_buf, buf = bytearray(), bytearray()
    for r in rows:
        c_speedups().copy_row(c_buf, r)
        _native.copy_row(buf, r)
    assert c_buf == buf
    pg.execute("CREATE TEMP TABLE IF NOT EXISTS c (i serial, a bigint, b text, t text)")
    pg.execute("TRUNCATE c")
    with pg.cursor() as cur:
        with cur.copy("COPY c (a, b, t) FROM STDIN") as copy:
            copy.write(buf)
        with cur.copy("COPY c (a, b, t) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        got = cur.execute("SELECT a, b, t FROM c ORDER BY i").fetchall()
    assert got[: len(rows)] == got[len(rows) :] == rows
