"""The pure-Python twins of core/engine/_rows.c and _stage.c: the same API,
the same bytes, the same rows in SQLite, slower.  _speedups.py picks one;
tests/test_core_stage.py, test_core_copy.py and test_core_rowloops.py run
both and compare them.

The packed form (core/engine/_pack.h): per value a tag byte, ``n`` NULL,
``i`` and a native-order int64, ``t`` and a native-order uint32 length and
UTF-8 bytes.  The COPY form: PostgreSQL's COPY text, UTF-8.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .columns import ore

_INT, _LEN = struct.Struct("=q"), struct.Struct("=I")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_OBJECTS_JSON_MAX = 50_000  # as _rows.c: the cache of encoded object lists stays bounded


def _int64(value: int) -> int:
    if not -(2**63) <= value < 2**63:
        raise OverflowError("an integer to store does not fit in 64 bits")
    return int(value)  # a bool is bound as its int, as sqlite3 does


def _packed(value: Any) -> bytes:
    if value is None:
        return b"n"
    if isinstance(value, int):
        return b"i" + _INT.pack(_int64(value))
    if isinstance(value, str):
        data = value.encode()
        return b"t" + _LEN.pack(len(data)) + data
    raise TypeError(f"cannot store a value of type {type(value).__name__} (only None, int and str)")


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(_int64(value))
    if isinstance(value, str):
        value.encode()  # refuses what has no UTF-8 form, as the C packer does
        return value.translate(_COPY_ESCAPES)
    raise TypeError(f"cannot store a value of type {type(value).__name__} (only None, int and str)")


def _tuple(row: Any, what: str) -> tuple[Any, ...]:
    if not isinstance(row, tuple):
        raise TypeError(f"{what} must be a tuple")
    return row


_INT_VALUE = struct.Struct("=Bq").pack  # the tag 'i' (105) and an int64
_TEXT_HEAD = [b"t" + _LEN.pack(n) for n in range(256)]


def pack_row(batch: bytearray, row: tuple[Any, ...]) -> None:
    """Append a row in the packed form; a refused row leaves nothing behind.
    Cached text heads and one struct call an int: per value calls cost most
    of an import without the C modules."""
    parts: list[bytes] = []
    add = parts.append
    try:
        for v in _tuple(row, "a row"):
            if v is None:
                add(b"n")
            elif type(v) is str:
                data = v.encode()
                add(_TEXT_HEAD[len(data)] if len(data) < 256 else b"t" + _LEN.pack(len(data)))
                add(data)
            elif type(v) is int or type(v) is bool:
                add(_INT_VALUE(105, v))
            else:
                add(_packed(v))  # subclasses of int and str, or the TypeError
    except struct.error as exc:
        raise OverflowError("an integer to store does not fit in 64 bits") from exc
    batch += b"".join(parts)


def copy_row(batch: bytearray, row: tuple[Any, ...]) -> None:
    """Append a row in PostgreSQL's COPY text form."""
    batch += ("\t".join([_copy_text(v) for v in _tuple(row, "a row")]) + "\n").encode()


def ledger_rows(
    rows: Sequence[Any], posted_kind: Any, zero: Decimal, accounts: Any, undeclared: set[str]
) -> tuple[Decimal, Decimal, list[tuple[str, int | None]]]:
    """Σ posted, Σ other rows, and the accounts first seen undeclared here (with
    their row's line), which join ``undeclared`` (the ledger rules' loop)."""
    posted = other = zero
    fresh = []
    for row in rows:
        account, amount, kind, line = _row(row)[0], row[1], row[6], row[8]
        if kind is posted_kind:
            posted += amount
        else:
            other += amount
        if account not in accounts and account not in undeclared:
            undeclared.add(account)
            fresh.append((account, line))
    return posted, other, fresh


def _row(row: Any) -> tuple[Any, ...]:
    if not isinstance(row, tuple) or len(row) < 9:
        raise TypeError("a voucher row must be a VoucherRow")
    return row


