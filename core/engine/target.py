"""Where one import's rows go until it commits, per database.

``PostgresTarget``: one transaction from the first row to the commit; the
rows are COPYed straight into the tables.  PostgreSQL lets other writers
work meanwhile, so nothing else waits.

``StagedTarget`` (SQLite): SQLite has one write lock for the whole database,
so an import that wrote straight into it would make every other writer (a
second upload, a settings change) wait until it ended.  Rows go instead into
a private staging file beside the database (writers.open_stage_file), and
only the commit takes the write lock: attach the staging file, copy its
tables across (``INSERT … SELECT``), apply the replace rules, commit.  The
lock is held for the copy, not for the reading of the input.

``SqliteDirectTarget`` (SQLite, inputs of ``EKONOMI_SQLITE_DIRECT_MB`` or
more, 64 by default): for a big input the copy itself is long and comes after
the reading, on the same core.  Such an import opens a connection of its own
to the database file (``SqliteConnection``), takes the write lock at its
start, and its writer thread binds the rows straight into the tables while
the input is read; the replace rules, the chart and the import log then run
on that same connection, so all of it commits or rolls back together.  Other
writers wait their turn meanwhile (``db.SQLITE_BUSY_TIMEOUT_S``); they are
never refused.  benchmarks/README.md has the figures that keep this path.

All hand out voucher ids ahead of the insert, so that rows go in the same
batch as their voucher, and fiscal-year ids for years the import brings.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ..books.db import SQLITE_BUSY_TIMEOUT_S, SQLITE_PRAGMAS, writer
from ._speedups import Stage, StageError
from .columns import TABLE_COLS
from .writers import BatchWriter, Writer, copy_sender, open_stage_file, stage_sender

# Voucher ids drawn at a time (PostgreSQL): 64 at first, twice as many each
# time up to ID_BLOCK, so that a sync of three vouchers draws few and a big
# import needs few round trips.  What a failed import drew is skipped.
ID_FIRST, ID_BLOCK = 64, 20_000
_BIG_CACHE, _USUAL_CACHE = "cache_size=-32768", "cache_size=-2000"  # 32 MB keeps the indexes of a big write in memory
_INSERT_YEAR = 'INSERT INTO fiscal_year (company_id, start, "end", import_id) VALUES (:c, :s, :e, :i) RETURNING id'


@runtime_checkable
class Target(Protocol):
    """Where the store's rows go, and the transaction they commit in."""

    year_map: dict[int, int]  # fiscal-year ids handed out → the real ones, known once committing

    @property
    def writer(self) -> Writer:
        """Where the rows go."""

    def read(self, sql: str, params: dict[str, Any]) -> Any:
        """Rows of a query (the stored books, and what this import wrote)."""

    def new_year(self, company_id: int, start: date, end: date, import_id: int) -> int:
        """A fiscal year the import brings; its id."""

    def voucher_id(self) -> int:
        """The next voucher's id."""

    def committing(self) -> AbstractContextManager[Any]:
        """The rows written, the rest of the transaction: yields its
        connection (``execute(text(sql), params)``), commits at the block's end."""

    def close(self) -> None:
        """Undo whatever was not committed and clean up; safe to call twice."""


class _OneTransaction:
    """A target whose rows go into the tables in the import's one transaction
    on ``conn``, from the first row to the commit.  Statements other than the
    writer's wait until the writer has written what it holds (``sync``)."""

    conn: Any  # a SQLAlchemy Connection, or a SqliteConnection
    writer: BatchWriter

    def read(self, sql: str, params: dict[str, Any]) -> Any:
        self.writer.sync()
        return self.conn.execute(text(sql), params)

    def new_year(self, company_id: int, start: date, end: date, import_id: int) -> int:
        self.writer.sync()
        return self.conn.execute(text(_INSERT_YEAR), {"c": company_id, "s": start, "e": end, "i": import_id}).scalar()

    @contextlib.contextmanager
    def committing(self) -> Iterator[Any]:
        self.writer.sync()
        self.writer.close()
        yield self.conn
        self.conn.commit()

    def close(self) -> None:
        self.writer.close()
        self.conn.rollback()
        self.conn.close()


class PostgresTarget(_OneTransaction):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn = engine.connect()
        self.conn.begin()
        self.writer = BatchWriter(copy_sender(self.conn.connection.driver_connection), copy=True)
        self.year_map: dict[int, int] = {}
        self._ids: list[int] = []
        self._block = ID_FIRST

    def voucher_id(self) -> int:
        # Drawn from the table's sequence a block at a time, on a connection
        # of its own: sequences are not transactional, and this connection is
        # busy with COPY on the writer thread.
        if not self._ids:
            with self.engine.connect() as own:
                self._ids = list(
                    own.execute(
                        text(f"SELECT nextval(pg_get_serial_sequence('voucher', 'id')) FROM generate_series(1, {self._block})")
                    ).scalars()
                )
                own.commit()
            self._ids.reverse()
            self._block = min(2 * self._block, ID_BLOCK)
        return self._ids.pop()


