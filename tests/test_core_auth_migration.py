"""Migration 0008: existing users keep signing in (session generation 0),
and old rows that narrowed a bureau admin's rights go."""

from __future__ import annotations

from sqlalchemy import text


def test_0008_keeps_users_and_drops_a_bureau_admins_narrowing_rows(tmp_path):
    from alembic import command
    from sqlmodel import Session

    from ekonomi.core.books.db import alembic_config, init_db, make_engine
    from ekonomi.core.books.users import authenticate, hash_password

    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(eng), "0005")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO bureau (id, name, created_at) VALUES (1, 'Byrån', '2024-01-01')"))
        conn.execute(text("INSERT INTO company (id, orgnr, name, bureau_id, active_source, display_mode, created_at) VALUES (1, '556677-8899', 'Gammal AB', 1, 'other', 'ongoing', '2024-01-01')"))
        for uid, email, role in ((1, "admin@b.se", "bureau-admin"), (2, "konsult@b.se", "consultant")):
            conn.execute(
                text("INSERT INTO app_user (id, email, password_hash, role, bureau_id, active, created_at) VALUES (:i, :e, :h, :r, 1, 1, '2024-01-01')"),
                {"i": uid, "e": email, "h": hash_password("gammalt-lösen"), "r": role},
            )
            conn.execute(text("INSERT INTO company_access VALUES (:i, 1, 0, 0, 0)"), {"i": uid})
    init_db(eng)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT user_id FROM company_access")).scalars().all() == [2]
        assert conn.execute(text("SELECT session_generation FROM app_user ORDER BY id")).scalars().all() == [0, 0]
    with Session(eng) as s:
        assert authenticate(s, "admin@b.se", "gammalt-lösen") is not None  # short by today's rules, still valid
    command.downgrade(alembic_config(eng), "0005")
    with eng.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(app_user)"))]
    assert "session_generation" not in columns
    eng.dispose()
