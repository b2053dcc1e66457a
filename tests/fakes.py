"""A small fake source for the core's tests: a line-based ledger format.

    orgnr 556677-8899
    year 2023-01-01 2023-12-31 0
    account 1910 Kassa
    balance opening 2023-01-01 1910 100.00
    voucher A 1 2023-01-05 Text
    row 1910 -50.00
    row 3010 50.00
    sleep 0.2          (slows the read: concurrency tests)
    boom               (the plugin raises: isolation and atomicity tests)
    issue error CODE   (the plugin reports a problem in the data)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields

from ekonomi.core import (
    Account,
    Attachment,
    AttachmentLink,
    Balance,
    Company,
    Connection,
    FileInput,
    FiscalYear,
    ImportContext,
    Invoice,
    Issue,
    Record,
    Source,
    Voucher,
    VoucherRow,
    hookimpl,
)


class FakeLedger(Source):
    name = "fake"
    title = "Fake ledger"
    version = "1.0"
    kind = "file"
    provides = frozenset({"company", "fiscal_years", "accounts", "balances", "vouchers"})
    file_extensions = (".fake",)

    def identify(self, head: bytes, filename: str) -> bool:
        return head.startswith(b"orgnr") or filename.endswith(".fake")

    def normalize(self, raw: FileInput, ctx: ImportContext) -> Iterator[Record]:
        voucher: dict | None = None

        def close() -> Iterator[Record]:
            if voucher is not None:
                yield Voucher(rows=tuple(voucher.pop("rows")), **voucher)

        with raw.path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                word, _, rest = line.strip().partition(" ")
                f = rest.split(" ")
                if word == "orgnr":
                    yield Company(name=None, orgnr=rest, line=n)
                elif word == "year":
                    yield FiscalYear(date.fromisoformat(f[0]), date.fromisoformat(f[1]), int(f[2]), n)
                elif word == "account":
                    yield Account(f[0], " ".join(f[1:]), line=n)
                elif word == "balance":
                    yield Balance(f[0], date.fromisoformat(f[1]), f[2], Decimal(f[3]), line=n)
                elif word == "voucher":
                    yield from close()
                    voucher = dict(series=f[0], number=f[1], date=date.fromisoformat(f[2]), text=" ".join(f[3:]), line=n, rows=[])
                elif word == "row":
                    assert voucher is not None
                    voucher["rows"].append(VoucherRow(f[0], Decimal(f[1]), line=n))
                elif word == "sleep":
                    time.sleep(float(f[0]))
                elif word == "boom":
                    raise RuntimeError("the fake plugin broke on purpose")
                elif word == "issue":
                    yield Issue(f[0], f[1], "reported by the fake source", n)
                ctx.progress("read", n, None)
            yield from close()


class FakePlugin:
    """Registered directly by the tests (entry-point autoload is off)."""

    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [FakeLedger()]


def ledger(orgnr: str = "556677-8899", year: int = 2023, vouchers: int = 3, prev_year: bool = False, extra: str = "") -> str:
    """A valid fake ledger text: vouchers of 100.00 from 1910 to 3010."""
    lines = [f"orgnr {orgnr}", f"year {year}-01-01 {year}-12-31 0"]
    if prev_year:
        lines.append(f"year {year - 1}-01-01 {year - 1}-12-31 -1")
    lines += ["account 1910 Kassa", "account 3010 Försäljning", f"balance opening {year}-01-01 1910 1000.00"]
    if prev_year:
        lines.append(f"balance closing {year - 1}-01-01 1910 1000.00")
    for i in range(1, vouchers + 1):
        lines += [f"voucher A {i} {year}-02-{i % 28 + 1:02d} Sale {i}", "row 1910 100.00", "row 3010 -100.00"]
    return "\n".join(lines) + "\n" + extra


# ---------------------------------------------------------------------------
# an integration that brings the whole books: vouchers with source ids,
# unpaid invoices and attachments (the web's invoice, voucher and
# integration-state tests)
# ---------------------------------------------------------------------------

SYNC_YEAR = 2026
PDF = b"%PDF-1.4\n% underlag A1\n"
PNG = b"\x89PNG\r\n\x1a\nunderlag A2"
HTML = b"<html><script>alert(1)</script></html>"


class FakeSyncConfig(Schema):
    company_key = fields.String(metadata={"label": "Företagsnyckel"})
    api_token = fields.String(metadata={"label": "API-nyckel", "secret": True})


class FakeSync(Source):
    """An upsert integration.  ``records`` is what the next sync delivers
    after the company; ``fail`` makes it report an error issue with that
    code (as a service that refuses the token would); ``broken``, raise;
    ``gate``, wait until it is set."""

    name = "fakesync"
    title = "Fake Synk"
    version = "0.2"
    kind = "integration"
    mode = "upsert"
    config_schema = FakeSyncConfig
    provides = frozenset({"company", "fiscal_years", "accounts", "vouchers", "invoices", "attachments"})
    EXPLAINED = {"fakesync.reconnect": "Kopplingen till Fake Synk har gått ut. Koppla företaget igen under Byrå."}

    def __init__(self) -> None:
        self.records: list[Record] = sync_books(date.today())
        self.fail: str | None = None
        self.broken = False
        self.gate: threading.Event | None = None  # set: the sync waits for it

    def connection(self, config: Any) -> Connection | None:
        if config["secrets"].get("api_token", {}).get("set"):
            return Connection(True, "Kopplad till Fake Synk.")
        return Connection(False, "Inte kopplad: API-nyckeln saknas.")

    def explain(self, code: str) -> str | None:
        return self.EXPLAINED.get(code)

    def fetch(self, ctx: ImportContext) -> None:
        return None

    def normalize(self, raw: Any, ctx: ImportContext) -> Iterator[Record]:
        if self.gate is not None:
            self.gate.wait(10)
        if self.broken:
            raise RuntimeError("the fake service broke")
        yield Company(name=None, orgnr=ctx.company_orgnr)
        if self.fail:
            yield Issue("error", self.fail, "The service refused the token (401).")
            return
        yield from self.records


def sync_books(today: date) -> list[Record]:
    """A fiscal year with two vouchers (A1 in February with a PDF, A2 in
    June with a PNG); two customer invoices (one overdue, one in EUR with a
    SEK value and an HTML attachment) and one supplier invoice, due around
    ``today``."""
    year = date(SYNC_YEAR, 1, 1)
    days = lambda n: today + timedelta(days=n)  # noqa: E731

    def voucher(number: str, day: date, text: str, amount: str) -> Voucher:
        rows = (VoucherRow("1930", Decimal(amount), text="Bank", objects=((1, "10"),)), VoucherRow("3010", -Decimal(amount)))
        return Voucher("A", number, day, text, rows, source_id=f"v-{number}")

    return [
        FiscalYear(year, date(SYNC_YEAR, 12, 31), 0),
        Account("1930", "Företagskonto"),
        Account("3010", "Försäljning"),
        voucher("1", date(SYNC_YEAR, 2, 10), "Kundinbetalning", "1250.00"),
        voucher("2", date(SYNC_YEAR, 6, 15), "Försäljning juni", "300.50"),
        Invoice("customer", "1001", "K7", "Sparlivs AB", days(-40), days(-10), "SEK", Decimal("1250.00"), Decimal("1000.00"), None, today),
        Invoice("customer", "1002", "K9", "Euro GmbH", days(-5), days(25), "EUR", Decimal("100.00"), Decimal("100.00"), Decimal("1150.75"), today),
        Invoice("supplier", "L-55", "L1", "Kontorsvaror AB", days(-20), days(10), "SEK", Decimal("499.00"), Decimal("499.00"), Decimal("499.00"), today),
        Attachment("kvitto A1.pdf", "application/pdf", data=PDF, links=(AttachmentLink("voucher", "A", "1", year),)),
        Attachment("foto-A2.png", "image/png", data=PNG, links=(AttachmentLink("voucher", "A", "2", year),)),
        Attachment("faktura.html", "text/html", data=HTML, links=(AttachmentLink("customer_invoice", invoice_number="1002"),)),
    ]


class FakeSyncPlugin:
    def __init__(self, source: FakeSync) -> None:
        self.source = source

    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [self.source]
