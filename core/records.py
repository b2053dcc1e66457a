"""Canonical records: what every source produces and what the store consumes.

Sources turn their raw input (a SIE file, pages of JSON, an upload bundle) into
a stream of these plain, typed values, in this order::

    Scope? → Company → FiscalYear* → Account* / Dimension* / DimensionObject*
    → Balance* / PeriodBalance* → Voucher* → Invoice* → Attachment*
    (Issue, UnknownRecord and StateUpdate may appear anywhere)

They are named tuples rather than ORM objects so that a reader can stream
millions of rows cheaply; the SQLModel tables in ``models.py`` are the storage
side only.  Money is ``Decimal`` (debit positive, credit negative, as in SIE),
dates are ``datetime.date``.  ``line`` is the 1-based line in the source file
(None where the source has no lines), so every stored row can be traced back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple


class Severity(StrEnum):
    """How bad a finding is: errors stop an import, the rest is logged."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Issue(NamedTuple):
    """A problem found in the data: a value, never an exception.

    ``code`` is stable (tools match on it), ``message`` is plain words for a
    person.  ``file``/``line``/``column`` point at the offending place.
    """

    severity: Severity
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    file: str | None = None


class Scope(NamedTuple):
    """How the import replaces stored data; defaults to the source's ``mode``.

    ``replace``: replace the current fiscal year whole, earlier years only
    where the input carries their vouchers (a full ledger, SIE 4E).
    ``append``: add vouchers to the company's existing fiscal years; the same
    voucher imported twice is stored once (SIE 4I).
    ``upsert``: insert or update records by their ``source_id`` (integrations);
    a balance replaces the stored one of the same account, kind and year.
    ``whole_years`` (upsert): the fiscal years, by start, that the input
    brings whole, as a first sync or a year fetched again does: their
    stored vouchers, balances and chart are replaced as in ``replace``.
    ``invoices``: the invoice kinds (``customer``, ``supplier``) whose whole
    snapshot the input brings, even when it holds none of that kind (all
    paid): the stored snapshot of a kind is replaced whenever the input
    names it here or brings an Invoice of it.
    """

    mode: str
    whole_years: tuple[date, ...] = ()
    invoices: tuple[str, ...] = ()


class Company(NamedTuple):
    """Who the data belongs to, as the source states it."""

    name: str | None
    orgnr: str | None  # as written in the source; checked against the company
    company_type: str | None = None  # Bolagsverket code (AB, E, HB …)
    source_company_id: str | None = None  # the source program's own key (#FNR)
    line: int | None = None
    program: str | None = None  # the program that wrote the data (SIE #PROGRAM)
    program_version: str | None = None


class FiscalYear(NamedTuple):
    """A räkenskapsår.  ``index`` is 0 for the current year, -1 the previous…"""

    start: date
    end: date
    index: int | None = None
    line: int | None = None


class Account(NamedTuple):
    """A konto in the chart of accounts.  ``type``: T asset, S liability, K cost, I income.

    A chart belongs to a fiscal year.  ``year_start`` None (a SIE file's
    #KONTO) describes every fiscal year the import brings (its FiscalYear
    records), or, for an import that brings none (a SIE 4I file), the years
    its vouchers land in; a date describes the fiscal year that starts that
    day only (a source that keeps a chart per year, as eEkonomi does, yields
    each year's accounts with it).  An import never changes the chart of a
    year it does not bring.  Dimension and DimensionObject follow the same rule.
    """

    number: str
    name: str
    type: str | None = None
    sru: tuple[str, ...] = ()
    unit: str | None = None
    line: int | None = None
    year_start: date | None = None


class Dimension(NamedTuple):
    """A dimension (1 cost centre, 6 project …); ``parent`` for #UNDERDIM.
    ``year_start``: which fiscal years it describes, as for Account."""

    number: int
    name: str
    parent: int | None = None
    line: int | None = None
    year_start: date | None = None


class DimensionObject(NamedTuple):
    """An objekt in a dimension.  Codes are text: "0123" is not "123".
    ``year_start``: which fiscal years it describes, as for Account."""

    dimension: int
    code: str
    name: str
    line: int | None = None
    year_start: date | None = None


