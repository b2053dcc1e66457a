"""The SQLite side of the engine's switch (core/engine/_speedups.py), in C
(core/engine/_stage.c, _rows.c, _pack.h) and in Python (_native.py): packed
rows come out of SQLite exactly as Python's sqlite3 module would have stored
them; bad values and bad batches are refused with an error (never a crash or
a wrong row); the C packer and its twin make the same bytes; and a Stage runs
plain statements with :name parameters."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekonomi.core.engine import _native
from ekonomi.core.engine.columns import HUNDRED, KIND_TEXT, ROW_COLS
from ekonomi.core.engine.writers import insert_sql
from ekonomi.core.records import RowKind, Voucher, VoucherRow
from tests.conftest import c_speedups

COLS = ("a", "b", "c")
value = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(st.characters(blacklist_categories=("Cs",))),  # any text that has a UTF-8 form
)


def _stage_file(twin, tmp_path: Path, name: str = "s.stage"):
    st_ = twin.Stage(str(tmp_path / name))
    st_.execute("CREATE TABLE t (a, b, c)")
    st_.execute("BEGIN")
    return st_, st_.prepare(insert_sql("t", COLS))


def _read(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall()
    finally:
        con.close()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(value, value, value), max_size=40))
def test_packed_rows_come_back_as_python_would_store_them(tmp_path_factory, rows) -> None:
    c = c_speedups()
    for twin in (c, _native):
        tmp = tmp_path_factory.mktemp("stage")
        stage, stmt = _stage_file(twin, tmp)
        buf = bytearray()
        for row in rows:
            twin.pack_row(buf, row)
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
    c_buf, py_buf = bytearray(), bytearray()
    for row in rows:
        c.pack_row(c_buf, row)
        _native.pack_row(py_buf, row)
    assert c_buf == py_buf


def test_values_that_cannot_be_stored_are_refused(twin) -> None:
    buf = bytearray()
    for bad in (1.5, Decimal("1.50"), date(2024, 1, 1), b"bytes", 2**63, -(2**63) - 1, "\ud800"):
        for append in (twin.pack_row, twin.copy_row):
            with pytest.raises((TypeError, OverflowError, UnicodeEncodeError)):
                append(buf, (None, bad, None))
            assert buf == bytearray()  # a refused row leaves no part of itself behind
    with pytest.raises(TypeError):
        twin.pack_row(buf, [1, 2, 3])  # a row is a tuple
    twin.pack_row(buf, (True, 0, ""))  # bool is an int, as sqlite3 binds it
    assert len(buf) == 1 + 8 + 1 + 8 + 1 + 4


def test_malformed_batches_are_errors_not_crashes(twin, tmp_path) -> None:
    stage, stmt = _stage_file(twin, tmp_path)
    good = bytearray()
    twin.pack_row(good, (1, "två", None))
    cut_short = [
        ("ends inside a row", good[:-1]),  # the last value of the row is missing
        ("ends inside a number", good[:5]),  # an int with 4 of its 8 bytes
        ("unknown value tag", good + b"x"),  # a value that is none of n, i, t
        ("ends inside a number", good + b"i\x01"),  # the next row breaks off in its first number
        ("ends inside a text", b"t\xff\xff\xff\x7fab"),  # a text that says it is 2 GB long, in 7 bytes
    ]
    for why, bad in cut_short:
        with pytest.raises(twin.StageError, match=why):
            stage.insert(stmt, 3, bad)
    with pytest.raises(twin.StageError):
        stage.insert(stmt, 2, good)  # not the statement's number of columns
    with pytest.raises(twin.StageError):
        stage.insert(stmt + 1, 3, good)  # no such statement
    with pytest.raises(twin.StageError, match="no such table"):
        stage.execute("INSERT INTO nowhere VALUES (1)")
    assert stage.insert(stmt, 3, good) == 1  # the statement still works after the errors
    stage.execute("COMMIT")
    stage.close()
    with pytest.raises(twin.StageError, match="closed"):
        stage.execute("SELECT 1")
    rows = _read(tmp_path / "s.stage")
    # Only whole rows before the fault landed, never a half row.
    assert rows[-1] == (1, "två", None) and all(r == (1, "två", None) for r in rows)


def test_sqlite_errors_are_reported(twin, tmp_path) -> None:
    stage = twin.Stage(str(tmp_path / "s.stage"))
    stage.execute("CREATE TABLE t (a NOT NULL, b, c)")
    stmt = stage.prepare(insert_sql("t", COLS))
    buf = bytearray()
    twin.pack_row(buf, (None, 1, 2))
    with pytest.raises(twin.StageError, match="NOT NULL"):
        stage.insert(stmt, 3, buf)
    with pytest.raises(twin.StageError):
        twin.Stage(str(tmp_path / "no" / "such" / "folder" / "s.stage"))
    stage.close()


def test_statements_take_named_parameters(twin, tmp_path) -> None:
    """execute: one statement, :name parameters from a mapping (extra keys
    ignored), its rows back as SQLite's values, and the rows it changed."""
    stage = twin.Stage(str(tmp_path / "s.db"))
    stage.execute("CREATE TABLE t (a, b, c)")
    params = {"a": 2**63 - 1, "b": "å\x00b", "c": 1.5, "unused": object()}
    assert stage.execute("INSERT INTO t VALUES (:a, :b, :c)", params) == ([], 1)
    assert stage.execute("INSERT INTO t VALUES (:a, NULL, :c) RETURNING a", {"a": None, "c": b"\x00"}) == ([(None,)], 1)
    assert stage.execute("SELECT a, b, c FROM t ORDER BY rowid") == ([(2**63 - 1, "å\x00b", 1.5), (None, None, b"\x00")], -1)
    assert stage.execute("UPDATE t SET a = 0", {})[1] == 2
    with pytest.raises(twin.StageError, match="missing"):
        stage.execute("SELECT :missing", {})
    with pytest.raises(twin.StageError):
        stage.execute("SELECT nonsense(")
    stage.close()


