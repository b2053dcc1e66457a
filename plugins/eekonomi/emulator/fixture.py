"""Seed fixtures: the emulator's data as JSON, for ``--seed FILE`` and
``POST /_emulator/seed``, and ``GET /_emulator/fixture`` to write one.

    {"generate": {"random_seed": 13, "vouchers": 2500, "empty": false}}

makes the default seed with other options;

    {"companies": [{"Id": …, "State": "active", "CompanySettings": {…},
                    "OpeningBalances": [{"Number": 1930, "Balance": 1000.0}],
                    "FiscalYears": […], "Accounts": […], "Vouchers": […], …,
                    "Files": {"<attachment id>": "<base64>"}}]}

gives the records themselves, in the API's wire form (an invoice's payments
as ``_payments``: ``[{"Date", "Amount", "VoucherId"}]``).  Vouchers must
balance; those without a number get the next one in their series."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from .errors import ApiError
from .seed import SeedOptions, seed_books
from .store import KINDS, Books, check_rows, stable_id
from .wire import read_fixture_value, render

# fixture key ↔ store kind: the API's names, in PascalCase
SECTIONS = {
    "FiscalYears": "fiscalyears", "Accounts": "accounts", "Vouchers": "vouchers", "Customers": "customers",
    "Suppliers": "suppliers", "CustomerInvoices": "customerinvoices", "SupplierInvoices": "supplierinvoices",
    "CustomerLedgerItems": "customerledgeritems", "CostCenters": "costcenters", "Projects": "projects",
    "Attachments": "attachments", "Documents": "documents",
}
assert sorted(SECTIONS.values()) == sorted(KINDS)


def load_fixture(data: dict[str, Any]) -> list[Books]:
    """The companies a fixture describes; ValueError when it is not one."""
    if "generate" in data:
        options = SeedOptions(**data["generate"])
        return [seed_books(options)]
    companies = data.get("companies")
    if not isinstance(companies, list):
        raise ValueError('a fixture has "companies" (a list) or "generate"')
    return [load_company(c, i) for i, c in enumerate(companies)]


def load_company(data: dict[str, Any], index: int) -> Books:
    settings = read_fixture_value("CompanySettings", data.get("CompanySettings") or {})
    books = Books(id=str(data.get("Id") or stable_id("company", index)).lower(), settings=settings,
                  state=data.get("State", "active"))
    books.opening_balances = {int(r["Number"]): Decimal(str(r["Balance"])) for r in data.get("OpeningBalances", [])}
    for section, kind in SECTIONS.items():
        for raw in data.get(section, []):
            record = {k: read_fixture_value(k, v) for k, v in raw.items()}
            if kind == "accounts":
                record["Id"] = f"{record['FiscalYearId']}:{record['Number']}"
            elif kind == "vouchers":
                continue  # after every section, so the chart is there
            record["Id"] = str(record.get("Id") or books.new_id(kind)).lower()
            books.put(kind, record)
    for raw in data.get("Vouchers", []):
        load_voucher(books, {k: read_fixture_value(k, v) for k, v in raw.items()})
    books.files.update({k.lower(): base64.b64decode(v) for k, v in (data.get("Files") or {}).items()})
    return books


def load_voucher(books: Books, voucher: dict[str, Any]) -> None:
    voucher.setdefault("Attachments", None)
    try:
        if voucher.get("NumberAndNumberSeries"):
            check_rows(voucher["Rows"])
            voucher["Id"] = str(voucher.get("Id") or books.new_id("vouchers")).lower()
            books.put("vouchers", voucher)
            books.note_number(voucher)
        else:
            books.add_voucher(voucher, voucher.get("CreatedUtc") or voucher["VoucherDate"], check_lock=False)
    except ApiError as exc:
        raise ValueError(f"voucher {voucher.get('Id') or voucher.get('VoucherText')}: {exc.message}") from None


def dump_fixture(companies: list[Books], date_style: str = "date") -> dict[str, Any]:
    """The fixture that loads back into these companies."""
    out = []
    for books in companies:
        company: dict[str, Any] = {
            "Id": books.id, "State": books.state, "CompanySettings": render(books.settings, date_style),
            "OpeningBalances": [{"Number": n, "Balance": float(b)} for n, b in sorted(books.opening_balances.items())],
        }
        for section, kind in SECTIONS.items():
            records = [dict(r) for r in books.table(kind).values()]
            if kind == "accounts":
                for r in records:
                    r.pop("Id", None)
            company[section] = [keep_private(r, date_style) for r in records]
        company["Files"] = {k: base64.b64encode(v).decode("ascii") for k, v in books.files.items()}
        out.append(company)
    return {"companies": out}


def keep_private(record: dict[str, Any], date_style: str) -> dict[str, Any]:
    """A record in wire form with the emulator's own ``_`` keys kept."""
    out = render(record, date_style)
    out.update({k: render(v, date_style) for k, v in record.items() if k.startswith("_")})
    return out
