"""generic names: the import right and the refusal code name no plugin

Revision ID: 0005
Revises: 0004

``company_access.can_import_sie4`` becomes ``can_import_files`` (the right
to import files from any file source; the UI still says "Importera
SIE4-fil" while SIE is the only one), and logged refusals with the code
``not_sie`` take the core's code ``not_recognised`` (the HTTP API still
answers ``not_sie`` for one release, see web/errors.py).  Values are kept.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _rename(old: str, new: str, code_from: str, code_to: str) -> None:
    with op.batch_alter_table("company_access") as batch_op:
        batch_op.alter_column(old, new_column_name=new, existing_type=sa.Boolean(), existing_nullable=False)
    op.execute(sa.text("UPDATE import_issue SET code = :to WHERE code = :old").bindparams(to=code_to, old=code_from))


def upgrade() -> None:
    _rename("can_import_sie4", "can_import_files", "not_sie", "not_recognised")


def downgrade() -> None:
    _rename("can_import_files", "can_import_sie4", "not_recognised", "not_sie")