def test_voucher_packer_twins_make_the_same_bytes(tmp_path) -> None:
    """VoucherPacker in C and in Python: byte for byte the same batches, in
    both forms, with the same side effects; a voucher refused leaves the
    batches as they were; and SQLite gets the rows the columns say."""
    c = c_speedups()
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
    ]  # fmt: skip
    for copy in (False, True):
        made = []
        for twin in (c, _native):
            unknown: set[str] = set()
            cache: dict = {}
            packer = twin.VoucherPacker(7, {"1910": None}, unknown, cache, json.dumps, KIND_TEXT, HUNDRED, P, copy=copy)
            vbuf, rbuf = bytearray(), bytearray()
            counts = [packer.pack(v, i, 3, 42, f"hash{i}" if i else None, vbuf, rbuf) for i, v in enumerate(vouchers)]
            bad = Voucher("D", "9", day, "", (VoucherRow("1910", Decimal("1"), (), None, None, None, P, None, 1), ("not", "a", "row")))
            with pytest.raises(TypeError):
                packer.pack(bad, 9, 3, 42, None, vbuf, rbuf)
            with pytest.raises(TypeError):
                packer.pack(vouchers[0], 1, 3, 42, None, b"", rbuf)  # a batch is a bytearray
            made.append((bytes(vbuf), bytes(rbuf), counts, unknown, list(cache.items())))
        assert made[0] == made[1]
        assert made[0][2] == [(2, 2), (2, 0), (0, 0)] and made[0][3] == {"3010", "9999", "8888"}
        if not copy:
            packed_rows = made[0][1]
    stage = c.Stage(str(tmp_path / "rows.stage"))
    stage.execute(f"CREATE TABLE voucher_row ({', '.join(ROW_COLS)})")
    stmt = stage.prepare(insert_sql("voucher_row", ROW_COLS))
    assert stage.insert(stmt, len(ROW_COLS), packed_rows) == 4
    got = stage.execute("SELECT * FROM voucher_row ORDER BY rowid")[0]
    stage.close()
    assert got[1] == (0, 7, 3, "posted", "3010", -150, '[[1, "10"], [6, "P1"]]', "2023-01-05", "tåg", "-2.125", "sig", 4)
    assert got[3] == (1, 7, 3, "removed", "8888", -500, '[[1, "\\u00e5"]]', None, None, "0", None, None)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(value, value, value), max_size=30), per=st.integers(1, 7))
def test_several_rows_a_step_store_the_same_rows(tmp_path_factory, rows, per) -> None:
    """A statement that takes ``per`` rows a step, with the one-row statement
    for the remainder, stores every row once, in order, whatever the count."""
    for twin in (c_speedups(), _native):
        tmp = tmp_path_factory.mktemp("many")
        stage, one = _stage_file(twin, tmp)
        many = stage.prepare(insert_sql("t", COLS, per))
        buf = bytearray()
        for row in rows:
            twin.pack_row(buf, row)
        assert stage.insert(many, 3, buf, one) == len(rows)
        stage.execute("COMMIT")
        stage.close()
        assert _read(tmp / "s.stage") == [tuple(r) for r in rows]


def test_a_fault_inside_a_many_row_step_is_an_error(twin, tmp_path) -> None:
    stage, one = _stage_file(twin, tmp_path)
    many = stage.prepare(insert_sql("t", COLS, 4))
    good = bytearray()
    for i in range(4):
        twin.pack_row(good, (i, "x", None))
    with pytest.raises(twin.StageError, match="unknown value tag"):
        stage.insert(many, 3, good + b"z" + good[1:16], one)  # the fifth row's first value has no known tag
    with pytest.raises(twin.StageError):
        stage.insert(one, 3, good, many)  # the one-row statement must take exactly ncols
    with pytest.raises(twin.StageError):
        stage.insert(many, 2, good, one)  # not the one-row statement's number of columns
    assert stage.insert(many, 3, good, one) == 4  # both still work
    stage.execute("COMMIT")
    stage.close()
    rows = _read(tmp_path / "s.stage")
    assert rows[-4:] == [(i, "x", None) for i in range(4)] and len(rows) == 8  # the whole first step, then the good batch


def test_without_the_c_modules_the_switch_takes_the_python_twins() -> None:
    """What an install without a compiler runs: _speedups falls back whole."""
    code = (
        "import sys; sys.modules['ekonomi.core.engine._stage'] = None\n"
        "from ekonomi.core.engine import _speedups, _native\n"
        "assert all(getattr(_speedups, n) is getattr(_native, n) for n in _speedups.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
