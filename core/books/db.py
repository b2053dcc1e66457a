"""Engines, connections and the schema (Alembic migrations).

SQLite is set up for one writer and many readers: WAL, foreign keys on, and
transactions opened by us (pysqlite's own BEGIN handling is switched off) so
that an import can take the write lock up front with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, create_engine

from . import settings

# Imports hold SQLite's write lock for their whole run; others wait this long.
SQLITE_BUSY_TIMEOUT_S = 600
# Every SQLite connection's settings (an import's own connection too, target.py).
SQLITE_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = settings.database_url(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, **kwargs
        )
        _setup_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    return engine


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def writer(engine: Engine) -> Engine:
    """The engine to open *write* transactions with.

    On SQLite a deferred transaction that reads and then writes fails at once
    with "database is locked" when another connection wrote meanwhile; taking
    the write lock up front (``BEGIN IMMEDIATE``) makes it wait its turn
    instead.  Reads keep using the plain engine, so they never wait (WAL).
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision; returns it."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


# The newest migration (core/books/migrations/versions).  Every command checks the
# schema; reading the revision here, not from Alembic's scripts, keeps Alembic
# out of a command's start-up (0.2 s).  tests/test_core_schema.py checks it is
# Alembic's head.
SCHEMA_HEAD = "0010"


def schema_is_current(engine: Engine) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table: never initialised
        return False
    return current == [SCHEMA_HEAD]
