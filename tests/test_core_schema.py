"""The Alembic migrations build exactly the schema the models describe, and
``init`` on an existing database keeps its data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from ekonomi.core import models  # noqa: F401
from ekonomi.core.db import init_db, schema_is_current


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: add a revision in core/migrations/versions"


def test_init_again_keeps_data(engine, company):
    assert schema_is_current(engine)
    init_db(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT orgnr FROM company")).scalar_one() == company
