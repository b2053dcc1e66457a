"""The default seed: "Demo eEkonomi AB" (559000-0001) with two fiscal years
(2025 locked, 2026 open), a BAS chart, customers, suppliers, a cost centre
and projects; ``seed_trade`` adds a few thousand balanced vouchers,
invoices in every payment state and attachments.  Deterministic: the same
options give the same books, ids included (uuid5 of each record's key)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

from .chart import CHART, account_type
from .parties import COST_CENTRE_ITEMS, CUSTOMERS, PROJECTS, SUPPLIERS
from .seed_trade import Trade
from .seedspec import TERMS_OF_PAYMENT, YEARS, SeedOptions
from .store import Books, Record, stable_id

COMPANY_NAME = "Demo eEkonomi AB"
ORGNR = "559000-0001"
OPENING = {1220: "200000.00", 1229: "-40000.00", 1630: "12000.00", 1930: "290000.00",
           2081: "-50000.00", 2091: "-400000.00", 2650: "-12000.00"}


def seed_books(options: SeedOptions = SeedOptions(), company_key: str = "demo") -> Books:
    books = Books(id=stable_id("company", company_key), settings=company_settings(company_key))
    add_fiscal_years(books)
    add_chart(books)
    books.opening_balances = {n: Decimal(v) for n, v in OPENING.items()}
    add_dimensions(books)
    add_parties(books)
    if not options.empty:
        Trade(books, options).run()
    return books


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(6, 0), tzinfo=timezone.utc)


def company_settings(company_key: str) -> Record:
    return {
        "Name": COMPANY_NAME, "Email": "info@demo-eekonomi.se", "Phone": "08-123 456 00", "Address1": "Storgatan 1",
        "CountryCode": "SE", "PostalCode": "111 22", "City": "Stockholm", "Website": "https://demo-eekonomi.se",
        "CurrencyCode": "SEK", "TermsOfPaymentId": TERMS_OF_PAYMENT, "CorporateIdentityNumber": ORGNR,
        "VatCode": "SE559000000101", "BankGiro": "123-4567", "AccountNumberDigits": 4,
        "AccountingLockedTo": date(2025, 12, 31), "AccountingLockInterval": 3, "ProductVariant": 1,
        "TypeOfBusiness": 1, "VatPeriod": 3, "ActivatedModules": [], "UsesCostCenter": True, "UsesProject": True,
        "CompanyStatus": 1, "CompanyIdentifier": stable_id("companyidentifier", company_key),
        "NextCustomerInvoiceNumber": 1, "NextCustomerNumber": len(CUSTOMERS) + 1, "NextSupplierNumber": len(SUPPLIERS) + 1,
    }


def add_fiscal_years(books: Books) -> None:
    for start, end, locked in YEARS:
        books.put("fiscalyears", {"Id": stable_id(books.id, "fiscalyear", start), "StartDate": start, "EndDate": end,
                                  "IsLockedForAccounting": locked, "BookkeepingMethod": 0})


def add_chart(books: Books) -> None:
    for fy in books.fiscal_years():
        stamp = midnight(fy["StartDate"])
        for number, name in sorted(CHART):
            kind, description = account_type(number)
            books.tables["accounts"][f"{fy['Id']}:{number}"] = {
                "Id": f"{fy['Id']}:{number}", "Name": name, "Number": str(number), "FiscalYearId": fy["Id"],
                "Type": kind, "TypeDescription": description, "IsActive": True, "AllowTransactionText": True,
                "IsProjectAllowed": number >= 3000, "IsCostCenterAllowed": number >= 3000,
                "CreatedUtc": stamp, "ModifiedUtc": stamp,
            }


def add_dimensions(books: Books) -> None:
    centre = stable_id(books.id, "costcenter", 1)
    stamp = midnight(YEARS[0][0])
    items = [{"Id": stable_id(books.id, "costcenteritem", short), "CostCenterId": centre, "Name": name,
              "ShortName": short, "IsActive": True, "CreatedUtc": stamp} for name, short in COST_CENTRE_ITEMS]
    books.put("costcenters", {"Id": centre, "Number": 1, "Name": "Avdelning", "IsActive": True, "Items": items})
    for number, name, status in PROJECTS:
        books.put("projects", {"Id": stable_id(books.id, "project", number), "Number": number, "Name": name,
                               "StartDate": date(2025, 3, 1), "EndDate": date(2025, 12, 31) if status == 2 else None,
                               "Notes": None, "Status": status, "ModifiedUtc": stamp})


def add_parties(books: Books) -> None:
    stamp = midnight(YEARS[0][0])
    for i, (name, orgnr) in enumerate(CUSTOMERS, start=1):
        books.put("customers", {
            "Id": stable_id(books.id, "customer", i), "CustomerNumber": str(i), "Name": name,
            "CorporateIdentityNumber": orgnr, "IsPrivatePerson": orgnr is None, "IsActive": True,
            "InvoiceAddress1": f"Kundvägen {i}", "InvoicePostalCode": f"1{i:02d} 00", "InvoiceCity": "Stockholm",
            "InvoiceCountryCode": "SE", "CurrencyCode": "SEK", "TermsOfPaymentId": TERMS_OF_PAYMENT,
            "EmailAddress": f"faktura{i}@example.se", "ChangedUtc": stamp,
        })
    for i, (name, orgnr, _) in enumerate(SUPPLIERS, start=1):
        books.put("suppliers", {
            "Id": stable_id(books.id, "supplier", i), "SupplierNumber": str(i), "Name": name,
            "CorporateIdentityNumber": orgnr, "IsActive": True, "CountryCode": "SE", "CurrencyCode": "SEK",
            "BankgiroNumber": f"5{i:02d}-{1000 + i}", "TermsOfPaymentId": TERMS_OF_PAYMENT,
            "CreatedUtc": stamp, "ModifiedUtc": stamp,
        })
