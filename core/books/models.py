"""The storage side: SQLModel tables.

Every table of bookkeeping data belongs to a company.  Money is integer öre
(``BigInteger``) so that SQLite and PostgreSQL both sum it exactly; quantities
are kept as the decimal text the source wrote.  Account numbers are text.
Rows carry ``import_id`` and ``line`` so each one leads back to the import and
the line of the file it came from.  Timestamps are UTC.

The bulk tables (vouchers, their rows, balances) carry no foreign keys: a
check per row would cost more than the whole insert, and only the import
store (core/store.py) writes or deletes them, always per company and year.

Changing a table means adding an Alembic revision (core/migrations/versions).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import BigInteger, Column, Index, Integer, Table, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------
# who: bureaus, companies, users and their rights
# ---------------------------------------------------------------------------


class Bureau(SQLModel, table=True):
    """A redovisningsbyrå that keeps client companies."""

    __tablename__ = "bureau"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Company(SQLModel, table=True):
    """A client company.  ``active_source`` is ``other`` (files and pushes) or
    the name of one integration source (rule 1)."""

    __tablename__ = "company"
    id: Optional[int] = Field(default=None, primary_key=True)
    orgnr: str = Field(unique=True, index=True)
    name: str
    bureau_id: Optional[int] = Field(default=None, foreign_key="bureau.id", index=True)
    active_source: str = Field(default="other")
    # What client users see in charts and reports (rule 5): "ongoing" or "locked".
    display_mode: str = Field(default="ongoing")
    lock_date: Optional[dt.date] = None
    created_at: datetime = Field(default_factory=utcnow)


class CompanySource(SQLModel, table=True):
    """Per company: is a source plugin enabled, and its configuration."""

    __tablename__ = "company_source"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    source: str = Field(primary_key=True)
    enabled: bool = True
    config: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON; secrets encrypted


class User(SQLModel, table=True):
    """A person who signs in.  ``role``: bureau-admin, consultant or client."""

    __tablename__ = "app_user"
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: Optional[str] = None
    password_hash: str = ""
    role: str = "client"
    bureau_id: Optional[int] = Field(default=None, foreign_key="bureau.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Stored in each web session at sign-in; raising it ends every session
    # the user has (sign-out, "Logga ut överallt", a new password).
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CompanyAccess(SQLModel, table=True):
    """A user's rights in one company (client users; bureau staff get theirs
    from the bureau and may be narrowed here)."""

    __tablename__ = "company_access"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    can_view_reports: bool = True
    can_open_settings: bool = False
    can_import_files: bool = False


class ApiToken(SQLModel, table=True):
    """A personal API token; only its sha256 is kept."""

    __tablename__ = "api_token"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_sha256: str = Field(unique=True)
    name: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: Optional[datetime] = None


# ---------------------------------------------------------------------------
# the books
# ---------------------------------------------------------------------------


class FiscalYear(SQLModel, table=True):
    __tablename__ = "fiscal_year"
    __table_args__ = (UniqueConstraint("company_id", "start"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    start: dt.date
    end: dt.date
    import_id: Optional[int] = None  # the import that first brought it


class Account(SQLModel, table=True):
    """A konto of one fiscal year's chart: each year keeps the names the
    imports that brought it gave (migration 0006)."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "number", name="uq_account_year_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    fiscal_year_id: int = Field(foreign_key="fiscal_year.id")
    number: str
    name: str = ""
    type: Optional[str] = None  # T, S, K, I
    sru: Optional[str] = None  # comma-separated SRU codes
    unit: Optional[str] = None


class Dimension(SQLModel, table=True):
    __tablename__ = "dimension"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "number", name="uq_dimension_year_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    fiscal_year_id: int = Field(foreign_key="fiscal_year.id")
    number: int
    name: str = ""
    parent: Optional[int] = None


