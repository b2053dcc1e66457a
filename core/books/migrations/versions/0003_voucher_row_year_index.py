"""voucher rows indexed by fiscal year alone

Revision ID: 0003
Revises: 0002

(fiscal_year_id, account) put each imported row at a random place in the
index; (fiscal_year_id) appends them, and the reports group a year's rows
without it.  See models.VoucherRow.
"""

from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_voucher_row_year", table_name="voucher_row")
    op.create_index("ix_voucher_row_year", "voucher_row", ["fiscal_year_id"])


def downgrade() -> None:
    op.drop_index("ix_voucher_row_year", table_name="voucher_row")
    op.create_index("ix_voucher_row_year", "voucher_row", ["fiscal_year_id", "account"])
