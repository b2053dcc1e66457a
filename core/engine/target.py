"""Where one import's rows go until it commits, per database.

``DirectTarget`` (PostgreSQL): one transaction from the first row to the
commit; rows are COPYed straight into the tables (as COPY text made in C,
bulk.CopyWriter, where core/engine/_rows.c is built).  PostgreSQL lets other
writers work meanwhile, so nothing else waits.

``StagedTarget`` (SQLite): SQLite has one write lock for the whole database,
so an import that wrote straight into it would make every other writer (a
second upload, a settings change) wait until it ended.  Rows go instead into
a private staging database beside the main one (no journal, no indexes;
written as stagewriter.py says), and only the commit takes the write lock: attach the staging file, copy its
tables across in C (``INSERT … SELECT``), apply the replace rules, commit.
The lock is held for the copy, not for the reading of the file.

``SqliteDirectTarget`` (SQLite, inputs of ``EKONOMI_SQLITE_DIRECT_MB`` or
more, 64 by default): for a big input the copy itself is long (about 10 s
for a million vouchers) and comes after the reading, on the same core.
Such an import takes the write lock at its start instead and its writer
thread binds the rows straight into the tables, on the import's own
connection, while the file is read: no staging file, no copy; the import
ends a quarter or so sooner and holds the lock about twice as long.  Other
writers wait their turn meanwhile (``db.SQLITE_BUSY_TIMEOUT_S``); they are
never refused.

Both hand out voucher ids ahead of the insert so rows can be written in the
same batch as their voucher, and fiscal-year ids for years the import brings.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .bulk import TABLE_COLS, BulkWriter, CopyWriter, ProcessBulkWriter, copy_writer_fits
from ..books.db import writer
from .stagewriter import PackedSqliteWriter, PackedStageWriter, borrow, open_stage, packed_available

log = logging.getLogger(__name__)

ID_BLOCK = 20_000  # voucher ids drawn at a time (PostgreSQL); what a failed import drew is skipped


class DirectTarget:
    """PostgreSQL: rows go into the tables inside the import's transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn = engine.connect()
        self.conn.begin()
        raw = self.conn.connection.driver_connection
        self.writer = CopyWriter(raw, postgres=True) if copy_writer_fits(raw) else BulkWriter(raw, postgres=True)
        self._ids: list[int] = []
        self.year_map: dict[int, int] = {}

    def read(self, sql: str, params: dict[str, Any]) -> Any:
        self.writer.sync()
        return self.conn.execute(text(sql), params)

    def new_year(self, company_id: int, start: date, end: date, import_id: int) -> int:
        self.writer.sync()
        return self.conn.execute(
            text('INSERT INTO fiscal_year (company_id, start, "end", import_id) VALUES (:c, :s, :e, :i) RETURNING id'),
            {"c": company_id, "s": start, "e": end, "i": import_id},
        ).scalar_one()

    def voucher_id(self) -> int:
        # Drawn from the table's sequence a block at a time, on a connection
        # of its own: sequences are not transactional, and this connection is
        # busy with COPY on the writer thread.
        if not self._ids:
            with self.engine.connect() as own:
                self._ids = list(
                    own.execute(
                        text(f"SELECT nextval(pg_get_serial_sequence('voucher', 'id')) FROM generate_series(1, {ID_BLOCK})")
                    ).scalars()
                )
                own.commit()
            self._ids.reverse()
        return self._ids.pop()

    @contextlib.contextmanager
    def committing(self) -> Iterator[Connection]:
        """The final part of the transaction; commits when the block ends."""
        self.writer.sync()
        self.writer.close()
        yield self.conn
        self.conn.commit()

    def close(self) -> None:
        self.writer.close()
        if self.conn.in_transaction():
            self.conn.rollback()
        self.conn.close()


