"""Rows to the database in whole batches, on a second thread.

The store appends each row to its table's current batch as bytes: COPY text
for PostgreSQL, the packed form (core/engine/_pack.h) for SQLite.  A full
batch crosses to the writer thread through a short queue and is sent whole:
one COPY, or bound into SQLite by a Stage (core/engine/_stage.c) that lets go
of the interpreter lock.  Reading the input and writing the rows so share the
two cores, and memory stays flat: at most a few batches are in flight.

The staging file of a SQLite import (target.StagedTarget) is made here too:
a plain SQLite database with the bulk tables, no indexes, no journal; nothing
in it needs to survive a crash, it only has to be copied in at commit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from ._speedups import Stage, copy_row, pack_row
from .columns import TABLE_COLS

# Bytes a batch holds before it is sent (some 30,000 rows): each batch costs
# a hand-over between the threads and, on PostgreSQL, a COPY statement.
BATCH_BYTES = 2_000_000
# Rows bound per SQLite statement: one run of SQLite's program (its cursors
# opened, its transaction checked) serves them all; a batch's remainder goes
# one row a step.  999 parameters is the oldest SQLite's limit.
ROWS_PER_STEP = 64
_MAX_PARAMS = 999


@runtime_checkable
class Writer(Protocol):
    """Where the store appends rows (in columns.TABLE_COLS order)."""

    copy: bool  # the batches are COPY text (PostgreSQL), else the packed form

    def batch(self, table: str) -> bytearray:
        """The table's current batch, to append rows to in place."""

    def added(self, table: str) -> None:
        """Rows were appended to ``batch(table)``: it is sent once full."""

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        """Append one row."""

    def sync(self) -> None:
        """Send everything appended and wait until it is written; raises the
        writer thread's error.  Needed before any other statement runs on the
        writer's connection."""

    def close(self) -> None:
        """Stop the writer thread (after ``sync``, or to give the import up)."""


class BatchWriter:
    """The Writer: batches of bytes, each sent whole by ``send(table, batch)``
    on the writer thread.  A write error is raised at the next ``sync`` (or
    ``add``); after it the rest is dropped, since the import rolls back."""

    def __init__(self, send: Callable[[str, bytearray], None], *, copy: bool) -> None:
        self.send = send
        self.copy = copy
        self.append = copy_row if copy else pack_row
        self.batches: dict[str, bytearray] = {}
        self.queue: queue.Queue[tuple[str, bytearray] | None] = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="ekonomi-batch-writer", daemon=True)
        self.thread.start()

    def batch(self, table: str) -> bytearray:
        batch = self.batches.get(table)
        if batch is None:
            batch = self.batches[table] = bytearray()
        return batch

    def added(self, table: str) -> None:
        if len(self.batches[table]) >= BATCH_BYTES:
            self._hand_over(table)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.append(self.batch(table), row)
        self.added(table)

    def _hand_over(self, table: str) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((table, self.batches.pop(table)))

    def sync(self) -> None:
        for table in [t for t, batch in self.batches.items() if batch]:
            self._hand_over(table)
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()

    def _drain(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    self.send(*item)
            except BaseException as exc:
                self.error = exc
            finally:
                self.queue.task_done()


def copy_sender(raw: Any) -> Callable[[str, bytearray], None]:
    """PostgreSQL (a psycopg connection): each batch is one COPY.  The batches
    are UTF-8; for a connection in another client encoding they are re-encoded."""
    encoding = str(raw.info.encoding)

    def send(table: str, batch: bytearray) -> None:
        data = batch if encoding == "utf-8" else batch.decode().encode(encoding)
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(TABLE_COLS[table])}) FROM STDIN") as copy:
            copy.write(data)

    return send


def stage_sender(stage: Stage) -> Callable[[str, bytearray], None]:
    """SQLite: each batch bound by ``stage``, in whatever transaction its
    owner has open; the statements stay prepared until the Stage closes."""
    statements: dict[str, tuple[int, int]] = {}

    def send(table: str, batch: bytearray) -> None:
        cols = TABLE_COLS[table]
        if table not in statements:
            per = max(1, min(ROWS_PER_STEP, _MAX_PARAMS // len(cols)))
            statements[table] = (stage.prepare(insert_sql(table, cols, per)), stage.prepare(insert_sql(table, cols)))
        many, one = statements[table]
        stage.insert(many, len(cols), batch, one)

    return send


def insert_sql(table: str, cols: Sequence[str], rows: int = 1) -> str:
    values = ", ".join([f"({', '.join('?' * len(cols))})"] * rows)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values}"


def open_stage_file(path: str) -> Stage:
    """A new staging file with the bulk tables, its one transaction open."""
    stage = Stage(path)
    pragmas = ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-32768")
    for sql in [f"PRAGMA {p}" for p in pragmas] + [f"CREATE TABLE {t} ({', '.join(c)})" for t, c in TABLE_COLS.items()]:
        stage.execute(sql)
    stage.execute("BEGIN")
    return stage