class VoucherPacker:
    """A voucher and its rows appended to the writer's two batches, as the
    voucher and voucher_row tables' rows (columns.VOUCHER_COLS, ROW_COLS)."""

    def __init__(self, cid: int, accounts: Any, unknown: set[str], objects_json: dict[Any, str], dumps: Callable[[Any], str],
                 kind_text: dict[Any, str], hundred: Decimal, posted: Any, *, copy: bool = False) -> None:  # fmt: skip
        self.cid, self.accounts, self.unknown, self.objects_json = cid, accounts, unknown, objects_json
        self.dumps, self.kind_text, self.hundred, self.posted = dumps, kind_text, hundred, posted
        self.append = copy_row if copy else pack_row

    def pack(
        self, v: Any, vid: int, fid: int, import_id: int, content_hash: str | None, vbatch: bytearray, rbatch: bytearray
    ) -> tuple[int, int]:
        """Append; returns (rows, posted rows).  A refused voucher leaves both batches as they were."""
        if not isinstance(vbatch, bytearray) or not isinstance(rbatch, bytearray):
            raise TypeError("a batch must be a bytearray")
        if not isinstance(v, tuple) or len(v) < 9:
            raise TypeError("a voucher must be a Voucher")
        series, number, day, text, rows, registered, signature, source_id, line = v[:9]
        head, body = bytearray(), bytearray()
        self.append(head, (vid, self.cid, fid, import_id, series, number, day.isoformat(), text,
                           None if registered is None else registered.isoformat(), signature, source_id, content_hash, line))  # fmt: skip
        posted = 0
        for row in rows:
            account, amount, objs, when, text_, qty, kind, sign, at = _row(row)[:9]
            posted += kind is self.posted
            if account not in self.accounts:
                self.unknown.add(account)
            self.append(body, (vid, self.cid, fid, self.kind_text[kind], account, ore(amount), self._json(objs),
                               None if when is None else when.isoformat(), text_, None if qty is None else str(qty), sign, at))  # fmt: skip
        vbatch += head
        rbatch += body
        return len(rows), posted

    def _json(self, objs: Any) -> str | None:
        if not objs:
            return None
        known = self.objects_json.get(objs)
        if known is None:
            known = self.dumps(objs)
            if len(self.objects_json) < _OBJECTS_JSON_MAX:
                self.objects_json[objs] = known
        return known


class StageError(RuntimeError):
    """A SQLite error, or a malformed batch."""


class Stage:
    """A SQLite connection of its own (the standard sqlite3 module, no
    transaction handling of its own) that binds packed batches."""

    def __init__(self, path: str) -> None:
        try:
            self.con: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StageError(f"cannot open the staging file: {exc}") from exc
        self.statements: list[str] = []

    def _open(self) -> sqlite3.Connection:
        if self.con is None:
            raise StageError("the staging file is closed")
        return self.con

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> tuple[list[tuple[Any, ...]], int]:
        """One statement with :name parameters; (its rows, rows changed or -1)."""
        try:
            cur = self._open().execute(sql, params or {})
            return cur.fetchall(), cur.rowcount
        except sqlite3.Error as exc:
            raise StageError(str(exc)) from exc

    def prepare(self, sql: str) -> int:
        self._open()
        self.statements.append(sql)
        return len(self.statements) - 1

    def insert(self, stmt: int, ncols: int, batch: Any, stmt_one: int | None = None) -> int:
        """Write a packed batch; the sqlite3 module binds one row a step, so
        ``stmt``'s rows a step do not matter here, only its columns."""
        con, one = self._open(), stmt if stmt_one is None else stmt_one
        if not (0 <= stmt < len(self.statements) and 0 <= one < len(self.statements)) or ncols <= 0 or (
            self.statements[one].count("?") != ncols or self.statements[stmt].count("?") % ncols
        ):
            raise StageError("no such statement, or not that many columns")
        rows, why = unpack(bytes(batch), ncols)
        try:
            con.executemany(self.statements[one], rows)
        except sqlite3.Error as exc:
            raise StageError(f"writing the staging file failed: {exc}") from exc
        if why:
            raise StageError(why)
        return len(rows)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def unpack(batch: bytes, ncols: int) -> tuple[list[tuple[Any, ...]], str]:
    """The whole rows of a packed batch, and why it broke off ("" if it did not)."""
    rows: list[tuple[Any, ...]] = []
    row: list[Any] = []
    add, int_at, len_at = row.append, _INT.unpack_from, _LEN.unpack_from
    at, end, why = 0, len(batch), ""
    while at < end:
        tag = batch[at]
        if tag == 0x6E:  # n
            add(None)
            at += 1
        elif tag == 0x69:  # i
            if end - at < 9:
                why = "a packed batch ends inside a number"
                break
            add(int_at(batch, at + 1)[0])
            at += 9
        elif tag == 0x74:  # t
            n = len_at(batch, at + 1)[0] if end - at >= 5 else end
            if end - at - 5 < n:
                why = "a packed batch ends inside a text"
                break
            add(batch[at + 5 : at + 5 + n].decode())
            at += 5 + n
        else:
            why = "a packed batch holds an unknown value tag"
            break
        if len(row) == ncols:
            rows.append(tuple(row))
            row.clear()
    return rows, why or ("a packed batch ends inside a row" if row else "")
