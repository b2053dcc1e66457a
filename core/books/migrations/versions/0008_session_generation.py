"""sessions that end: a per-user session generation; bureau admins' rights
are the bureau's, not per company

Revision ID: 0008
Revises: 0007

``app_user.session_generation`` is kept in every web session at sign-in and
checked on each request: raising it ends the user's sessions everywhere.

A bureau admin has every right in the bureau's clients (core/books/rules.py);
their ``company_access`` rows no longer mean anything, and an old row that
narrowed them is what locked admins out, so they go.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of app_user would trip SQLite's
    # foreign keys from the tables that point at it.
    op.add_column("app_user", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        sa.text("DELETE FROM company_access WHERE user_id IN (SELECT id FROM app_user WHERE role = 'bureau-admin')")
    )


def downgrade() -> None:
    op.execute(sa.text("ALTER TABLE app_user DROP COLUMN session_generation"))