ObjectRef = tuple[int, str]  # (dimension number, object code)


class Balance(NamedTuple):
    """An opening, closing or result balance of an account for a fiscal year.

    ``kind`` is ``opening`` (#IB), ``closing`` (#UB) or ``result`` (#RES);
    ``object`` is set for object balances (#OIB/#OUB).
    """

    kind: str
    year_start: date
    account: str
    amount: Decimal
    quantity: Decimal | None = None
    object: ObjectRef | None = None
    line: int | None = None


class PeriodBalance(NamedTuple):
    """The change on an account in one month (#PSALDO), or its budget (#PBUDGET)."""

    year_start: date
    period: date  # first day of the month
    account: str
    amount: Decimal
    quantity: Decimal | None = None
    object: ObjectRef | None = None
    budget: bool = False
    line: int | None = None


class RowKind(StrEnum):
    """A posted row counts; added/removed rows are correction history only."""

    POSTED = "posted"  # #TRANS
    ADDED = "added"  # #RTRANS: added after the voucher was first recorded
    REMOVED = "removed"  # #BTRANS: struck out later


class VoucherRow(NamedTuple):
    """A transaktion.  ``date`` None means the voucher's date."""

    account: str
    amount: Decimal
    objects: tuple[ObjectRef, ...] = ()
    date: date | None = None
    text: str | None = None
    quantity: Decimal | None = None
    kind: RowKind = RowKind.POSTED
    signature: str | None = None
    line: int | None = None


class Voucher(NamedTuple):
    """A verifikation with its rows.  Series and number are text and need not
    be unique: real programs repeat them."""

    series: str
    number: str
    date: date
    text: str = ""
    rows: tuple[VoucherRow, ...] = ()
    registration_date: date | None = None
    signature: str | None = None
    source_id: str | None = None
    line: int | None = None


class Invoice(NamedTuple):
    """An unpaid customer or supplier invoice, as of ``as_of``."""

    kind: str  # "customer" | "supplier"
    number: str
    counterparty_number: str | None
    counterparty_name: str | None
    invoice_date: date | None
    due_date: date | None
    currency: str
    total_amount: Decimal
    remaining_amount: Decimal
    remaining_amount_sek: Decimal | None
    as_of: date
    source_id: str | None = None
    voucher_series: str | None = None
    voucher_number: str | None = None
    line: int | None = None


class AttachmentLink(NamedTuple):
    """What an attachment belongs to: a voucher (by series, number and fiscal
    year) or an invoice (by kind and number); or, where ``source_id`` is
    set, the voucher or invoice with that ``source_id``."""

    kind: str  # "voucher" | "customer_invoice" | "supplier_invoice"
    series: str | None = None
    number: str | None = None
    fiscal_year_start: date | None = None
    invoice_number: str | None = None
    source_id: str | None = None


class Attachment(NamedTuple):
    """An underlag: bytes (or a path to them) and what they belong to."""

    filename: str
    content_type: str
    data: bytes | None = None
    path: str | None = None
    sha256: str | None = None
    links: tuple[AttachmentLink, ...] = ()
    source_id: str | None = None


class UnknownRecord(NamedTuple):
    """A record the source does not know (an unknown SIE label): kept for
    plugins and audit, never used for the books."""

    label: str
    fields: tuple[Any, ...]
    line: int | None = None


class StateUpdate(NamedTuple):
    """The new incremental cursor of an integration, stored with the import."""

    state: dict[str, Any]


Record = (
    Scope
    | Company
    | FiscalYear
    | Account
    | Dimension
    | DimensionObject
    | Balance
    | PeriodBalance
    | Voucher
    | Invoice
    | Attachment
    | UnknownRecord
    | StateUpdate
    | Issue
)

# Names a Source lists in ``provides``.
RECORD_KINDS = frozenset(
    {
        "company",
        "fiscal_years",
        "accounts",
        "dimensions",
        "objects",
        "balances",
        "period_balances",
        "period_budgets",
        "vouchers",
        "invoices",
        "attachments",
    }
)
