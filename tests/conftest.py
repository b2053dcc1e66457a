"""Shared fixtures.  Entry-point autoloading stays off in unit tests: test
plugins are registered directly (docs/style.md item 14)."""

from __future__ import annotations

import os
import shutil

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EKONOMI_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip when a resource is missing, except in CI where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sie_corpus() -> Path:
    path = SHARED / "sie-corpus"
    need(path.is_dir(), f"the SIE corpus is not at {path} (set EKONOMI_SHARED)")
    return path


@pytest.fixture(scope="session")
def gen_sie4() -> Path:
    path = SHARED / "tools" / "gen_sie4.py"
    need(path.is_file(), f"the SIE generator is not at {path} (set EKONOMI_SHARED)")
    return path


# ---------------------------------------------------------------------------
# databases: the suite runs on SQLite, and again on PostgreSQL with
# EKONOMI_TEST_DB=postgres (tox -e py-postgres; CI runs both)
# ---------------------------------------------------------------------------

PG_ADMIN_URL = os.environ.get("EKONOMI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_DB = os.environ.get("EKONOMI_TEST_DB", "sqlite")


def _pg_available() -> bool:
    try:
        import psycopg

        url = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """A fresh PostgreSQL database for this test session."""
    need(_pg_available(), f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    import uuid

    import psycopg

    name = f"ekonomi_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _pg_schema(request: pytest.FixtureRequest) -> str | None:
    if TEST_DB != "postgres":
        return None
    url = request.getfixturevalue("pg_server_url")
    from ekonomi.core.books.db import init_db, make_engine

    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to the head, copied for each test: the
    migrations run once a session instead of once a test."""
    from ekonomi.core.books.db import init_db, make_engine

    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    engine.dispose()  # the last connection closed: the WAL is written back into the file
    assert not path.with_name(path.name + "-wal").exists(), "the template's WAL was not checkpointed"
    return path


@pytest.fixture
def database_url(tmp_path: Path, _pg_schema: str | None, request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database for one test."""
    from ekonomi.core.books.db import make_engine

    if _pg_schema is None:
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from ekonomi.core.books import models  # noqa: F401

    # What the last test wrote is deleted, table by table (children first),
    # and the id sequences it used start again: cheaper than a TRUNCATE of
    # every table, which costs per table even when it is empty.
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    written = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in tables)
    engine = make_engine(_pg_schema)
    with engine.begin() as conn:
        holding = set(conn.execute(text(written)).scalars())
        for table in tables:
            if table.name in holding:
                conn.execute(text(f"DELETE FROM {table.name}"))
        used = "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        for sequence in conn.execute(text(used)).scalars().all():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    engine.dispose()
    return _pg_schema


@pytest.fixture
def engine(database_url: str):
    from ekonomi.core.books.db import make_engine

    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def pm(monkeypatch: pytest.MonkeyPatch):
    """A plugin manager with the built-in sources (registered as the entry
    points would) and the fake test source."""
    from ekonomi.core.engine import plugins
    from tests.fakes import FakePlugin

    manager = plugins.PluginManager(load_entry_points=False)
    import importlib

    for name in ("sie4",):
        try:
            module = importlib.import_module(f"ekonomi.plugins.{name}.source")
        except Exception:  # the plugin may not exist yet in this checkout
            continue
        manager.register(module, name=name, builtin=True)
    manager.register(FakePlugin(), name="fake", builtin=True)
    plugins.set_plugin_manager(manager)
    yield manager
    plugins.set_plugin_manager(None)


@pytest.fixture
def company(engine) -> str:
    from sqlmodel import Session

    from ekonomi.core.books.companies import add_company

    with Session(engine) as session:
        add_company(session, "5566778899", "Exempel AB")
        session.commit()
    return "556677-8899"


# ---------------------------------------------------------------------------
# The import engine's C modules and their Python twins (core/engine/_speedups.py)
# ---------------------------------------------------------------------------


def c_speedups():
    """core/engine/_rows.c and _stage.c as one namespace; skips where they
    were not built, except in CI, where they must be (setup.py)."""
    try:
        from ekonomi.core.engine import _rows, _stage
    except ImportError:
        need(False, "core/engine/_rows.c or _stage.c was not built (see setup.py)")
    import types

    return types.SimpleNamespace(**{n: getattr(_rows, n, None) or getattr(_stage, n) for n in _SPEEDUP_NAMES})


_SPEEDUP_NAMES = ("Stage", "StageError", "VoucherPacker", "copy_row", "ledger_rows", "pack_row")


@pytest.fixture(params=["c", "python"])
def twin(request: pytest.FixtureRequest):
    """Each implementation of the switch's API in turn: the C modules, _native.py."""
    from ekonomi.core.engine import _native

    return c_speedups() if request.param == "c" else _native


@pytest.fixture
def use_python_twins(monkeypatch: pytest.MonkeyPatch):
    """Call it to run the product as it runs without the C modules: every
    name the engine took from _speedups replaced by its _native.py twin."""
    import sys

    from ekonomi.core.engine import _native, _speedups

    def use() -> None:
        for mod in [m for name, m in list(sys.modules.items()) if name.startswith("ekonomi.") and m is not None]:
            for name in _speedups.__all__:
                if mod is not _native and getattr(mod, name, None) is getattr(_speedups, name):
                    monkeypatch.setattr(mod, name, getattr(_native, name))

    return use
