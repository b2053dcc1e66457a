"""A Spool as canonical records, in the order the core takes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from ekonomi.core import (
    Account,
    Attachment,
    AttachmentLink,
    Balance,
    Company,
    Dimension,
    DimensionObject,
    FiscalYear,
    Invoice,
    Issue,
    Record,
    Scope,
    Severity,
    StateUpdate,
    Voucher,
    VoucherRow,
)

from . import wire
from .attachments import SUPPLIER_INVOICE, voucher_of
from .spool import Spool

PROJECT_DIMENSION = 6  # SIE's dimension for projects; cost centres keep their number 1-3
COST_CENTRE_KEYS = ("CostCenterItemId1", "CostCenterItemId2", "CostCenterItemId3")


def records(sp: Spool) -> Iterator[Record]:
    yield Scope("upsert", whole_years=tuple(sorted(sp.whole)), invoices=("customer", "supplier"))
    yield Company(sp.company.get("Name"), sp.company.get("CorporateIdentityNumber"), program="Visma eEkonomi")
    current = sp.year_of(sp.today)
    now = sp.years.index(current) if current is not None else len(sp.years) - 1
    for i, year in enumerate(sp.years):  # index 0 is the year of today, -1 the one before
        yield FiscalYear(year.start, year.end, i - now)
    yield from _chart(sp)
    objects = yield from _dimensions(sp)
    for start, opening in sorted(sp.openings.items()):
        for account, amount in sorted(opening.items()):
            yield Balance("opening", start, account, amount)
    yield from sp.issues
    yield from _vouchers(sp, objects)
    yield from _invoices(sp)
    yield from _attachments(sp)
    yield StateUpdate(sp.state)


def _chart(sp: Spool) -> Iterator[Account]:
    """The accounts each year uses (eEkonomi lists its whole BAS chart)."""
    for start in sorted(sp.used):
        names = sp.accounts.get(start, {})
        for number in sorted(sp.used[start]):
            yield Account(number, names.get(number, ""), _type(number, sp.account_types.get(number)), year_start=start)


def _type(number: str, account_type: int | None) -> str | None:
    """eEkonomi's account type (0-9 assets, 10-19 equity and liabilities,
    20-23 revenue, 24-30 costs and the rest), else the BAS class."""
    if account_type is not None:
        return "T" if account_type < 10 else "S" if account_type < 20 else "I" if account_type < 24 else "K"
    return {"1": "T", "2": "S", "3": "I"}.get(number[:1], "K" if number[:1] in "45678" else None)


def _dimensions(sp: Spool) -> Iterator[Record]:
    """Cost centres and projects; returns item id → (dimension, code)."""
    objects: dict[str, tuple[int, str]] = {}
    for centre in sp.cost_centres:
        number = int(centre.get("Number") or 1)
        yield Dimension(number, centre.get("Name") or f"Kostnadsställe {number}")
        for item in centre.get("Items") or ():
            code = str(item.get("ShortName") or item.get("Name") or item["Id"])
            objects[str(item["Id"])] = (number, code)
            yield DimensionObject(number, code, item.get("Name") or code)
    if sp.projects:
        yield Dimension(PROJECT_DIMENSION, "Projekt")
    for project in sp.projects:
        code = str(project.get("Number") or project["Id"])
        objects[str(project["Id"])] = (PROJECT_DIMENSION, code)
        yield DimensionObject(PROJECT_DIMENSION, code, project.get("Name") or code)
    return objects


def _vouchers(sp: Spool, objects: dict[str, tuple[int, str]]) -> Iterator[Record]:
    seen: set[str] = set()  # a voucher on two pages (a sync during changes) counts once
    sections = [start.isoformat() for start in sorted(sp.whole)] + ["changed"]
    for section in sections:
        for raw in sp.read_vouchers(section):
            if raw["Id"] in seen:
                continue
            day = wire.day(raw["VoucherDate"])
            year = sp.year_of(day)  # type: ignore[arg-type]
            if section == "changed" and (year is None or year.start in sp.whole):
                continue  # fetched whole meanwhile
            seen.add(raw["Id"])
            yield from _voucher(raw, day, objects)  # type: ignore[arg-type]


def _voucher(raw: dict[str, Any], day: date, objects: dict[str, tuple[int, str]]) -> Iterator[Record]:
    series, number = wire.series_and_number(raw)
    rows = []
    for row in raw.get("Rows") or ():
        debit, credit = wire.sides(row)
        if debit and credit:
            yield Issue(
                Severity.WARNING, "eekonomi.row_both_sides",
                f"Voucher {series}{number} ({day}): a row on account {row['AccountNumber']} has both a debit and a "
                "credit amount; their difference is kept.",
            )  # fmt: skip
        refs = [objects[str(row[key])] for key in (*COST_CENTRE_KEYS, "ProjectId") if row.get(key) and str(row[key]) in objects]
        rows.append(
            VoucherRow(str(row["AccountNumber"]), debit - credit, tuple(refs), text=row.get("TransactionText") or None)
        )
    created = raw.get("CreatedUtc")
    yield Voucher(
        series, number, day, raw.get("VoucherText") or "", tuple(rows),
        registration_date=wire.instant(created).date() if created else None, source_id=str(raw["Id"]),
    )  # fmt: skip


def _invoices(sp: Spool) -> Iterator[Invoice]:
    for kind, raw in sp.invoices:
        if kind == "customer":
            yield _invoice("customer", raw, raw.get("CustomerNumber"), raw.get("CustomerName"), sp.today,
                           raw.get("TotalAmountInvoiceCurrency"), raw.get("RemainingAmountInvoiceCurrency"), raw.get("RemainingAmount"))  # fmt: skip
        elif kind == "supplier":
            yield _invoice("supplier", raw, raw.get("SupplierNumber"), raw.get("SupplierName"), sp.today,
                           raw.get("TotalAmount"), raw.get("RemainingAmountInvoiceCurrency"), raw.get("RemainingAmount"))  # fmt: skip
        else:  # a receivable booked outside eEkonomi's invoicing (manual or SIE voucher)
            customer = sp.customers.get(str(raw.get("CustomerId")), {})
            remaining = raw.get("RemainingAmountInvoiceCurrency")
            sek = remaining if (raw.get("CurrencyCode") or "SEK") == "SEK" else None
            yield _invoice("customer", raw, customer.get("CustomerNumber"), customer.get("Name"), sp.today,
                           raw.get("TotalAmountInvoiceCurrency"), remaining, sek)  # fmt: skip


def _invoice(
    kind: str, raw: dict[str, Any], party_number: Any, party_name: Any, today: date, total: Any, remaining: Any, sek: Any
) -> Invoice:
    return Invoice(
        kind, str(raw.get("InvoiceNumber") or ""), None if party_number is None else str(party_number), party_name,
        wire.day(raw.get("InvoiceDate")), wire.day(raw.get("DueDate")), raw.get("CurrencyCode") or "SEK",
        wire.money(total), wire.money(remaining), None if sek is None else wire.money(sek), today,
        source_id=str(raw["Id"]), voucher_number=raw.get("VoucherNumber") or None,
    )  # fmt: skip


def _attachments(sp: Spool) -> Iterator[Attachment]:
    for item, path in sp.attachments:
        links = [AttachmentLink("voucher", source_id=voucher_of(item, sp))]
        if item.get("AttachedDocumentType") == SUPPLIER_INVOICE and item.get("DocumentId"):
            links.append(AttachmentLink("supplier_invoice", source_id=str(item["DocumentId"])))
        yield Attachment(
            item.get("FileName") or f"{item['Id']}", item.get("ContentType") or "application/octet-stream",
            path=str(path), links=tuple(links), source_id=str(item["Id"]),
        )  # fmt: skip

