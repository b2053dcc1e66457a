"""what started an import: ``import_run.trigger``

Revision ID: 0010
Revises: 0009

``trigger``: ``cli``, ``upload``, ``api``, ``sign-in`` or ``refresh``
(docs/contracts.md); null for runs written before it existed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_run", sa.Column("trigger", sa.String(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE import_run DROP COLUMN trigger")  # SQLite 3.35 and PostgreSQL alike
