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

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ekonomi.core import (
    Account,
    Balance,
    Company,
    FileInput,
    FiscalYear,
    ImportContext,
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
