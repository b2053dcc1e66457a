"""Migration 0006: the company-wide chart stored before it is copied to every
fiscal year of the company, on the database the suite runs on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from ekonomi.core.books.db import alembic_config, init_db, make_engine
from tests.conftest import PG_ADMIN_URL, TEST_DB


@pytest.fixture
def empty_engine(tmp_path, request) -> Iterator:
    """An engine on a database of its own with no schema at all."""
    if TEST_DB != "postgres":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield eng
        eng.dispose()
        return
    import psycopg

    request.getfixturevalue("pg_server_url")  # skips (or fails in CI) without PostgreSQL
    name = f"ekonomi_mig_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    eng = make_engine(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    yield eng
    eng.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _old_books(conn) -> None:
    """Two companies as ekonomi stored them before 0006: one chart each."""
    conn.execute(text(
        "INSERT INTO company (id, orgnr, name, active_source, display_mode, created_at) VALUES "
        "(1, '556677-8899', 'Gammal AB', 'other', 'ongoing', '2024-01-01'), "
        "(2, '559911-2233', 'Annat AB', 'other', 'ongoing', '2024-01-01')"
    ))  # fmt: skip
    conn.execute(text(
        'INSERT INTO fiscal_year (id, company_id, start, "end") VALUES '
        "(1, 1, '2023-01-01', '2023-12-31'), (2, 1, '2024-01-01', '2024-12-31'), (3, 2, '2024-01-01', '2024-12-31')"
    ))  # fmt: skip
    conn.execute(text(
        "INSERT INTO account (company_id, number, name, type, sru, unit) VALUES "
        "(1, '1930', 'Företagskonto', 'T', '7281', NULL), (1, '3010', 'Försäljning', 'I', NULL, 'st'), "
        "(2, '1930', 'Checkräkningskonto', NULL, NULL, NULL)"
    ))  # fmt: skip
    conn.execute(text("INSERT INTO dimension (company_id, number, name, parent) VALUES (1, 1, 'Kostnadsställe', NULL), (1, 2, 'Bärare', 1)"))
    conn.execute(text("INSERT INTO dimension_object (company_id, dimension, code, name) VALUES (1, 1, '0123', 'Butiken')"))


def _chart(conn, table: str, cols: str) -> list[tuple]:
    return sorted(tuple(map(str, r)) for r in conn.execute(text(f"SELECT {cols} FROM {table}")))


def test_0006_copies_the_company_chart_to_every_fiscal_year(empty_engine):
    cfg = alembic_config(empty_engine)
    command.upgrade(cfg, "0005")
    with empty_engine.begin() as conn:
        _old_books(conn)
    init_db(empty_engine)
    with empty_engine.connect() as conn:
        assert _chart(conn, "account", "fiscal_year_id, company_id, number, name, type, sru, unit") == [
            ("1", "1", "1930", "Företagskonto", "T", "7281", "None"),
            ("1", "1", "3010", "Försäljning", "I", "None", "st"),
            ("2", "1", "1930", "Företagskonto", "T", "7281", "None"),
            ("2", "1", "3010", "Försäljning", "I", "None", "st"),
            ("3", "2", "1930", "Checkräkningskonto", "None", "None", "None"),
        ]
        assert _chart(conn, "dimension", "fiscal_year_id, number, name, parent") == [
            ("1", "1", "Kostnadsställe", "None"),
            ("1", "2", "Bärare", "1"),
            ("2", "1", "Kostnadsställe", "None"),
            ("2", "2", "Bärare", "1"),
        ]
        assert _chart(conn, "dimension_object", "fiscal_year_id, code, name") == [("1", "0123", "Butiken"), ("2", "0123", "Butiken")]
    with empty_engine.begin() as conn:  # unique per year now, not per company
        conn.execute(text("UPDATE account SET name = 'Bank' WHERE fiscal_year_id = 1 AND number = '1930'"))
        new = conn.execute(text("INSERT INTO account (company_id, fiscal_year_id, number, name) VALUES (1, 1, '1910', 'Kassa')"))
        assert new.rowcount == 1
    command.downgrade(cfg, "0005")  # keeps each company's latest year's chart
    with empty_engine.connect() as conn:
        assert _chart(conn, "account", "company_id, number, name") == [
            ("1", "1930", "Företagskonto"),
            ("1", "3010", "Försäljning"),
            ("2", "1930", "Checkräkningskonto"),
        ]
        assert len(_chart(conn, "dimension", "company_id, number")) == 2
