"""The Alembic migrations build exactly the schema the models describe, and
``init`` on an existing database keeps its data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from ekonomi.core.books import models  # noqa: F401
from ekonomi.core.books.db import init_db, schema_is_current


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: add a revision in core/books/migrations/versions"


def test_init_again_keeps_data(engine, company):
    assert schema_is_current(engine)
    init_db(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT orgnr FROM company")).scalar_one() == company


def test_upgrade_from_the_first_revision_keeps_data(tmp_path):
    """A database made by an older ekonomi is upgraded in place."""
    from alembic import command

    from ekonomi.core.books.db import alembic_config, make_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(eng), "0001")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO company (orgnr, name, active_source, display_mode, created_at) VALUES ('556677-8899', 'Gammal AB', 'other', 'ongoing', '2024-01-01')"))
    assert not schema_is_current(eng)
    init_db(eng)
    assert schema_is_current(eng)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT name FROM company")).scalar_one() == "Gammal AB"
        cols = {row[1] for row in conn.execute(text("PRAGMA table_info(attachment)"))}
    assert "links" in cols
    eng.dispose()


def test_schema_head_is_alembics_head(engine):
    """db.SCHEMA_HEAD (what every command checks) is the newest migration."""
    from alembic.script import ScriptDirectory

    from ekonomi.core.books.db import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == SCHEMA_HEAD


def test_an_empty_or_old_database_is_not_current(tmp_path):
    from ekonomi.core.books.db import make_engine

    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert not schema_is_current(empty)
    with empty.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
    assert not schema_is_current(empty)
    empty.dispose()


def test_0005_renames_the_import_right_and_the_refusal_code_keeping_data(tmp_path):
    """Rights granted and refusals logged by an older ekonomi keep working
    under the generic names (can_import_files, not_recognised)."""
    from alembic import command

    from ekonomi.core.books.db import alembic_config, make_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(eng), "0004")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO company (id, orgnr, name, active_source, display_mode, created_at) VALUES (1, '556677-8899', 'Gammal AB', 'other', 'ongoing', '2024-01-01')"))
        conn.execute(text("INSERT INTO app_user (id, email, password_hash, role, active, created_at) VALUES (1, 'k@b.se', '', 'client', 1, '2024-01-01')"))
        conn.execute(text("INSERT INTO company_access VALUES (1, 1, 1, 0, 1)"))
        conn.execute(text("INSERT INTO import_run (id, company_id, source, started_by, status, queued_at) VALUES (1, 1, 'sie4', 'cli', 'failed', '2024-01-01')"))
        conn.execute(text("INSERT INTO import_issue (import_id, severity, code, message) VALUES (1, 'error', 'not_sie', 'x'), (1, 'warning', 'sie.not_sie', 'y')"))
    init_db(eng)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT can_import_files FROM company_access")).scalar_one() in (1, True)
        codes = conn.execute(text("SELECT code FROM import_issue ORDER BY id")).scalars().all()
    assert codes == ["not_recognised", "sie.not_sie"]  # a plugin's own codes are its own
    command.downgrade(alembic_config(eng), "0004")
    with eng.connect() as conn:
        assert conn.execute(text("SELECT can_import_sie4 FROM company_access")).scalar_one() in (1, True)
    eng.dispose()
