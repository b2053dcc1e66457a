"""The staging file of a SQLite import, and the process that can write it.

A staging file is a plain SQLite database with the bulk tables, no indexes,
no journal: nothing in it needs to survive a crash, it only has to be
copied into the main database at commit (target.StagedTarget).

Binding rows into SQLite costs about as much as reading them from the input,
so it runs on the other core.  Two ways:

- ``PackedStageWriter`` (core/engine/_stage.c, the usual way): rows are packed into
  batches as the store makes them, and a thread binds each batch in C with
  the interpreter lock released.  No second process, no pickling.
- Without the C modules, big inputs are written by a separate process with
  its own interpreter lock (``serve``: only this module and the standard
  library are loaded there), small ones by a thread (bulk.BulkWriter).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from multiprocessing.connection import Connection as Pipe
from typing import Any

from .bulk import TABLE_COLS, PackedWriter

try:  # optional C modules (setup.py); without them the Python ways below
    from . import _rows, _stage
except ImportError:
    _rows = _stage = None  # type: ignore[assignment]


def stage_schema() -> list[str]:
    """The staging file's settings and tables, then its one transaction."""
    pragmas = ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-32768")
    tables = [f"CREATE TABLE {table} ({', '.join(cols)})" for table, cols in TABLE_COLS.items()]
    return [f"PRAGMA {p}" for p in pragmas] + tables + ["BEGIN"]


def insert_sql(table: str, cols: Sequence[str], rows: int = 1) -> str:
    values = ", ".join([f"({', '.join('?' * len(cols))})"] * rows)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values}"


def open_stage(path: str) -> sqlite3.Connection:
    """Create the staging file's tables and open its one transaction."""
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for sql in stage_schema():
        con.execute(sql)
    return con


def insert(con: sqlite3.Connection, table: str, cols: Any, rows: list[tuple[Any, ...]]) -> None:
    con.executemany(insert_sql(table, cols), rows)


# Rows bound per statement: one run of SQLite's program (its cursors opened,
# its transaction checked) serves them all.  64 rows a step took a third of
# the writer's time off a 1M-voucher import; the remainder of a batch goes
# one row a step.
ROWS_PER_STEP = 64


def packed_available() -> bool:
    return _stage is not None and _rows is not None


class PackedSqliteWriter(PackedWriter):
    """Batches packed in C (core/engine/_pack.h), bound into SQLite by the writer
    thread with a Stage (core/engine/_stage.c), without the interpreter lock and
    many rows a statement.  Here the Stage's transaction is its owner's
    (target.SqliteDirectTarget: the import's own connection); closing
    finalizes the statements and leaves the connection open."""

    pack_format = "stage"

    def __init__(self, stage: Any) -> None:
        self.stage = stage
        self.statements: dict[str, tuple[int, int]] = {}
        self.stage_open = True
        super().__init__(stage, postgres=False)

    def _write(self, table: str, cols: Sequence[str], data: Any) -> None:  # on the writer thread
        stmts = self.statements.get(table)
        if stmts is None:
            many = max(1, min(ROWS_PER_STEP, 999 // len(cols)))  # the oldest SQLite's limit on parameters
            stmts = (self.stage.prepare(insert_sql(table, cols, many)), self.stage.prepare(insert_sql(table, cols)))
            self.statements[table] = stmts
        self.stage.insert(stmts[0], len(cols), data, stmts[1])

    def close(self) -> None:
        """Stop the thread, finish (``_finish``) and close the Stage; once."""
        super().close()
        if self.stage_open:
            self.stage_open = False
            try:
                self._finish()
            finally:
                self.stage.close()

    def _finish(self) -> None:
        """Nothing: the transaction is the caller's to commit."""


class PackedStageWriter(PackedSqliteWriter):
    """The same, into a staging file of its own (its one transaction is
    committed at close if all went well)."""

    def __init__(self, path: str) -> None:
        stage = _stage.Stage(path)
        for sql in stage_schema():
            stage.execute(sql)
        super().__init__(stage)

    def _finish(self) -> None:
        if self.error is None:
            self.stage.execute("COMMIT")


def borrow(raw: sqlite3.Connection) -> tuple[Any, str]:
    """A Stage on ``raw``'s own SQLite handle (core/engine/_stage.c ``borrow``
    says when that is safe), or None and the reason it is not."""
    if not packed_available():
        return None, "core/engine/_stage.c is not built"
    import _sqlite3

    try:
        stage = _stage.borrow(raw, _sqlite3.__file__)
    except _stage.StageError as exc:
        return None, str(exc)
    return stage, ""


def serve(path: str, pipe: Pipe) -> None:
    """The writer process: batches in, "ok" or the error out on "sync",
    None to commit and stop.  After an error it keeps reading (and dropping)
    so the sender never blocks; the import fails at its next sync."""
    con = open_stage(path)
    error: str | None = None
    while True:
        try:
            msg = pipe.recv()
        except EOFError:  # the importing process went away: nothing to keep
            con.close()
            return
        if msg is None:
            break
        if msg == "sync":
            pipe.send(error or "ok")
            continue
        if error is None:
            try:
                insert(con, *msg)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
    if error is None:
        con.execute("COMMIT")
    con.close()
    pipe.send("closed")