class SqliteDirectTarget(_OneTransaction):
    """SQLite, big inputs: the import's own connection holds the write lock
    from the first row to the commit; the writer thread binds on it."""

    def __init__(self, path: str) -> None:
        self.conn = SqliteConnection(path)
        try:
            self.conn.execute(f"PRAGMA {_BIG_CACHE}")
            self.conn.execute("BEGIN IMMEDIATE")  # waits its turn for the write lock
            # Nobody else can add vouchers while we hold the lock: ids follow the stored ones.
            self.next_voucher = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM voucher").scalar()
        except BaseException:
            self.conn.close()
            raise
        self.writer = BatchWriter(stage_sender(self.conn.stage), copy=False)
        self.year_map: dict[int, int] = {}

    def voucher_id(self) -> int:
        self.next_voucher += 1
        return self.next_voucher - 1


class SqliteConnection:
    """A connection of its own to a SQLite database file (a Stage: SQLite's C
    API, or the sqlite3 module without the C modules), set up as the engine's
    connections are.  It runs what the store and the pipeline hand a
    SQLAlchemy Connection: ``execute(text(sql), params)`` with ``:name``
    parameters, which SQLite binds natively, a dict or a list of dicts."""

    def __init__(self, path: str) -> None:
        self.stage = Stage(path)
        try:
            for pragma in (*SQLITE_PRAGMAS, f"busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}"):
                self.stage.execute(f"PRAGMA {pragma}")
        except BaseException:
            self.stage.close()
            raise

    def execute(self, sql: Any, params: dict[str, Any] | list[dict[str, Any]] | None = None) -> Rows:
        sql = getattr(sql, "text", sql)  # a text() clause, or plain SQL
        if isinstance(params, list):
            return Rows([], sum(self.stage.execute(sql, _bindable(p))[1] for p in params))
        return Rows(*self.stage.execute(sql, _bindable(params or {})))

    def commit(self) -> None:
        self.stage.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(StageError):  # none open: nothing to undo
            self.stage.execute("ROLLBACK")

    def close(self) -> None:
        self.stage.close()


def _bindable(params: dict[str, Any]) -> dict[str, Any]:
    """Dates and times as the sqlite3 module stores them (ISO text)."""
    return {
        k: v.isoformat(" ") if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v
        for k, v in params.items()
    }


class Rows:
    """Fetched rows, with the few Result methods the store and pipeline use."""

    def __init__(self, rows: list[Any], rowcount: int = -1) -> None:
        self.rows, self.rowcount = rows, rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def all(self) -> list[Any]:
        return self.rows

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class StagedTarget:
    """SQLite: rows go into a staging file; the commit copies them across."""

    def __init__(self, engine: Engine, import_id: int) -> None:
        self.engine = engine
        self.path = _stage_folder(engine) / f".ekonomi-import-{import_id}-{uuid.uuid4().hex[:8]}.stage"
        self.stage = open_stage_file(str(self.path))
        self.writer = BatchWriter(stage_sender(self.stage), copy=False)
        self.reader = engine.connect()  # reads only: never takes the write lock
        self.next_voucher = 1
        self.new_years: dict[int, tuple[int, date, date, int]] = {}  # temp id -> (company, start, end, import)
        self.year_map: dict[int, int] = {}  # temp id -> real id, known once committing
        self.main: Connection | None = None

    def read(self, sql: str, params: dict[str, Any]) -> Rows:
        result = self.reader.execute(text(sql), params).all()
        self.reader.commit()  # end the read transaction: keep no old snapshot alive
        return Rows(result)

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
        self.stage.execute("COMMIT")
        self.stage.close()
        self.main = writer(self.engine).connect()
        raw = self.main.connection.driver_connection
        raw.execute("ATTACH DATABASE ? AS stage", (str(self.path),))  # outside a transaction, as SQLite requires
        raw.execute(f"PRAGMA main.{_BIG_CACHE}")
        try:
            with self.main.begin():
                for temp, (company_id, start, end, import_id) in self.new_years.items():
                    self.year_map[temp] = self.main.execute(
                        text(_INSERT_YEAR), {"c": company_id, "s": start.isoformat(), "e": end.isoformat(), "i": import_id}
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
            raw.execute(f"PRAGMA main.{_USUAL_CACHE}")

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
        self.stage.close()
        self.reader.close()
        if self.main is not None:
            self.main.rollback()
            self.main.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _stage_folder(engine: Engine) -> Path:
    db = engine.url.database
    return Path(db).resolve().parent if db and db != ":memory:" else Path(os.environ.get("TMPDIR", "/tmp"))


def remove_stage_files(engine: Engine, import_id: int) -> None:
    """What an import killed mid-way left behind (its rows never landed)."""
    if engine.dialect.name == "sqlite":
        for path in _stage_folder(engine).glob(f".ekonomi-import-{int(import_id)}-*.stage"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def open_target(engine: Engine, import_id: int, size_hint: int = 0) -> Target:
    """``size_hint``: the input's size in bytes, if known."""
    if engine.dialect.name != "sqlite":
        return PostgresTarget(engine)
    db = engine.url.database
    big = float(os.environ.get("EKONOMI_SQLITE_DIRECT_MB", "64")) * 1024 * 1024
    if size_hint and size_hint >= big and db and db != ":memory:":
        return SqliteDirectTarget(db)
    return StagedTarget(engine, import_id)
