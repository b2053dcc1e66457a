"""What the API shows of a stored record: every field of its schema
(Appendix A) in the spec's order, nullable ones present as null, and the
fields the service derives (remaining amounts, payment states, unpaid
totals) computed on the emulator's clock."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .schemas import SCHEMAS
from .store import Books, Record

SCHEMA_OF = {
    "fiscalyears": "FiscalYearApi", "accounts": "AccountApi", "vouchers": "VoucherApi", "customers": "CustomerApi",
    "suppliers": "SupplierApi", "customerinvoices": "CustomerInvoiceApi", "supplierinvoices": "SupplierInvoiceApi",
    "customerledgeritems": "CustomerLedgerItemApi", "costcenters": "CostCenterApi", "projects": "ProjectApi",
    "attachments": "Attachment", "documents": "DocumentApi",
}
NESTED = {"Rows": {"vouchers": "VoucherRowApi", "customerinvoices": "CustomerInvoiceRowApi",
                   "supplierinvoices": "SupplierInvoiceRowApi"},
          "Items": {"costcenters": "CostCenterItemApi"}, "Attachments": {"vouchers": "AttachmentLinkApi"}}
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def default(kind: str, nullable: bool) -> Any:
    if nullable:
        return None
    if kind.startswith("array"):
        return []
    return {"boolean": False, "integer(int32)": 0, "integer(int64)": 0, "number(double)": Decimal(0),
            "string(uuid)": ZERO_GUID, "string": ""}.get(kind)


def shaped(schema: str, record: Record, nested_kind: str | None = None) -> Record:
    """``record`` with exactly ``schema``'s fields, in order; private keys kept."""
    out: Record = {}
    for name, kind, nullable in SCHEMAS[schema]:
        value = record.get(name, default(kind, nullable))
        inner = NESTED.get(name, {}).get(nested_kind or "")
        if inner and isinstance(value, list):
            value = [shaped(inner, v) for v in value]
        elif inner and isinstance(value, dict):
            value = shaped(inner, value)
        out[name] = value
    return out


@dataclass
class ViewContext:
    """What derived fields need: the books and today, with per-request sums."""

    books: Books
    today: date
    _unpaid: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def unpaid(self, kind: str, key: str, owner_id: str) -> Decimal:
        """The remaining amount of ``owner_id``'s invoices of ``kind``."""
        if kind not in self._unpaid:
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for invoice in self.books.table(kind).values():
                if invoice.get("Status", 1) != 2:
                    sums[invoice[key]] += remaining(invoice)
            self._unpaid[kind] = sums
        return self._unpaid[kind].get(owner_id, Decimal(0))


def remaining(invoice: Record) -> Decimal:
    return invoice["TotalAmount"] - sum((p["Amount"] for p in invoice.get("_payments", ())), Decimal(0))


def _payment_fields(invoice: Record) -> Record:
    payments = invoice.get("_payments") or []
    left = remaining(invoice)
    return {"RemainingAmount": left, "RemainingAmountInvoiceCurrency": left,
            "PaymentDate": max(p["Date"] for p in payments) if payments and left == 0 else None}


def customer_payment_status(invoice: Record, today: date) -> int:
    """0 Paid, 1 Unpaid, 2 Overdue (a partly paid invoice is unpaid or overdue)."""
    if remaining(invoice) == 0:
        return 0
    return 2 if invoice["DueDate"] < today else 1


def supplier_payment_status(invoice: Record, today: date) -> int:
    """3 Unpaid, 4 PartiallyPaidOverDue, 5 PartiallyPaid, 6 Paid, 7 OverDue
    (the bank-integration states 8–14 never arise here)."""
    left = remaining(invoice)
    if left == 0:
        return 6
    overdue = invoice["DueDate"] < today
    if left != invoice["TotalAmount"]:
        return 4 if overdue else 5
    return 7 if overdue else 3


def view(kind: str, record: Record, ctx: ViewContext) -> Record:
    """The record as the API shows it, before paging and ``$select``."""
    extra: Record = {}
    if kind == "customerinvoices":
        extra = {**_payment_fields(record), "PaymentStatus": customer_payment_status(record, ctx.today)}
    elif kind == "supplierinvoices":
        extra = {**_payment_fields(record), "PaymentStatus": supplier_payment_status(record, ctx.today)}
    elif kind in ("customers", "suppliers"):
        invoices, key = ("customerinvoices", "CustomerId") if kind == "customers" else ("supplierinvoices", "SupplierId")
        extra = {"UnpaidInvoicesAmount": ctx.unpaid(invoices, key, record["Id"])}
    return shaped(SCHEMA_OF[kind], {**record, **extra}, kind)