class DimensionObject(SQLModel, table=True):
    __tablename__ = "dimension_object"
    __table_args__ = (UniqueConstraint("fiscal_year_id", "dimension", "code", name="uq_dimension_object_year_code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    fiscal_year_id: int = Field(foreign_key="fiscal_year.id")
    dimension: int
    code: str
    name: str = ""


class Balance(SQLModel, table=True):
    """#IB/#UB/#RES (and per object #OIB/#OUB).  ``kind``: opening, closing, result."""

    __tablename__ = "balance"
    __table_args__ = (Index("ix_balance_year", "fiscal_year_id", "kind", "account"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(index=True)
    fiscal_year_id: int
    import_id: Optional[int] = None
    kind: str
    account: str
    object_dim: Optional[int] = None
    object_code: Optional[str] = None
    amount: int = Field(sa_type=BigInteger)  # öre
    quantity: Optional[str] = None
    line: Optional[int] = None


class _PeriodAmount(SQLModel):
    """The columns #PSALDO and #PBUDGET share: an amount on an account in
    one month of a fiscal year, optionally for one object."""

    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(index=True)
    fiscal_year_id: int
    import_id: Optional[int] = None
    period: dt.date  # first day of the month
    account: str
    object_dim: Optional[int] = None
    object_code: Optional[str] = None
    amount: int = Field(sa_type=BigInteger)  # öre
    quantity: Optional[str] = None
    line: Optional[int] = None


class PeriodBalance(_PeriodAmount, table=True):
    """#PSALDO: the change on an account in one month."""

    __tablename__ = "period_balance"
    __table_args__ = (Index("ix_period_balance_year", "fiscal_year_id", "account"),)


class PeriodBudget(_PeriodAmount, table=True):
    """#PBUDGET: the budget for an account in one month."""

    __tablename__ = "period_budget"
    __table_args__ = (Index("ix_period_budget_year", "fiscal_year_id", "account"),)


class Voucher(SQLModel, table=True):
    """A verifikation.  No unique constraint on (series, number): real
    programs repeat them.  ``content_hash`` identifies appended vouchers (4I)
    so the same file imported twice adds nothing.  Its two lookup indexes
    hold only the vouchers that have the key (partial indexes): a SIE file's
    vouchers have neither, and a million of them need not be indexed twice
    under NULL (migration 0004)."""

    __tablename__ = "voucher"
    __table_args__ = (
        Index("ix_voucher_year", "fiscal_year_id", "import_id"),
        Index(
            "ix_voucher_source_id",
            "company_id",
            "source_id",
            sqlite_where=sql("source_id IS NOT NULL"),
            postgresql_where=sql("source_id IS NOT NULL"),
        ),
        Index(
            "ix_voucher_content",
            "company_id",
            "content_hash",
            sqlite_where=sql("content_hash IS NOT NULL"),
            postgresql_where=sql("content_hash IS NOT NULL"),
        ),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int
    fiscal_year_id: int
    import_id: Optional[int] = None
    series: str = ""
    number: str = ""
    date: dt.date
    text: str = ""
    registration_date: Optional[dt.date] = None
    signature: Optional[str] = None
    source_id: Optional[str] = None
    content_hash: Optional[str] = None
    line: Optional[int] = None


class VoucherRow(SQLModel, table=True):
    """A transaktion.  ``kind``: posted (counts), added or removed (correction
    history, never counted in balances).  ``fiscal_year_id`` is repeated from
    the voucher so the trial balance needs no join."""

    __tablename__ = "voucher_row"
    # By year alone: an import appends its rows at one key, where (year,
    # account) put each row at a random place (SQLite: 8.8 s → 3.4 s to copy
    # 4M rows in), and the trial balance reads a year's rows in storage order
    # and groups them (2.0 s) instead of jumping to each row from the index
    # (5.7 s).  No query looks rows up by account.
    __table_args__ = (
        Index("ix_voucher_row_year", "fiscal_year_id"),
        Index("ix_voucher_row_voucher", "voucher_id"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    voucher_id: int
    company_id: int
    fiscal_year_id: int
    kind: str = "posted"
    account: str
    amount: int = Field(sa_type=BigInteger)
    objects: Optional[str] = None  # JSON [[dim, "code"], …]
    date: Optional[dt.date] = None
    text: Optional[str] = None
    quantity: Optional[str] = None
    signature: Optional[str] = None
    line: Optional[int] = None


class Invoice(SQLModel, table=True):
    """An unpaid customer or supplier invoice in the latest snapshot."""

    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_company", "company_id", "kind"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    import_id: Optional[int] = None
    kind: str
    number: str
    counterparty_number: Optional[str] = None
    counterparty_name: Optional[str] = None
    invoice_date: Optional[dt.date] = None
    due_date: Optional[dt.date] = None
    currency: str = "SEK"
    total_amount: int = Field(sa_type=BigInteger)
    remaining_amount: int = Field(sa_type=BigInteger)
    remaining_amount_sek: Optional[int] = Field(default=None, sa_type=BigInteger)
    as_of: dt.date
    source_id: Optional[str] = None
    voucher_series: Optional[str] = None
    voucher_number: Optional[str] = None


class Attachment(SQLModel, table=True):
    """An underlag; the bytes live in the file store under their sha256."""

    __tablename__ = "attachment"
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    import_id: Optional[int] = None
    sha256: str = Field(index=True)
    filename: str
    content_type: str
    size: int = 0
    # No foreign keys: vouchers and invoices are replaced by later imports and
    # attachments are linked again by (series, number) or invoice number.
    voucher_id: Optional[int] = Field(default=None, index=True)
    invoice_id: Optional[int] = None
    source_id: Optional[str] = None
    links: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON: what it belongs to, to link again


# ---------------------------------------------------------------------------
# the log
# ---------------------------------------------------------------------------


class ImportRun(SQLModel, table=True):
    """One import, successful or not: the import log (rule 3)."""

    __tablename__ = "import_run"
    __table_args__ = (Index("ix_import_run_company", "company_id", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    source: str
    plugin: Optional[str] = None
    plugin_version: Optional[str] = None
    started_by: str = "cli"  # "user:<email>", "cli", "erp-upload" …
    trigger: Optional[str] = None  # cli, upload, api, sign-in, refresh
    user_id: Optional[int] = None
    filename: Optional[str] = None
    sha256: Optional[str] = None
    status: str = "queued"  # queued, running, succeeded, failed, previewed
    queued_at: datetime = Field(default_factory=utcnow)
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_s: Optional[float] = None  # seconds, not money
    fiscal_years: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON
    counts: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON
    phase: Optional[str] = None
    done: Optional[int] = None
    total: Optional[int] = None
    error: Optional[str] = Field(default=None, sa_column=Column(Text))
    worker: Optional[str] = None  # host:pid that ran it
    stored_path: Optional[str] = None  # kept input file, for background runs
    # A preview runs the whole import and rolls it back (status "previewed");
    # it is not part of the import log.  ``confirmed``: the user confirmed an
    # import that is likely a mistake (engine/confirmation.py).
    dry_run: bool = False
    confirmed: bool = False
    program: Optional[str] = None  # what wrote the input (SIE #PROGRAM), if it says
    program_version: Optional[str] = None
    preview: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON: a preview's figures


class ImportIssue(SQLModel, table=True):
    __tablename__ = "import_issue"
    id: Optional[int] = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="import_run.id", index=True)
    severity: str
    code: str
    message: str = Field(sa_column=Column(Text, nullable=False))
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None


class SourceState(SQLModel, table=True):
    """An integration's incremental cursor for one company."""

    __tablename__ = "source_state"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    source: str = Field(primary_key=True)
    state: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    updated_at: datetime = Field(default_factory=utcnow)


class CompanyEvent(SQLModel, table=True):
    """Things that change a company besides imports: source switched, data
    deleted.  Shown in the import log beside the imports."""

    __tablename__ = "company_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    kind: str
    actor: str = ""
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    at: datetime = Field(default_factory=utcnow)


# Tables emptied per company by "delete" operations, children first.
BOOK_TABLES = (VoucherRow, Voucher, Balance, PeriodBalance, PeriodBudget)


# ---------------------------------------------------------------------------
# undo: what the company's latest import replaced (engine/shadow.py, engine/undo.py)
# ---------------------------------------------------------------------------


class ImportUndo(SQLModel, table=True):
    """What undoing a company's latest import needs besides the rows it
    replaced (kept in the ``undo_`` tables): one row per company, written by
    each import's commit in place of the one before (migration 0007)."""

    __tablename__ = "import_undo"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    import_id: int
    year_ends: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [[fiscal_year_id, end before]]
    chart_years: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON: years whose chart it changed
    source: Optional[str] = None  # the source whose cursor it moved, if any
    source_state: Optional[str] = Field(default=None, sa_column=Column(Text))  # that cursor before (JSON); NULL: none


def _shadow(model: type[SQLModel]) -> Table:
    """undo_<table>: the columns of ``model``'s table (none of them a key),
    and the import that replaced the row."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return Table(
        f"undo_{table.name}",
        SQLModel.metadata,
        Column("undo_import_id", Integer, nullable=False),
        *(Column(c.name, c.type, nullable=c.nullable, autoincrement=False) for c in table.columns),
        Index(f"ix_undo_{table.name}_company", "company_id"),
    )


# The tables whose rows an import replaces, and each one's undo_ twin.
REPLACED_TABLES = (Voucher, VoucherRow, Balance, PeriodBalance, PeriodBudget, Invoice, Account, Dimension, DimensionObject)
SHADOWS: dict[str, Table] = {model.__tablename__: _shadow(model) for model in REPLACED_TABLES}  # type: ignore[misc]
