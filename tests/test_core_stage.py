"""The staging file written in C from packed batches (core/engine/_stage.c,
core/engine/_pack.h): what goes in comes out of SQLite exactly as Python's sqlite3
module would have stored it, bad values and bad batches are refused with an
error (never a crash or a wrong row), and the store's C packer packs the
same values the Python store would hand over as tuples."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekonomi.core.engine import stagewriter, store
from ekonomi.core.engine.bulk import HUNDRED, ROW_COLS
from ekonomi.core.records import RowKind, Voucher, VoucherRow

_stage, _rows = stagewriter._stage, stagewriter._rows
pytestmark = pytest.mark.skipif(
    _stage is None and os.environ.get("CI") != "true", reason="core/engine/_stage.c is not built here (no sqlite3.h?)"
)

COLS = ("a", "b", "c")
value = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(st.characters(blacklist_categories=("Cs",))),  # any text that has a UTF-8 form
)


def _built() -> None:
    if _stage is None or _rows is None:
        pytest.fail("core/engine/_stage.c or core/engine/_rows.c was not built (see setup.py)")


def _stage_file(tmp_path: Path, name: str = "s.stage"):
    st_ = _stage.Stage(str(tmp_path / name))
    st_.execute("CREATE TABLE t (a, b, c); BEGIN")
    return st_, st_.prepare(stagewriter.insert_sql("t", COLS))


def _read(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall()
    finally:
        con.close()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(value, value, value), max_size=40))
def test_packed_rows_come_back_as_python_would_store_them(tmp_path_factory, rows) -> None:
    _built()
    tmp = tmp_path_factory.mktemp("stage")
    stage, stmt = _stage_file(tmp)
    buf = bytearray()
    for row in rows:
        _rows.pack_row(buf, row)
    assert stage.insert(stmt, 3, buf) == len(rows)
    stage.execute("COMMIT")
    stage.close()
    con = sqlite3.connect(tmp / "py.db")
    con.execute("CREATE TABLE t (a, b, c)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    got, want = _read(tmp / "s.stage"), _read(tmp / "py.db")
    assert got == want == [tuple(r) for r in rows]
    assert [type(x) for r in got for x in r] == [type(x) for r in want for x in r]


def test_values_that_cannot_be_stored_are_refused() -> None:
    _built()
    buf = bytearray()
    for bad in (1.5, Decimal("1.50"), date(2024, 1, 1), b"bytes", 2**63, -(2**63) - 1, "\ud800"):
        with pytest.raises((TypeError, OverflowError, UnicodeEncodeError)):
            _rows.pack_row(buf, (None, bad, None))
        assert buf == bytearray()  # a refused row leaves no part of itself behind
    with pytest.raises(TypeError):
        _rows.pack_row(buf, [1, 2, 3])  # a row is a tuple
    _rows.pack_row(buf, (True, 0, ""))  # bool is an int, as sqlite3 binds it
    assert len(buf) == 1 + 8 + 1 + 8 + 1 + 4


def test_malformed_batches_are_errors_not_crashes(tmp_path) -> None:
    _built()
    stage, stmt = _stage_file(tmp_path)
    good = bytearray()
    _rows.pack_row(good, (1, "två", None))
    cut_short = [
        ("ends inside a row", good[:-1]),  # the last value of the row is missing
        ("ends inside a number", good[:5]),  # an int with 4 of its 8 bytes
        ("unknown value tag", good + b"x"),  # a value that is none of n, i, t
        ("ends inside a number", good + b"i\x01"),  # the next row breaks off in its first number
        ("ends inside a text", b"t\xff\xff\xff\x7fab"),  # a text that says it is 2 GB long, in 7 bytes
    ]
    for why, bad in cut_short:
        with pytest.raises(_stage.StageError, match=why):
            stage.insert(stmt, 3, bad)
    with pytest.raises(_stage.StageError):
        stage.insert(stmt, 2, good)  # not the statement's number of columns
    with pytest.raises(_stage.StageError):
        stage.insert(stmt + 1, 3, good)  # no such statement
    with pytest.raises(_stage.StageError, match="no such table"):
        stage.execute("INSERT INTO nowhere VALUES (1)")
    assert stage.insert(stmt, 3, good) == 1  # the statement still works after the errors
    stage.execute("COMMIT")
    stage.close()
    with pytest.raises(_stage.StageError, match="closed"):
        stage.execute("SELECT 1")
    rows = _read(tmp_path / "s.stage")
    # Only whole rows before the fault landed, never a half row.
    assert rows[-1] == (1, "två", None) and all(r == (1, "två", None) for r in rows)


def test_sqlite_errors_are_reported(tmp_path) -> None:
    _built()
    stage = _stage.Stage(str(tmp_path / "s.stage"))
    stage.execute("CREATE TABLE t (a NOT NULL, b, c)")
    stmt = stage.prepare(stagewriter.insert_sql("t", COLS))
    buf = bytearray()
    _rows.pack_row(buf, (None, 1, 2))
    with pytest.raises(_stage.StageError, match="NOT NULL"):
        stage.insert(stmt, 3, buf)
    with pytest.raises(_stage.StageError):
        _stage.Stage(str(tmp_path / "no" / "such" / "folder" / "s.stage"))
    stage.close()


def test_voucher_packer_packs_what_the_python_store_hands_over(tmp_path) -> None:
    """VoucherPacker (the store's C path for packed batches) gives, byte for
    byte, the voucher tuple and row tuples of the Python store, packed; with
    the same side effects; and a voucher it refuses leaves the batches as
    they were."""
    _built()
    P = RowKind.POSTED
    day = date(2023, 1, 5)
    vouchers = [
        Voucher("A", "1", day, "Hyra", (
            VoucherRow("1910", Decimal("1.50"), (), None, None, None, P, None, 3),
            VoucherRow("3010", Decimal("-1.5"), ((1, "10"), (6, "P1")), day, "tåg", Decimal("-2.125"), P, "sig", 4),
        ), date(2023, 1, 9), "AB", "src-1", 2),
        Voucher("B", "x", date(2024, 2, 29), "", (
            VoucherRow("9999", Decimal("5"), (), None, None, None, RowKind.ADDED, None, 7),
            VoucherRow("8888", Decimal("-5"), ((1, "å"),), None, None, Decimal("0"), RowKind.REMOVED, None, None),
        )),
        Voucher("C", "", day, "tom", ()),
    ]
    accounts = {"1910": None}
    unknown_c: set[str] = set()
    unknown_py: set[str] = set()
    json_c: dict = {}
    json_py: dict = {}
    packer = _rows.VoucherPacker(7, accounts, unknown_c, json_c, json.dumps, store._KIND_TEXT, HUNDRED, P)
    vbuf, rbuf = bytearray(), bytearray()
    want_v, want_r, every_row = bytearray(), bytearray(), []
    for i, v in enumerate(vouchers):
        got = packer.pack(v, i, 3, 42, f"hash{i}" if i else None, vbuf, rbuf)
        _rows.pack_row(want_v, store._voucher_tuple(v, i, 7, 3, 42, f"hash{i}" if i else None))
        tuples, posted = store._store_rows(v.rows, i, 7, 3, accounts, unknown_py, json_py)
        for t in tuples:
            _rows.pack_row(want_r, t)
        every_row += tuples
        assert got == (len(tuples), posted)
        assert (vbuf, rbuf) == (want_v, want_r)
    assert unknown_c == unknown_py == {"3010", "9999", "8888"}
    assert list(json_c.items()) == list(json_py.items())
    # A voucher with a row that cannot be stored: nothing of it stays.
    bad = Voucher("D", "9", day, "", (VoucherRow("1910", Decimal("1"), (), None, None, None, P, None, 1), ("not", "a", "row")))
    with pytest.raises(TypeError):
        packer.pack(bad, 9, 3, 42, None, vbuf, rbuf)
    assert (vbuf, rbuf) == (want_v, want_r)
    with pytest.raises(TypeError):
        packer.pack(vouchers[0], 1, 3, 42, None, b"", rbuf)  # a batch is a bytearray
    # And SQLite gets exactly the Python store's rows.
    stage = _stage.Stage(str(tmp_path / "rows.stage"))
    stage.execute(f"CREATE TABLE voucher_row ({', '.join(ROW_COLS)})")
    stmt = stage.prepare(stagewriter.insert_sql("voucher_row", ROW_COLS))
    assert stage.insert(stmt, len(ROW_COLS), rbuf) == len(every_row) == 4
    stage.close()
    con = sqlite3.connect(tmp_path / "rows.stage")
    assert con.execute("SELECT * FROM voucher_row ORDER BY rowid").fetchall() == every_row
    con.close()


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(value, value, value), max_size=30), per=st.integers(1, 7))
def test_several_rows_a_step_store_the_same_rows(tmp_path_factory, rows, per) -> None:
    """A statement that takes ``per`` rows a step, with the one-row statement
    for the remainder, stores every row once, in order, whatever the count."""
    _built()
    tmp = tmp_path_factory.mktemp("many")
    stage, one = _stage_file(tmp)
    many = stage.prepare(stagewriter.insert_sql("t", COLS, per))
    buf = bytearray()
    for row in rows:
        _rows.pack_row(buf, row)
    assert stage.insert(many, 3, buf, one) == len(rows)
    stage.execute("COMMIT")
    stage.close()
    assert _read(tmp / "s.stage") == [tuple(r) for r in rows]


def test_a_fault_inside_a_many_row_step_is_an_error(tmp_path) -> None:
    _built()
    stage, one = _stage_file(tmp_path)
    many = stage.prepare(stagewriter.insert_sql("t", COLS, 4))
    good = bytearray()
    for i in range(4):
        _rows.pack_row(good, (i, "x", None))
    with pytest.raises(_stage.StageError, match="unknown value tag"):
        stage.insert(many, 3, good + b"z" + good[1:16], one)  # the fifth row's first value has no known tag
    with pytest.raises(_stage.StageError):
        stage.insert(one, 3, good, many)  # the one-row statement must take exactly ncols
    with pytest.raises(_stage.StageError):
        stage.insert(many, 2, good, one)  # not the one-row statement's number of columns
    assert stage.insert(many, 3, good, one) == 4  # both still work
    stage.execute("COMMIT")
    stage.close()
    rows = _read(tmp_path / "s.stage")
    assert rows[-4:] == [(i, "x", None) for i in range(4)] and len(rows) == 8  # the whole first step, then the good batch


def test_a_borrowed_connection_writes_inside_its_own_transaction(tmp_path) -> None:
    """stagewriter.borrow: a Stage on a Python sqlite3 connection's own
    handle writes inside that connection's transaction (rolled back with
    it), leaves the connection open when closed, and is refused for
    anything it cannot be sure is such a handle."""
    _built()
    import _sqlite3

    con = sqlite3.connect(tmp_path / "main.db", isolation_level=None, check_same_thread=False)
    con.execute("CREATE TABLE t (a, b, c)")
    stage, why = stagewriter.borrow(con)
    assert stage is not None, why
    assert Path(stage.filename()).resolve() == (tmp_path / "main.db").resolve()
    many = stage.prepare(stagewriter.insert_sql("t", COLS, 2))
    one = stage.prepare(stagewriter.insert_sql("t", COLS))
    buf = bytearray()
    for i in range(5):
        _rows.pack_row(buf, (i, "å", None))
    con.execute("BEGIN IMMEDIATE")
    assert stage.insert(many, 3, buf, one) == 5
    assert con.execute("SELECT count(*) FROM t").fetchone() == (5,)  # the connection sees its own rows
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    con.execute("BEGIN IMMEDIATE")
    stage.insert(many, 3, buf, one)
    con.execute("COMMIT")
    stage.close()
    assert con.execute("SELECT a, b FROM t ORDER BY rowid").fetchall() == [(i, "å") for i in range(5)]  # still open
    con.close()
    with pytest.raises(_stage.StageError, match="not a sqlite3.Connection"):
        _stage.borrow(object(), _sqlite3.__file__)
    with pytest.raises(_stage.StageError, match="does not use the SQLite library"):
        _stage.borrow(sqlite3.connect(":memory:"), _rows.__file__)  # a module without SQLite
    with pytest.raises(_stage.StageError, match="closed"):
        _stage.borrow(con, _sqlite3.__file__)