class SqliteDirectTarget(DirectTarget):
    """SQLite, big inputs: one transaction, holding the write lock, from the
    first row to the commit; the C writer binds the rows on the same
    connection's handle (stagewriter.borrow)."""

    def __init__(self, engine: Engine, conn: Connection, stage: Any) -> None:
        self.engine = engine
        self.conn = conn
        # Nobody else can add vouchers while we hold the lock: ids follow the stored ones.
        self.next_voucher = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM voucher")).scalar_one()
        self.writer = PackedSqliteWriter(stage)
        self.year_map: dict[int, int] = {}

    @classmethod
    def open(cls, engine: Engine) -> SqliteDirectTarget | None:
        """Take the write lock and borrow the connection's handle; None (and
        nothing held) where the handle cannot be borrowed safely."""
        conn = writer(engine).connect()
        try:
            raw = conn.connection.driver_connection
            stage, why = borrow(raw)
            if stage is not None and not _same_file(stage.filename(), engine.url.database):
                stage, why = None, f"the connection's file is not {engine.url.database}"
            if stage is None:
                log.info("A big SQLite import stages its rows instead of writing them straight in: %s", why)
                conn.close()
                return None
            raw.execute("PRAGMA main.cache_size=-32768")  # 32 MB: the indexes being appended to stay in memory
            conn.begin()  # BEGIN IMMEDIATE: waits its turn for the write lock
            return cls(engine, conn, stage)
        except BaseException:
            conn.close()
            raise

    def voucher_id(self) -> int:
        self.next_voucher += 1
        return self.next_voucher - 1

    def new_year(self, company_id: int, start: date, end: date, import_id: int) -> int:
        self.writer.sync()
        return self.conn.execute(
            text('INSERT INTO fiscal_year (company_id, start, "end", import_id) VALUES (:c, :s, :e, :i) RETURNING id'),
            {"c": company_id, "s": start.isoformat(), "e": end.isoformat(), "i": import_id},
        ).scalar_one()

    def close(self) -> None:
        self.writer.close()
        if self.conn.in_transaction():
            self.conn.rollback()
        with contextlib.suppress(Exception):
            self.conn.exec_driver_sql("PRAGMA main.cache_size=-2000")  # the pooled connection's usual cache
        self.conn.close()


def _same_file(a: str, b: str | None) -> bool:
    return bool(a and b and b != ":memory:") and os.path.realpath(a) == os.path.realpath(b)  # type: ignore[arg-type]


def _direct_threshold() -> float:
    return float(os.environ.get("EKONOMI_SQLITE_DIRECT_MB", "64")) * 1024 * 1024


def _stage_folder(engine: Engine) -> Path:
    db = engine.url.database
    return Path(db).resolve().parent if db and db != ":memory:" else Path(os.environ.get("TMPDIR", "/tmp"))


