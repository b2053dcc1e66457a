"""undo the latest import: replaced rows are kept, not deleted

Revision ID: 0007
Revises: 0006

An import moves the rows it replaces into ``undo_<table>`` twins of the
tables it replaces rows of (same columns, no keys, plus ``undo_import_id``),
and ``import_undo`` holds the rest of what undoing it needs (year ends it
changed, years whose chart it changed, the source cursor before).  Each
company holds the leftovers of its latest import only (engine/shadow.py).
The twins' columns are read from the tables as they are at this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_REPLACED = (
    "voucher", "voucher_row", "balance", "period_balance", "period_budget", "invoice",
    "account", "dimension", "dimension_object",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "import_undo",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("year_ends", sa.Text(), nullable=False),
        sa.Column("chart_years", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("source_state", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.PrimaryKeyConstraint("company_id"),
    )
    inspector = sa.inspect(op.get_bind())
    for table in _REPLACED:
        columns = [sa.Column(c["name"], c["type"], nullable=c["nullable"], autoincrement=False) for c in inspector.get_columns(table)]
        op.create_table(f"undo_{table}", sa.Column("undo_import_id", sa.Integer(), nullable=False), *columns)
        op.create_index(f"ix_undo_{table}_company", f"undo_{table}", ["company_id"])


def downgrade() -> None:
    for table in _REPLACED:
        op.drop_table(f"undo_{table}")
    op.drop_table("import_undo")
