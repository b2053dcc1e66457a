"""Changes a test makes to the books (``POST /_emulator/mutate``), as the
service would make them: each bumps the record's ``ModifiedUtc`` (a
customer's ``ChangedUtc``), vouchers stay balanced and numbered, a voucher
is never deleted but corrected by a reversing voucher, and a payment books
its own voucher."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .errors import bad_request
from .store import KINDS, Books, Record
from .wire import read_fixture_value

TIMESTAMP_OF = {"customers": "ChangedUtc", "fiscalyears": None, "costcenters": None, "attachments": None,
                "documents": None}


def apply(books: Books, op: dict[str, Any], now: datetime) -> Record:
    """One operation: ``add``, ``modify``, ``delete``, ``void`` (a voucher)
    or ``pay`` (an invoice); returns the record made or changed."""
    name, kind = op.get("op"), op.get("kind", "vouchers")
    if kind not in KINDS:
        raise bad_request(f"unknown kind {kind!r}", "kind")
    if name == "add":
        return add(books, kind, {k: read_fixture_value(k, v) for k, v in op.get("record", {}).items()}, now,
                   check_lock=not op.get("force"))
    record = books.get(kind, str(op.get("id", "")))
    if name == "modify":
        return modify(books, kind, record, {k: read_fixture_value(k, v) for k, v in op.get("set", {}).items()}, now)
    if name == "delete" and kind != "vouchers":
        return books.table(kind).pop(record["Id"])
    if name == "void" and kind == "vouchers":
        return void(books, record, now)
    if name == "pay" and kind in ("customerinvoices", "supplierinvoices"):
        day = read_fixture_value("Date", op.get("date")) if op.get("date") else now.date()
        return pay(books, kind, record, Decimal(str(op["amount"])), day, now)
    raise bad_request(f"unknown operation {name!r} for {kind}", "op")


def touch(kind: str, record: Record, now: datetime) -> None:
    field = TIMESTAMP_OF.get(kind, "ModifiedUtc")
    if field:
        record[field] = now


def add(books: Books, kind: str, record: Record, now: datetime, check_lock: bool = True) -> Record:
    if kind == "vouchers":
        record.setdefault("VoucherType", 2)
        record.setdefault("Attachments", None)
        record["CreatedUtc"] = record["ModifiedUtc"] = now
        voucher = books.add_voucher(record, now, check_lock=check_lock)
        if voucher["Attachments"] is None:
            voucher["Attachments"] = {"DocumentId": voucher["Id"], "DocumentType": 3, "AttachmentIds": []}
        return voucher
    record["Id"] = str(record.get("Id") or books.new_id(kind)).lower()
    if kind == "accounts":
        record["Id"] = f"{record['FiscalYearId']}:{record['Number']}"
    if kind in ("customerinvoices", "supplierinvoices"):
        record.setdefault("_payments", [])
    record["CreatedUtc"] = now  # kept only where the schema has it
    touch(kind, record, now)
    return books.put(kind, record)


def modify(books: Books, kind: str, record: Record, changes: Record, now: datetime) -> Record:
    if kind == "vouchers" and "Rows" in changes:
        books.replace_rows(record, changes.pop("Rows"), now)
    record.update({k: v for k, v in changes.items() if k != "Id"})
    touch(kind, record, now)
    return record


def void(books: Books, voucher: Record, now: datetime) -> Record:
    """The correction eEkonomi makes: a voucher with the rows reversed."""
    rows = [{"AccountNumber": r["AccountNumber"], "DebitAmount": r["CreditAmount"], "CreditAmount": r["DebitAmount"],
             "TransactionText": r.get("TransactionText")} for r in voucher["Rows"]]
    day = voucher["VoucherDate"] if voucher["VoucherDate"] > books.locked_to() else now.date()
    reversal = {"VoucherDate": day, "VoucherText": f"Korrigering av {voucher['NumberAndNumberSeries']}",
                "Rows": rows, "VoucherType": 2, "NumberSeries": voucher.get("NumberSeries")}
    return add(books, "vouchers", reversal, now)


def pay(books: Books, kind: str, invoice: Record, amount: Decimal, day: date, now: datetime) -> Record:
    if amount == 0:
        raise bad_request("amount must not be zero", "amount")
    rows = ([(1930, amount), (1510, -amount)] if kind == "customerinvoices" else [(2440, amount), (1930, -amount)])
    voucher = add(books, "vouchers", {
        "VoucherDate": day, "VoucherText": f"Betalning faktura {invoice.get('InvoiceNumber')}",
        "VoucherType": 10 if kind == "customerinvoices" else 11, "SourceId": invoice["Id"],
        "Rows": [{"AccountNumber": a, "DebitAmount": max(v, Decimal(0)), "CreditAmount": max(-v, Decimal(0))} for a, v in rows],
    }, now)
    invoice.setdefault("_payments", []).append({"Date": day, "Amount": amount, "VoucherId": voucher["Id"]})
    touch(kind, invoice, now)
    return invoice

