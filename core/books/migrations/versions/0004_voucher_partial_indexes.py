"""voucher lookups by source id and content hash: partial indexes

Revision ID: 0004
Revises: 0003

Only vouchers that have a source id (eEkonomi) or a content hash (appended
4I files) are looked up by them; a SIE 4E import's million vouchers have
neither and no longer get two index entries each under NULL.  The lookups
(store.py) compare the key, which tells SQLite and PostgreSQL that it is not
NULL, so they use these indexes as before.  See models.Voucher.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_INDEXES = (("ix_voucher_source_id", "source_id"), ("ix_voucher_content", "content_hash"))


def upgrade() -> None:
    for name, col in _INDEXES:
        op.drop_index(name, table_name="voucher")
        where = sa.text(f"{col} IS NOT NULL")
        op.create_index(name, "voucher", ["company_id", col], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, col in _INDEXES:
        op.drop_index(name, table_name="voucher")
        op.create_index(name, "voucher", ["company_id", col])
