"""Bulk writing: the column lists of the bulk tables, and writers that
insert whole batches by the fastest path the database has (``executemany``
on SQLite, ``COPY`` on PostgreSQL) on a second thread.

Where core/engine/_rows.c is built, rows are not handed over as tuples at all: the
store's C packer appends them to the current batch as bytes, in COPY text
for PostgreSQL (``CopyWriter``) or in the staging form for SQLite
(stagewriter.PackedStageWriter), and the writer thread sends the batch whole.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from decimal import Decimal
from datetime import date
from typing import Any

try:  # optional C module (setup.py): rows packed as bytes, no tuple per row
    from . import _rows
except ImportError:
    _rows = None  # type: ignore[assignment]

BATCH_ROWS = 5000  # rows a batch of tuples holds
# Bytes a packed batch holds (PackedWriter): some 30,000 rows.  Each batch
# costs a hand-over between the threads (the writer waits for the
# interpreter lock to take it) and, on PostgreSQL, a COPY statement; batches
# of 2 MB instead of 5,000 rows took 13 % off a 1M-voucher import into
# PostgreSQL and about as much on SQLite, for some 10 MB more in flight.
BATCH_BYTES = 2_000_000

VOUCHER_COLS = (
    "id",
    "company_id",
    "fiscal_year_id",
    "import_id",
    "series",
    "number",
    "date",
    "text",
    "registration_date",
    "signature",
    "source_id",
    "content_hash",
    "line",
)
ROW_COLS = (
    "voucher_id",
    "company_id",
    "fiscal_year_id",
    "kind",
    "account",
    "amount",
    "objects",
    "date",
    "text",
    "quantity",
    "signature",
    "line",
)
BALANCE_COLS = (
    "company_id",
    "fiscal_year_id",
    "import_id",
    "kind",
    "account",
    "object_dim",
    "object_code",
    "amount",
    "quantity",
    "line",
)
PERIOD_COLS = (
    "company_id",
    "fiscal_year_id",
    "import_id",
    "period",
    "account",
    "object_dim",
    "object_code",
    "amount",
    "quantity",
    "line",
)
INVOICE_COLS = (
    "company_id",
    "import_id",
    "kind",
    "number",
    "counterparty_number",
    "counterparty_name",
    "invoice_date",
    "due_date",
    "currency",
    "total_amount",
    "remaining_amount",
    "remaining_amount_sek",
    "as_of",
    "source_id",
    "voucher_series",
    "voucher_number",
)

# Every bulk table and its columns, in the order the store writes them.
TABLE_COLS: dict[str, tuple[str, ...]] = {
    "voucher": VOUCHER_COLS,
    "voucher_row": ROW_COLS,
    "balance": BALANCE_COLS,
    "period_balance": PERIOD_COLS,
    "period_budget": PERIOD_COLS,
    "invoice": INVOICE_COLS,
}


HUNDRED = Decimal(100)


def ore(amount: Decimal) -> int:
    """Decimal kronor → integer öre (exact for at most two decimals, which the
    ledger checks ensure).  A multiplication by a Decimal is 2.5 times as fast
    as ``scaleb(2)``, and the same for any amount that fits in a BIGINT."""
    return int(amount * HUNDRED)


def iso_or_none(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class BulkWriter:
    """Buffered bulk inserts, by the fastest path the database has, written
    on a second thread while the caller goes on reading the input.

    The database driver releases the GIL while SQLite steps or PostgreSQL
    takes the COPY data, so reading and writing share the two cores.  Only
    whole batches cross to the writer thread, through a short queue, so
    memory stays flat.  The caller must ``sync()`` before it runs any other
    statement on the connection; a write error is raised there (or at the
    next ``add``).
    """

    pack_format: str | None = None  # "copy" or "stage": the batches are bytes in that form (PackedWriter)

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.postgres = postgres
        self.raw = raw  # the DBAPI connection (sqlite3 or psycopg)
        self.buffers: dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]] = {}
        self.queue: queue.Queue[tuple[str, Sequence[str], list[tuple[Any, ...]]] | None] = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="ekonomi-bulk-writer", daemon=True)
        self.thread.start()

    def packed(self, table: str, cols: Sequence[str]) -> bytearray | None:
        """The current batch as bytes, for writers that take them
        (PackedWriter); None: this writer takes tuples."""
        return None

    def added(self, table: str) -> None:
        """Rows were appended to ``packed(table)``'s batch."""
        raise NotImplementedError

    def add(self, table: str, cols: Sequence[str], row: tuple[Any, ...]) -> None:
        buf = self.buffers.get(table)
        if buf is None:
            buf = self.buffers[table] = (cols, [])
        buf[1].append(row)
        if len(buf[1]) >= BATCH_ROWS:
            self._hand_over(table)

    def add_many(self, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        buf = self.buffers.get(table)
        if buf is None:
            buf = self.buffers[table] = (cols, [])
        buf[1].extend(rows)
        if len(buf[1]) >= BATCH_ROWS:
            self._hand_over(table)

    def _hand_over(self, table: str) -> None:
        if self.error is not None:
            raise self.error
        cols, rows = self.buffers[table]
        self.buffers[table] = (cols, [])
        self.queue.put((table, cols, rows))

    def sync(self) -> None:
        """Write everything buffered and wait until it is written."""
        for table, (_, rows) in list(self.buffers.items()):
            if rows:
                self._hand_over(table)
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Stop the writer thread (after ``sync``, or to abandon the import)."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()

    def _drain(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:  # after a failure, drop the rest: the import rolls back
                    self._write(*item)
            except BaseException as exc:
                self.error = exc
            finally:
                self.queue.task_done()

    def _write(self, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if self.postgres:
            with self.raw.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" * len(cols))
            cur = self.raw.cursor()
            try:
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
            finally:
                cur.close()


class PackedWriter(BulkWriter):
    """Batches as bytes (core/engine/_pack.h), appended row by row in C: by the
    store's VoucherPacker straight into ``packed(table)``, or by ``add``.
    Subclasses send a whole batch in ``_write``, on the writer thread."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        super().__init__(raw, postgres)
        self._append = _rows.copy_row if self.pack_format == "copy" else _rows.pack_row

    def packed(self, table: str, cols: Sequence[str]) -> bytearray:
        buf = self.buffers.get(table)
        if buf is None:
            buf = self.buffers[table] = (cols, bytearray())  # type: ignore[assignment]
        return buf[1]  # type: ignore[return-value]

    def added(self, table: str) -> None:
        """Rows were appended to ``packed(table)``: hand it over once full."""
        if len(self.buffers[table][1]) >= BATCH_BYTES:
            self._hand_over(table)

    def add(self, table: str, cols: Sequence[str], row: tuple[Any, ...]) -> None:
        self._append(self.packed(table, cols), row)
        self.added(table)

    def add_many(self, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        buf, append = self.packed(table, cols), self._append
        for row in rows:
            append(buf, row)
        self.added(table)

    def _hand_over(self, table: str) -> None:
        if self.error is not None:
            raise self.error
        cols, data = self.buffers[table]
        self.buffers[table] = (cols, bytearray())  # type: ignore[assignment]
        self.queue.put((table, cols, data))  # type: ignore[arg-type]


class CopyWriter(PackedWriter):
    """PostgreSQL: each batch, already in COPY text form, is one COPY.  The
    connection must speak UTF-8 (``copy_writer_fits``)."""

    pack_format = "copy"

    def _write(self, table: str, cols: Sequence[str], data: Any) -> None:
        with self.raw.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write(data)


def copy_writer_fits(raw: Any) -> bool:
    """The C packer is built and the psycopg connection's client encoding is
    UTF-8, the encoding the packer writes texts in."""
    return _rows is not None and str(getattr(raw.info, "encoding", "")).lower().replace("-", "") == "utf8"


class ProcessBulkWriter(BulkWriter):
    """The same buffering, but whole batches go (pickled, through a pipe) to
    a writer process that owns the staging file (stagewriter.serve).  The
    pipe's buffer bounds what is in flight, so memory stays flat."""

    def __init__(self, path: str) -> None:
        import multiprocessing

        from . import stagewriter

        self.buffers = {}
        self.error = None
        ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no copied locks or connections
        self.pipe, child = ctx.Pipe()
        self.proc = ctx.Process(target=stagewriter.serve, args=(path, child), name="ekonomi-stage-writer", daemon=True)
        self.proc.start()
        child.close()

    def _hand_over(self, table: str) -> None:
        if self.error is not None:
            raise self.error
        cols, rows = self.buffers[table]
        self.buffers[table] = (cols, [])
        try:
            self.pipe.send((table, tuple(cols), rows))
        except (BrokenPipeError, OSError) as exc:
            self.error = RuntimeError(f"the staging writer process stopped: {exc}")
            raise self.error from exc

    def sync(self) -> None:
        for table, (_, rows) in list(self.buffers.items()):
            if rows:
                self._hand_over(table)
        try:
            self.pipe.send("sync")
            reply = self.pipe.recv()
        except (BrokenPipeError, EOFError, OSError) as exc:
            self.error = RuntimeError(f"the staging writer process stopped: {exc}")
            raise self.error from exc
        if reply != "ok":
            self.error = RuntimeError(f"writing the staging file failed: {reply}")
            raise self.error

    def close(self) -> None:
        """Commit the staging file (if all went well) and stop the process."""
        if self.proc.is_alive():
            try:
                self.pipe.send(None)
                self.pipe.recv()  # "closed": the file is committed and closed
            except (BrokenPipeError, EOFError, OSError):
                pass
            self.proc.join(timeout=30)
            if self.proc.is_alive():
                self.proc.terminate()
        self.pipe.close()