def remove_stage_files(engine: Engine, import_id: int) -> None:
    """What an import killed mid-way left behind (its rows never landed)."""
    if engine.dialect.name == "sqlite":
        for path in _stage_folder(engine).glob(f".ekonomi-import-{int(import_id)}-*.stage"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


class StagedTarget:
    """SQLite: rows go into a staging file; the commit copies them across."""

    def __init__(self, engine: Engine, import_id: int, size_hint: int = 0) -> None:
        self.engine = engine
        self.path = _stage_folder(engine) / f".ekonomi-import-{import_id}-{uuid.uuid4().hex[:8]}.stage"
        self.stage: sqlite3.Connection | None = None
        self.writer: BulkWriter
        if packed_available():
            self.writer = PackedStageWriter(str(self.path))
        elif _use_writer_process(size_hint):
            self.writer = ProcessBulkWriter(str(self.path))
        else:
            self.stage = open_stage(str(self.path))
            self.writer = BulkWriter(self.stage, postgres=False)
        self.reader = engine.connect()  # reads only: never takes the write lock
        self.next_voucher = 1
        self.new_years: dict[int, tuple[int, date, date, int]] = {}  # temp id -> (company, start, end, import)
        self.year_map: dict[int, int] = {}  # temp id -> real id, known once committing
        self.main: Connection | None = None

    def read(self, sql: str, params: dict[str, Any]) -> Any:
        result = self.reader.execute(text(sql), params).all()
        self.reader.commit()  # end the read transaction: keep no old snapshot alive
        return _Rows(result)

    def new_year(self, company_id: int, start: date, end: date, import_id: int) -> int:
        temp = -1 - len(self.new_years)
        self.new_years[temp] = (company_id, start, end, import_id)
        return temp

    def voucher_id(self) -> int:
        self.next_voucher += 1
        return self.next_voucher - 1

    @contextlib.contextmanager
    def committing(self) -> Iterator[Connection]:
        """Take the write lock, copy the staged rows in, and hand over the
        transaction; it commits when the block ends."""
        self.writer.sync()
        self.writer.close()
        if self.stage is not None:
            self.stage.execute("COMMIT")
            self.stage.close()
        self.main = writer(self.engine).connect()
        raw = self.main.connection.driver_connection
        raw.execute("ATTACH DATABASE ? AS stage", (str(self.path),))  # outside a transaction, as SQLite requires
        raw.execute("PRAGMA main.cache_size=-32768")  # 32 MB: the indexes of a big copy stay in memory
        try:
            with self.main.begin():
                for temp, (company_id, start, end, import_id) in self.new_years.items():
                    self.year_map[temp] = self.main.execute(
                        text('INSERT INTO fiscal_year (company_id, start, "end", import_id) VALUES (:c, :s, :e, :i) RETURNING id'),
                        {"c": company_id, "s": start.isoformat(), "e": end.isoformat(), "i": import_id},
                    ).scalar_one()
                offset = self.main.execute(text("SELECT coalesce(max(id), 0) FROM voucher")).scalar_one()
                for table, cols in TABLE_COLS.items():
                    self.main.exec_driver_sql(
                        f"INSERT INTO main.{table} ({', '.join(cols)}) "
                        f"SELECT {', '.join(self._copied(c, offset) for c in cols)} FROM stage.{table}"
                    )
                yield self.main
        finally:
            raw.execute("DETACH DATABASE stage")
            raw.execute("PRAGMA main.cache_size=-2000")

    def _copied(self, col: str, offset: int) -> str:
        """How a staged column becomes a stored one: voucher ids moved past
        the stored ones, temporary fiscal-year ids replaced by real ones."""
        if col in ("id", "voucher_id"):
            return f"{col} + {int(offset)}"
        if col == "fiscal_year_id" and self.year_map:
            cases = " ".join(f"WHEN {int(t)} THEN {int(real)}" for t, real in self.year_map.items())
            return f"CASE fiscal_year_id {cases} ELSE fiscal_year_id END"
        return col

    def close(self) -> None:
        self.writer.close()
        if self.stage is not None:
            with contextlib.suppress(sqlite3.Error):
                self.stage.close()
        self.reader.close()
        if self.main is not None:
            if self.main.in_transaction():
                self.main.rollback()
            self.main.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class _Rows:
    """Rows already fetched, with the few Result methods the store uses."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


def _use_writer_process(size_hint: int) -> bool:
    """Without core/engine/_stage.c: a writer process pays off for big inputs (it costs ~0.2 s to start);
    a daemonic process (a Celery prefork worker) may not have children."""
    import multiprocessing

    threshold = float(os.environ.get("EKONOMI_STAGE_PROCESS_MB", "16")) * 1024 * 1024
    return size_hint >= threshold and not multiprocessing.current_process().daemon


def open_target(engine: Engine, import_id: int, size_hint: int = 0) -> DirectTarget | StagedTarget:
    """``size_hint``: the input's size in bytes, if known."""
    if engine.dialect.name == "sqlite":
        if size_hint and size_hint >= _direct_threshold():
            direct = SqliteDirectTarget.open(engine)
            if direct is not None:
                return direct
        return StagedTarget(engine, import_id, size_hint)
    return DirectTarget(engine)
