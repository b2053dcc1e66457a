"""One sync's calls to eEkonomi (research notes 2.2), into a Spool.

A company seen for the first time, and any fiscal year not fetched whole
before, is fetched whole: every voucher of it (pages of 1000, ordered)
and its opening balance.  After that a sync asks only for what
changed since the watermark, which is the service's own clock
(``ServerTimeUtc`` of the first voucher page) minus an overlap, and which
the import keeps only when everything succeeded (the StateUpdate commits
with the records).  Every year brought is reconciled against
``/accountbalances``; a year changed piecemeal that does not reconcile is
fetched again whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ekonomi.core import ImportContext, Issue, Severity

from . import wire
from .attachments import fetch_attachments
from .client import Client
from .errors import ApiError
from .spool import Spool, Year

STATE_VERSION = 1
OVERLAP_S = 300  # clock skew, and vouchers committed while the last sync paged
PAGE = 1000


class Sync:
    def __init__(self, ctx: ImportContext, client: Client) -> None:
        self.ctx = ctx
        self.client = client
        self.spool = Spool()
        self.state = ctx.state if ctx.state.get("version") == STATE_VERSION else {}
        self.watermark: str | None = None  # the new one: first voucher page's ServerTimeUtc
        self.sums: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # rows through each year's day
        self.start_day: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # rows on its first day
        self.changed_ids: set[str] = set()
        self.changed_years: set[date] = set()

    def run(self) -> Spool:
        sp = self.spool
        sp.company = self.client.get("companysettings")
        self._years()
        stored = {fy.start for fy in self.ctx.fiscal_years}
        fetched_before = set(self.state.get("years", ()))
        sp.whole = {y.start for y in sp.years if y.start.isoformat() not in fetched_before or y.start not in stored}
        for year in sp.years:
            if year.start in sp.whole:
                self._whole_year(year)
        if len(sp.whole) < len(sp.years):
            self._changed()
        self._dimensions()
        self._reconcile()
        self._invoices()
        fetch_attachments(self.client, sp, set(self.state.get("attachments", ())), listed=bool(sp.whole))
        sp.state = {
            "version": STATE_VERSION,
            "watermark": self.watermark or self.state.get("watermark"),
            "years": sorted(y.start.isoformat() for y in sp.years),
            "attachments": sorted(set(self.state.get("attachments", ())) | {a["Id"] for a, _ in sp.attachments}),
        }
        return sp

    # -- fiscal years ------------------------------------------------------------
    def _years(self) -> None:
        """The years that have begun by the service's today."""
        sp = self.spool
        items: list[dict[str, Any]] = []
        for page in self.client.pages("fiscalyears", endpoint="fiscalyears"):
            if sp.today == date.min:
                sp.today = wire.instant(page.meta["ServerTimeUtc"]).date()
            items.extend(page.items)
        years = [Year(str(y["Id"]), wire.day(y["StartDate"]), wire.day(y["EndDate"])) for y in items]  # type: ignore[arg-type]
        sp.years = sorted((y for y in years if y.start <= sp.today), key=lambda y: y.start)

    def through(self, year: Year) -> date:
        """The last day a year's balances are compared on: today, or its end."""
        return min(self.spool.today, year.end)

    # -- vouchers ----------------------------------------------------------------
    def _whole_year(self, year: Year) -> None:
        sp = self.spool
        sp.forget_vouchers(year.start.isoformat())  # a year fetched again starts afresh
        self.sums.pop(year.start, None)
        self.start_day.pop(year.start, None)
        params = {"$orderby": "CreatedUtc"}
        for page in self.client.pages(f"vouchers/{year.id}", params, endpoint="vouchers/{fiscalyearId}", page_size=PAGE):
            self._mark(page.meta)
            sp.add_vouchers(year.start.isoformat(), page.items)
            for voucher in page.items:
                self._count(voucher, year)
            self.ctx.progress("fetch", sp.vouchers, None)
        self._opening(year)
        sp.whole.add(year.start)

    def _changed(self) -> None:
        """Vouchers changed since the last sync, in the years not fetched whole."""
        sp = self.spool
        since = self.state.get("watermark")
        if not since:
            return
        moment = wire.minus(wire.instant(since), OVERLAP_S)
        params = {"$filter": f"ModifiedUtc gt {wire.stamp(moment)}", "$orderby": "ModifiedUtc"}
        for page in self.client.pages("vouchers", params, endpoint="vouchers", page_size=PAGE):
            self._mark(page.meta)
            mine = []
            for voucher in page.items:
                year = sp.year_of(wire.day(voucher["VoucherDate"]))  # type: ignore[arg-type]
                if year is None or year.start in sp.whole:
                    continue  # a year not begun, or one brought whole already
                self.changed_ids.add(str(voucher["Id"]))
                self.changed_years.add(year.start)
                self._count(voucher, year)
                mine.append(voucher)
            sp.add_vouchers("changed", mine)
            self.ctx.progress("fetch", sp.vouchers, None)

    def _mark(self, meta: dict[str, Any]) -> None:
        if self.watermark is None:
            self.watermark = meta["ServerTimeUtc"]

    def _count(self, voucher: dict[str, Any], year: Year) -> None:
        """What reconciling needs of a voucher: its rows' sums, and the accounts it uses."""
        day = wire.day(voucher["VoucherDate"])
        used = self.spool.used.setdefault(year.start, set())
        names = self.spool.accounts.setdefault(year.start, {})
        for row in voucher.get("Rows") or ():
            account = str(row["AccountNumber"])
            used.add(account)
            names.setdefault(account, row.get("AccountDescription") or "")
            amount = wire.net(row)
            if day <= self.through(year):  # type: ignore[operator]
                self.sums[year.start][account] += amount
            if day == year.start:
                self.start_day[year.start][account] += amount
        for attachment in (voucher.get("Attachments") or {}).get("AttachmentIds") or ():
            self.spool.attachment_vouchers[str(attachment)] = str(voucher["Id"])

    # -- chart and balances --------------------------------------------------------
    def _balances(self, year: Year, day: date) -> dict[str, Decimal]:
        """``/accountbalances/{day}``: account → balance.  The year's chart
        takes its accounts' names and types from here and from the rows
        (eEkonomi's own chart lists the whole BAS plan, used or not)."""
        out = {}
        names = self.spool.accounts.setdefault(year.start, {})
        for page in self.client.pages(f"accountbalances/{day.isoformat()}", endpoint="accountbalances/{date}", page_size=PAGE):
            for item in page.items:
                number = str(item["AccountNumber"])
                out[number] = wire.money(item["Balance"])
                if item.get("AccountName"):
                    names[number] = item["AccountName"]
                if item.get("AccountType") is not None:
                    self.spool.account_types[number] = int(item["AccountType"])
        self.spool.used.setdefault(year.start, set()).update(out)
        return out

    def _opening(self, year: Year) -> None:
        """The balance on the first day less that day's rows: the year's
        opening balance, however the service carries one year into the next."""
        balances = self._balances(year, year.start)
        first = self.start_day.get(year.start, {})
        opening = {a: amount - first.get(a, Decimal(0)) for a, amount in balances.items()}
        self.spool.openings[year.start] = {a: v for a, v in opening.items() if v}

    def _reconcile(self) -> None:
        """Every year brought or changed, and the current one, against the
        service's balances; a year changed piecemeal that differs is
        fetched again whole, once."""
        sp = self.spool
        current = sp.year_of(sp.today)
        check = sp.whole | self.changed_years | ({current.start} if current else set())
        for year in [y for y in sp.years if y.start in check]:
            differs = self._differences(year, self._balances(year, self.through(year)))
            if differs and year.start not in sp.whole:
                self._whole_year(year)
                differs = self._differences(year, self._balances(year, self.through(year)))
            if differs:
                shown = ", ".join(f"{a} ({mine} here, {theirs} in eEkonomi)" for a, mine, theirs in differs[:5])
                sp.issues.append(Issue(
                    Severity.WARNING, "eekonomi.reconcile",
                    f"The fiscal year {year.start} does not reconcile with eEkonomi's account balances on "
                    f"{self.through(year)} after fetching it again whole: {shown}.",
                ))  # fmt: skip

    def _differences(self, year: Year, remote: dict[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        if year.start in self.spool.whole:
            mine: dict[str, Decimal] = defaultdict(Decimal, self.spool.openings.get(year.start, {}))
        else:
            stored = self.ctx.stored_balances(year.start, self.through(year), self.changed_ids)
            mine = defaultdict(Decimal, stored)
        for account, amount in self.sums.get(year.start, {}).items():
            mine[account] += amount
        accounts = set(mine) | set(remote)
        theirs = {a: remote.get(a, Decimal("0.00")) for a in accounts}
        return sorted((a, mine[a], theirs[a]) for a in accounts if mine[a] != theirs[a])

    # -- dimensions and invoices -----------------------------------------------------
    def _dimensions(self) -> None:
        sp = self.spool
        sp.cost_centres = [c for page in self.client.pages("costcenters", endpoint="costcenters", page_size=PAGE) for c in page.items]
        sp.projects = [p for page in self.client.pages("projects", endpoint="projects", page_size=PAGE) for p in page.items]

    def _invoices(self) -> None:
        """The unpaid-invoice snapshot, rebuilt every time (research 1.8)."""
        sp = self.spool
        for kind, path in (("customer", "customerinvoices"), ("supplier", "supplierinvoices")):
            for item in self._unpaid(path, "RemainingAmount"):
                if kind == "supplier" and item.get("Status") in (0, 2):  # a draft, or deleted
                    continue
                sp.invoices.append((kind, item))
        ledger = list(self._unpaid("customerledgeritems", "RemainingAmountInvoiceCurrency"))
        if ledger:
            for page in self.client.pages("customers", endpoint="customers", page_size=PAGE):
                sp.customers.update({str(c["Id"]): c for c in page.items})
        sp.invoices.extend(("customer_ledger", item) for item in ledger)

    def _unpaid(self, path: str, remaining: str) -> Iterable[dict[str, Any]]:
        """The records with something left to pay: filtered by the service
        where it takes the filter, else here."""
        try:
            pages = list(self.client.pages(path, {"$filter": f"{remaining} ne 0"}, endpoint=path, page_size=PAGE))
        except ApiError as exc:
            if getattr(exc, "error_code", None) != 2000:
                raise
            pages = list(self.client.pages(path, endpoint=path, page_size=PAGE))
        for page in pages:
            for item in page.items:
                if wire.money(item.get(remaining)) != 0:
                    yield item
