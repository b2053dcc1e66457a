"""import previews and confirmations: what a run was asked to do, and which
program wrote its input

Revision ID: 0009
Revises: 0005

``import_run.dry_run``: a preview (``--dry-run``, ``?dry_run=true``), rolled
back at its end; ``confirmed``: the user confirmed an import that is likely
a mistake (``--yes``, ``confirm=true``); ``program``/``program_version``:
the program that wrote the input (SIE ``#PROGRAM``), compared when a later
import replaces this one's years; ``preview``: a preview's figures (JSON).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        batch_op.add_column(sa.Column("dry_run", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("program", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("program_version", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("preview", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch_op:
        for name in ("preview", "program_version", "program", "confirmed", "dry_run"):
            batch_op.drop_column(name)
