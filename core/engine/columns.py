"""The bulk tables' columns, and how the store's values become column values.

The store makes rows in these column orders, the writers send them, the
staging file is made of these tables, and the C packer (core/engine/_rows.c)
and its Python twin (_native.py) pack voucher and voucher_row rows in the
same orders.  Money is integer öre, dates ISO text, so that a row holds only
None, int and str: the values both packed forms carry.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .. import records as r

VOUCHER_COLS = (
    "id", "company_id", "fiscal_year_id", "import_id", "series", "number", "date", "text",
    "registration_date", "signature", "source_id", "content_hash", "line",
)  # fmt: skip
ROW_COLS = (
    "voucher_id", "company_id", "fiscal_year_id", "kind", "account", "amount", "objects", "date",
    "text", "quantity", "signature", "line",
)  # fmt: skip
BALANCE_COLS = (
    "company_id", "fiscal_year_id", "import_id", "kind", "account", "object_dim", "object_code",
    "amount", "quantity", "line",
)  # fmt: skip
PERIOD_COLS = (
    "company_id", "fiscal_year_id", "import_id", "period", "account", "object_dim", "object_code",
    "amount", "quantity", "line",
)  # fmt: skip
INVOICE_COLS = (
    "company_id", "import_id", "kind", "number", "counterparty_number", "counterparty_name",
    "invoice_date", "due_date", "currency", "total_amount", "remaining_amount", "remaining_amount_sek",
    "as_of", "source_id", "voucher_series", "voucher_number",
)  # fmt: skip
TABLE_COLS = {
    "voucher": VOUCHER_COLS,
    "voucher_row": ROW_COLS,
    "balance": BALANCE_COLS,
    "period_balance": PERIOD_COLS,
    "period_budget": PERIOD_COLS,
    "invoice": INVOICE_COLS,
}

HUNDRED = Decimal(100)
POSTED = r.RowKind.POSTED
KIND_TEXT = {kind: kind.value for kind in r.RowKind}  # plain str: what a packed row can hold


# What real books hold, |amount| < 10^13 kr: every amount stored is checked
# (the C packer, _rows.c MAX_ORE, too), so that sums of many rows in integer
# öre stay inside 64 bits.  A source's larger amount fails its import.
MAX_ORE = 10**15


def ore(amount: Decimal) -> int:
    """Decimal kronor → integer öre (exact for at most two decimals, which the
    ledger checks ensure).  A multiplication by a Decimal, not ``scaleb(2)``:
    faster, and the same for any amount that fits in a BIGINT."""
    value = int(amount * HUNDRED)
    if not -MAX_ORE < value < MAX_ORE:
        raise OverflowError(f"{amount} kr is beyond what books hold (less than 10^13 kr)")
    return value


def iso_or_none(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
