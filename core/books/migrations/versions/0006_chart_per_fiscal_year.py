"""the chart of accounts belongs to a fiscal year

Revision ID: 0006
Revises: 0005

``account``, ``dimension`` and ``dimension_object`` get ``fiscal_year_id``
and are unique per year, not per company: an import renames accounts only in
the years it brings (store.py, chart.py).  The company-wide names stored
until now are copied to every fiscal year of the company; entries of a
company without fiscal years describe no year and go.

Each table is built anew and its rows copied (``INSERT … SELECT``), the same
on SQLite and PostgreSQL: SQLite cannot drop the old unnamed unique
constraints in place.  Downgrading keeps, per company, the chart of its
latest fiscal year.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
# table -> its columns after the keys, and its key columns
_TABLES = {
    "account": (("number", _TEXT, False), ("name", _TEXT, False), ("type", _TEXT, True), ("sru", _TEXT, True), ("unit", _TEXT, True)),
    "dimension": (("number", sa.Integer, False), ("name", _TEXT, False), ("parent", sa.Integer, True)),
    "dimension_object": (("dimension", sa.Integer, False), ("code", _TEXT, False), ("name", _TEXT, False)),
}
_UNIQUE = {
    "account": ("uq_account_year_number", ("number",)),
    "dimension": ("uq_dimension_year_number", ("number",)),
    "dimension_object": ("uq_dimension_object_year_code", ("dimension", "code")),
}


def _columns(table: str) -> list[sa.Column]:
    return [sa.Column(name, type_(), nullable=nullable) for name, type_, nullable in _TABLES[table]]


def _rebuild(table: str, per_year: bool, copy_sql: str) -> None:
    """``table`` made anew under its own name, its rows taken by ``copy_sql``
    (``{old}`` is the old table)."""
    new = f"{table}_0006"
    keys = [sa.Column("id", sa.Integer(), nullable=False), sa.Column("company_id", sa.Integer(), nullable=False)]
    constraints: list = [sa.ForeignKeyConstraint(["company_id"], ["company.id"]), sa.PrimaryKeyConstraint("id")]
    if per_year:
        keys.append(sa.Column("fiscal_year_id", sa.Integer(), nullable=False))
        constraints.append(sa.ForeignKeyConstraint(["fiscal_year_id"], ["fiscal_year.id"]))
        name, cols = _UNIQUE[table]
        constraints.append(sa.UniqueConstraint("fiscal_year_id", *cols, name=name))
    else:
        constraints.append(sa.UniqueConstraint("company_id", *_UNIQUE[table][1]))
    op.create_table(new, *keys, *_columns(table), *constraints)
    op.execute(sa.text(copy_sql.format(new=new, old=table)))
    op.drop_table(table)
    op.rename_table(new, table)
    if op.get_bind().dialect.name == "postgresql":  # the names PostgreSQL would have given
        op.execute(sa.text(f"ALTER SEQUENCE {new}_id_seq RENAME TO {table}_id_seq"))
        op.execute(sa.text(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey"))


def upgrade() -> None:
    for table in _TABLES:
        cols = ", ".join(name for name, _, _ in _TABLES[table])
        old_cols = ", ".join(f"o.{name}" for name, _, _ in _TABLES[table])
        _rebuild(
            table,
            True,
            f"INSERT INTO {{new}} (company_id, fiscal_year_id, {cols}) "
            f"SELECT o.company_id, f.id, {old_cols} FROM {{old}} o JOIN fiscal_year f ON f.company_id = o.company_id",
        )


def downgrade() -> None:
    for table in _TABLES:
        cols = ", ".join(name for name, _, _ in _TABLES[table])
        old_cols = ", ".join(f"o.{name}" for name, _, _ in _TABLES[table])
        latest = (
            "SELECT f.id FROM fiscal_year f WHERE f.company_id = o.company_id ORDER BY f.start DESC LIMIT 1"
        )
        _rebuild(
            table,
            False,
            f"INSERT INTO {{new}} (company_id, {cols}) SELECT o.company_id, {old_cols} FROM {{old}} o "
            f"WHERE o.fiscal_year_id = ({latest})",
        )
