"""import previews and confirmations: what a run was asked to do, and which
program wrote its input

Revision ID: 0009
Revises: 0008

``import_run.dry_run``: a preview (``--dry-run``, ``?dry_run=true``), rolled
back at its end; ``confirmed``: the user confirmed an import that is likely
a mistake (``--yes``, ``confirm=true``); ``program``/``program_version``:
the program that wrote the input (SIE ``#PROGRAM``), compared when a later
import replaces this one's years; ``preview``: a preview's figures (JSON).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, not a batch: SQLite's batch mode copies the table,
# and import_issue's foreign key refuses the drop of the old import_run.
def _columns() -> list[sa.Column]:
    return [
        sa.Column("dry_run", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("program", sa.String(), nullable=True),
        sa.Column("program_version", sa.String(), nullable=True),
        sa.Column("preview", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    for column in _columns():
        op.add_column("import_run", column)


def downgrade() -> None:
    for column in reversed(_columns()):
        op.execute(f"ALTER TABLE import_run DROP COLUMN {column.name}")  # SQLite 3.35 and PostgreSQL alike
