"""The default seed's business: a year and eleven months of trade written as
balanced vouchers (invoices and their payments, salaries, taxes, VAT
reports, depreciation, receipts), with the invoice records, customer ledger
items and attachments that go with them.  Vouchers are collected first and
numbered in date order at the end, as the books would have numbered them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .files import pdf_bytes
from .parties import RECEIPTS, SUPPLIERS
from .seedspec import LAST_DAY, TERMS_OF_PAYMENT, YEARS
from .store import CENT, Books, Record, stable_id

if TYPE_CHECKING:
    from .seedspec import SeedOptions

VAT_RATE = Decimal("0.25")
CLOCK_DAY = LAST_DAY + timedelta(days=1)
Row = tuple[int, Decimal] | tuple[int, Decimal, dict[str, Any]]


def months() -> list[date]:
    day, out = YEARS[0][0], []
    while day <= LAST_DAY:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def month_end(first: date) -> date:
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return min(nxt - timedelta(days=1), LAST_DAY)


class Trade:
    def __init__(self, books: Books, options: SeedOptions) -> None:
        self.books, self.options = books, options
        self.rng = random.Random(options.random_seed)
        self.pending: list[Record] = []
        self.customers = list(books.table("customers").values())
        self.suppliers = list(books.table("suppliers").values())
        centre = next(iter(books.table("costcenters").values()))
        self.centre_items = [item["Id"] for item in centre["Items"]]
        self.projects = [p["Id"] for p in books.table("projects").values()]
        self.invoice_number = 1000
        self.supplier_invoice_number = 0

    def run(self) -> None:
        self.voucher(date(2025, 2, 12), "Betalning av moms Q4 2024", 2, [(2650, Decimal("12000.00")), (1630, Decimal("-12000.00"))])
        self.ledger_items()
        for first in months():
            self.month(first)
        self.credit_invoices()
        quarters = [q for q in months() if q.month in (3, 6, 9, 12) and date(q.year, q.month, 12) + timedelta(days=62) <= LAST_DAY]
        receipts = self.options.vouchers - len(self.pending) - 2 * len(quarters)
        if receipts < 0:
            raise ValueError(f"the seed needs at least {len(self.pending) + 2 * len(quarters)} vouchers")
        for _ in range(receipts):
            self.receipt()
        for q in quarters:
            self.vat_report(month_end(q))
        self.book()

    # -- helpers ----------------------------------------------------------------------
    def money(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low * 100, high * 100)) / 100

    def stamp(self, day: date) -> datetime:
        start = datetime.combine(day, time(7, 0), tzinfo=timezone.utc)
        return start + timedelta(seconds=self.rng.randint(0, 10 * 3600), microseconds=self.rng.randint(0, 999_999))

    def day_in(self, first: date) -> date:
        last = month_end(first)
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def voucher(self, day: date, text: str, kind: int, rows: list[Row], source_id: str | None = None, series: str = "A") -> Record:
        """A balanced voucher (amounts signed: debit positive) for ``book``."""
        vid = stable_id(self.books.id, "voucher", len(self.pending) + 1)
        out = []
        for row in rows:
            extra = row[2] if len(row) > 2 else {}  # type: ignore[misc]
            out.append({"AccountNumber": row[0], "DebitAmount": max(row[1], Decimal(0)),
                        "CreditAmount": max(-row[1], Decimal(0)), "TransactionText": text[:60], **extra})
        voucher = {"Id": vid, "VoucherDate": day, "VoucherText": text, "Rows": out, "NumberSeries": series,
                   "VoucherType": kind, "SourceId": source_id, "CreatedUtc": self.stamp(day),
                   "Attachments": {"DocumentId": vid, "DocumentType": 3, "AttachmentIds": []}}
        self.pending.append(voucher)
        return voucher

    def attach(self, voucher: Record, name: str, kind: int, document: tuple[str, int] | None = None) -> str:
        """A file on ``voucher`` (and on ``document``: (id, AttachedDocumentType), if given)."""
        aid = stable_id(self.books.id, "attachment", name)
        voucher["Attachments"]["AttachmentIds"].append(aid)
        doc_id, doc_type = document or (voucher["Id"], 3)
        self.books.files[aid] = pdf_bytes(f"{name}: {voucher['VoucherText']}")
        self.books.put("attachments", {
            "Id": aid, "ContentType": "application/pdf", "DocumentId": doc_id, "AttachedDocumentType": doc_type,
            "FileName": f"{name}.pdf", "Type": kind, "AttachmentStatus": 0, "UploadedBy": "Demo Användare",
            "ImageDate": voucher["CreatedUtc"], "TransactionDate": voucher["VoucherDate"], "PhotoSource": 100,
            "CurrencyCode": "SEK", "AmountInvoiceCurrency": sum(r["DebitAmount"] for r in voucher["Rows"]),
        })
        return aid

    def payments(self, day: date, due: date, total: Decimal) -> list[tuple[date, Decimal]]:
        """When and how much an invoice was paid: every state occurs, more
        often fully paid the longer ago it fell due."""
        r = self.rng.random()
        late = due < CLOCK_DAY
        paid = min(day + timedelta(days=self.rng.randint(5, 45)), LAST_DAY)
        if r < (0.92 if late else 0.2):
            return [(paid, total)]
        if r < (0.96 if late else 0.6):
            return [(paid, (total * Decimal(self.rng.randint(30, 70)) / 100).quantize(CENT))]
        return []

    def book(self) -> None:
        """Number the collected vouchers in date order, then tell the invoices their numbers."""
        for voucher in sorted(self.pending, key=lambda v: (v["VoucherDate"], v["CreatedUtc"])):
            self.books.add_voucher(voucher, voucher["CreatedUtc"], check_lock=False)
        vouchers = self.books.table("vouchers")
        for kind in ("customerinvoices", "supplierinvoices"):
            for invoice in self.books.table(kind).values():
                invoice["VoucherNumber"] = vouchers[invoice["VoucherId"]]["NumberAndNumberSeries"]

    # -- business ---------------------------------------------------------------------
    def month(self, first: date) -> None:
        end = month_end(first)
        gross = self.money(52000, 56000)
        tax, fees = (gross * Decimal("0.30")).quantize(CENT), (gross * Decimal("0.3142")).quantize(CENT)
        salary_day = min(date(first.year, first.month, 25), end)
        self.voucher(salary_day, f"Löner {first:%Y-%m}", 2, [(7210, gross), (7510, fees), (2710, -tax), (2731, -fees), (1930, tax - gross)])
        tax_day = date(first.year + first.month // 12, first.month % 12 + 1, 12)
        if tax_day <= LAST_DAY:
            self.voucher(tax_day, f"Skatter och avgifter {first:%Y-%m}", 2, [(2710, tax), (2731, fees), (1930, -tax - fees)])
        if end.day >= 28:
            self.voucher(end, f"Avskrivning inventarier {first:%Y-%m}", 2, [(7832, Decimal("5000.00")), (1229, Decimal("-5000.00"))])
        fee = self.money(60, 140)
        self.voucher(min(date(first.year, first.month, 28), end), "Bankavgift", 11, [(6570, fee), (1930, -fee)])
        self.supplier_invoice(first, 0, Decimal("18000.00"))
        for _ in range(self.rng.randint(4, 8)):
            self.customer_invoice(self.day_in(first))
        for _ in range(self.rng.randint(3, 6)):
            self.supplier_invoice(self.day_in(first), self.rng.randint(1, len(SUPPLIERS) - 1))

    def customer_invoice(self, day: date) -> None:
        customer = self.rng.choice(self.customers)
        net = self.money(5000, 70000)
        vat = (net * VAT_RATE).quantize(CENT)
        iid = stable_id(self.books.id, "customerinvoice", self.invoice_number)
        dims = {"ProjectId": self.rng.choice(self.projects + [None] * 3), "CostCenterItemId1": self.centre_items[0]}
        text = f"Kundfaktura till {customer['CustomerNumber']} {customer['Name']}, {self.invoice_number}"
        voucher = self.voucher(day, text, 14, [(3041, -net, dims), (2611, -vat), (1510, net + vat)], source_id=iid)
        due = day + timedelta(days=30)
        invoice = self.invoice_record(iid, customer, day, due, net, vat, voucher)
        self.pay(invoice, self.payments(day, due, net + vat), 10, 1510)
        self.books.put("customerinvoices", invoice)

    def invoice_record(self, iid: str, customer: Record, day: date, due: date, net: Decimal, vat: Decimal, voucher: Record) -> Record:
        self.invoice_number += 1
        row = {"Id": stable_id(iid, "row", 1), "Text": "Konsulttjänster", "UnitPrice": net, "Quantity": Decimal(1),
               "AmountNoVat": net, "PercentVat": VAT_RATE, "VatRate": VAT_RATE, "LineNumber": 0, "Amount": net,
               "IsServiceArticle": True, "ProjectId": voucher["Rows"][0].get("ProjectId")}
        return {
            "Id": iid, "InvoiceNumber": self.invoice_number - 1, "CustomerId": customer["Id"],
            "CustomerNumber": customer["CustomerNumber"], "CustomerName": customer["Name"],
            "InvoiceCustomerName": customer["Name"], "InvoiceAddress1": customer["InvoiceAddress1"],
            "InvoicePostalCode": customer["InvoicePostalCode"], "InvoiceCity": customer["InvoiceCity"],
            "InvoiceCountryCode": "SE", "CustomerIsPrivatePerson": customer["IsPrivatePerson"],
            "InvoiceDate": day, "DueDate": due, "IsCreditInvoice": net < 0, "CurrencyCode": "SEK",
            "CurrencyRate": Decimal(1), "TotalAmount": net + vat, "TotalVatAmount": vat,
            "TotalAmountInvoiceCurrency": net + vat, "TotalVatAmountInvoiceCurrency": vat,
            "TermsOfPaymentId": TERMS_OF_PAYMENT, "Rows": [row], "VoucherId": voucher["Id"],
            "CreatedUtc": voucher["CreatedUtc"], "ModifiedUtc": voucher["CreatedUtc"], "_payments": [],
        }

    def pay(self, invoice: Record, payments: list[tuple[date, Decimal]], kind: int, ledger: int) -> None:
        """Payment vouchers: a customer's into the bank from 1510 (a refund
        is a negative payment), ours to a supplier from the bank to 2440."""
        for day, amount in payments:
            rows: list[Row] = [(1930, amount), (1510, -amount)] if ledger == 1510 else [(2440, amount), (1930, -amount)]
            voucher = self.voucher(day, f"Betalning faktura {invoice.get('InvoiceNumber')}", kind, rows, source_id=invoice["Id"])
            invoice["_payments"].append({"Date": day, "Amount": amount, "VoucherId": voucher["Id"]})
            invoice["ModifiedUtc"] = max(invoice["ModifiedUtc"], voucher["CreatedUtc"])

    def supplier_invoice(self, day: date, which: int, net: Decimal | None = None) -> None:
        supplier, (_, _, account) = self.suppliers[which], SUPPLIERS[which]
        net = net if net is not None else self.money(300, 25000)
        vat = (net * VAT_RATE).quantize(CENT) if account != "5010" else Decimal(0)
        self.supplier_invoice_number += 1
        sid = stable_id(self.books.id, "supplierinvoice", self.supplier_invoice_number)
        text = f"Leverantörsfaktura {supplier['Name']}"
        rows: list[Row] = [(int(account), net, {"CostCenterItemId1": self.rng.choice(self.centre_items)}), (2641, vat), (2440, -(net + vat))]
        voucher = self.voucher(day, text, 12, [r for r in rows if r[1] != 0], source_id=sid)
        due = day + timedelta(days=30)
        invoice = {
            "Id": sid, "SupplierId": supplier["Id"], "SupplierName": supplier["Name"], "SupplierNumber": supplier["SupplierNumber"],
            "InvoiceDate": day, "DueDate": due, "InvoiceNumber": str(self.rng.randint(10000, 99999)), "TotalAmount": net + vat,
            "Vat": vat, "IsCreditInvoice": False, "CurrencyCode": "SEK", "CurrencyRate": Decimal(1), "IsDomestic": True,
            "BankGiroNumber": supplier["BankgiroNumber"], "Number": self.supplier_invoice_number, "NumberSeries": "L",
            "VoucherId": voucher["Id"], "Status": 1, "CreatedUtc": voucher["CreatedUtc"], "ModifiedUtc": voucher["CreatedUtc"],
            "Rows": [{"Id": stable_id(sid, "row", i), "AccountNumber": r["AccountNumber"], "DebetAmount": r["DebitAmount"],
                      "CreditAmount": r["CreditAmount"], "LineNumber": i, "TransactionText": text,
                      "CostCenterItemId1": r.get("CostCenterItemId1")} for i, r in enumerate(voucher["Rows"])],
            "_payments": [],
        }
        invoice["Attachments"] = [self.attach(voucher, f"leverantorsfaktura-{self.supplier_invoice_number}", 0, (sid, 1))]
        self.pay(invoice, self.payments(day, due, net + vat), 11, 2440)
        self.books.put("supplierinvoices", invoice)

    def credit_invoices(self) -> None:
        """Three credit invoices, each refunded to the customer."""
        for first in (date(2025, 5, 1), date(2025, 11, 1), date(2026, 6, 1)):
            day, customer = self.day_in(first), self.rng.choice(self.customers)
            net = -self.money(1000, 8000)
            vat = (net * VAT_RATE).quantize(CENT)
            iid = stable_id(self.books.id, "customerinvoice", self.invoice_number)
            text = f"Kreditfaktura till {customer['CustomerNumber']} {customer['Name']}, {self.invoice_number}"
            voucher = self.voucher(day, text, 15, [(3041, -net), (2611, -vat), (1510, net + vat)], source_id=iid)
            invoice = self.invoice_record(iid, customer, day, day + timedelta(days=30), net, vat, voucher)
            self.pay(invoice, [(min(day + timedelta(days=10), LAST_DAY), net + vat)], 11, 1510)
            self.books.put("customerinvoices", invoice)

    def receipt(self) -> None:
        span = (LAST_DAY - YEARS[0][0]).days
        day = YEARS[0][0] + timedelta(days=self.rng.randint(1, span))
        account, text = self.rng.choice(RECEIPTS)
        gross = self.money(40, 800)
        vat = (gross * Decimal("0.2")).quantize(CENT) if account != 6993 else Decimal(0)
        rows: list[Row] = [(account, gross - vat), (2641, vat), (1930, -gross)]
        voucher = self.voucher(day, text, 7, [r for r in rows if r[1] != 0])
        if self.rng.random() < 0.3:
            self.attach(voucher, f"kvitto-{voucher['Id'][:8]}", 1)

    def vat_report(self, quarter_end: date) -> None:
        """Move the quarter's VAT to 2650 and pay it on the 12th two months on."""
        first = date(quarter_end.year, quarter_end.month - 2, 1)
        out = inn = Decimal(0)
        for v in self.pending:
            if first <= v["VoucherDate"] <= quarter_end:
                for r in v["Rows"]:
                    out += r["CreditAmount"] - r["DebitAmount"] if r["AccountNumber"] == 2611 else 0
                    inn += r["DebitAmount"] - r["CreditAmount"] if r["AccountNumber"] == 2641 else 0
        net = out - inn
        title = f"Momsrapport {first:%Y-%m} – {quarter_end:%Y-%m}"
        report = self.voucher(quarter_end, title, 8, [(2611, out), (2641, -inn), (2650, -net)])
        self.document(report, title)
        pay_day = date(quarter_end.year + (quarter_end.month + 2) // 12, (quarter_end.month + 2) % 12 or 12, 12)
        self.voucher(pay_day, "Betalning av moms", 2, [(2650, net), (1930, -net)])

    def document(self, voucher: Record, title: str) -> None:
        """The VAT report's PDF, which ``/documents/{id}`` serves."""
        did = stable_id(self.books.id, "document", voucher["Id"])
        name = f"momsrapport-{voucher['VoucherDate']:%Y-%m}"
        self.books.files[did] = pdf_bytes(title)
        self.books.put("documents", {"Id": did, "ContentType": "application/pdf", "CreatedUtc": voucher["CreatedUtc"],
                                     "Name": f"{name}.pdf", "NameWithoutExtension": name, "Title": title,
                                     "Size": len(self.books.files[did]), "Type": 0})

    def ledger_items(self) -> None:
        """Receivables brought in by SIE import (no invoice in the books): two paid, one partly, one open."""
        for i, share in enumerate((Decimal(1), Decimal(1), Decimal("0.5"), Decimal(0)), start=1):
            customer, net = self.customers[i], self.money(5000, 20000)
            vat = (net * VAT_RATE).quantize(CENT)
            lid = stable_id(self.books.id, "customerledgeritem", i)
            voucher = self.voucher(date(2025, 1, 2), f"Ingående kundfordran {9000 + i}", 9,
                                   [(1510, net + vat), (3001, -net), (2611, -vat)], source_id=lid, series="I")
            voucher["ImportedVoucherNumber"] = str(i)
            item = {"Id": lid, "CustomerId": customer["Id"], "InvoiceNumber": 9000 + i, "InvoiceDate": date(2025, 1, 2),
                    "DueDate": date(2025, 2, 1), "CurrencyCode": "SEK", "CurrencyRate": Decimal(1), "CurrencyRateUnit": 1,
                    "TotalAmountInvoiceCurrency": net + vat, "VATAmountInvoiceCurrency": vat, "IsCreditInvoice": False,
                    "VoucherId": voucher["Id"], "PaymentReferenceNumber": f"{9000 + i}1", "ModifiedUtc": voucher["CreatedUtc"],
                    "TotalAmount": net + vat, "_payments": []}
            paid = (share * (net + vat)).quantize(CENT)
            if paid:
                self.pay(item, [(date(2025, 1, 20), paid)], 10, 1510)
            item["RemainingAmountInvoiceCurrency"] = net + vat - paid
            self.books.put("customerledgeritems", item)
