"""Accounting rules every source obeys, run on the canonical record stream.

Rules are ``RecordCheck`` objects handed out by the ``ekonomi_checks`` hook;
the core's own (``LedgerChecks``) is registered through that hook like any
plugin's.  They see each record once, keep only small summaries (no rows),
and return Issues instead of raising.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any
from datetime import date
from decimal import Decimal

from .context import ImportContext
from .source import Source
from .orgnr import normalize_orgnr
from .records import (
    Account,
    Attachment,
    Balance,
    Company,
    Dimension,
    DimensionObject,
    FiscalYear,
    Invoice,
    Issue,
    PeriodBalance,
    RowKind,
    Severity,
    Voucher,
)
from .engine._speedups import ledger_rows  # in C where built (core/engine/_rows.c)

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_TENTH, _ONE = Decimal("0.1"), Decimal("1")
_POSTED = RowKind.POSTED


class RecordCheck:
    """Base of a rule: override ``check`` and/or ``finish``."""

    def check(self, record: object) -> Iterable[Issue]:
        return ()

    def finish(self) -> Iterable[Issue]:
        return ()


class NumberSet:
    """Seen voucher numbers of one series, kept as sorted disjoint ranges.

    Numbers within a series normally ascend one by one, so a million
    vouchers cost one range, not a million set entries; text numbers fall
    back to a set.
    """

    __slots__ = ("starts", "ends", "texts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.texts: set[str] = set()

    def overlaps(self, starts: list[int], ends: list[int], texts: set[str]) -> bool:
        """Does another set (given by its ranges and texts) share a number?"""
        if self.texts & texts:
            return True
        i = j = 0
        while i < len(self.starts) and j < len(starts):
            if self.ends[i] < starts[j]:
                i += 1
            elif ends[j] < self.starts[i]:
                j += 1
            else:
                return True
        return False

    def union(self, starts: list[int], ends: list[int], texts: set[str]) -> None:
        """Add another set's numbers; touching ranges are joined, as ``add`` keeps them."""
        merged_starts: list[int] = []
        merged_ends: list[int] = []
        for s, e in sorted([*zip(self.starts, self.ends), *zip(starts, ends)]):
            if merged_ends and s <= merged_ends[-1] + 1:
                merged_ends[-1] = max(merged_ends[-1], e)
            else:
                merged_starts.append(s)
                merged_ends.append(e)
        self.starts, self.ends = merged_starts, merged_ends
        self.texts |= texts

    def add(self, number: str) -> bool:
        """Record ``number``; return False if it was seen before."""
        if not number.isdigit() or len(number) > 18:
            if number in self.texts:
                return False
            self.texts.add(number)
            return True
        n = int(number)
        starts, ends = self.starts, self.ends
        if ends and n == ends[-1] + 1:  # the common case: next in line
            ends[-1] = n
            return True
        i = bisect.bisect_right(starts, n) - 1
        if i >= 0 and n <= ends[i]:
            return False
        # Join with the range to the left and/or right, or open a new one.
        joins_left = i >= 0 and ends[i] == n - 1
        joins_right = i + 1 < len(starts) and starts[i + 1] == n + 1
        if joins_left and joins_right:
            ends[i] = ends[i + 1]
            del starts[i + 1], ends[i + 1]
        elif joins_left:
            ends[i] = n
        elif joins_right:
            starts[i + 1] = n
        else:
            starts.insert(i + 1, n)
            ends.insert(i + 1, n)
        return True


class LedgerChecks(RecordCheck):
    """The core's rules: vouchers balance to zero in öre, amounts have at most
    two decimals, voucher dates fall inside a fiscal year, rows point at
    declared accounts, (series, number) is not repeated within a year, and the
    data's orgnr is the company's."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.file = ctx.filename
        self.file_years: list[FiscalYear] = []
        self._starts: list[date] | None = None
        self._years: list[FiscalYear] = []
        self._last_year: FiscalYear | None = None
        self.accounts: set[str] = set()
        self.undeclared: set[str] = set()
        self.numbers: dict[tuple[date | None, str], NumberSet] = {}

    # -- checking one input in two halves ------------------------------------
    # A reader may check the second half of a big input in another process,
    # from the same header, and join the results (the SIE plugin's halves.py).
    def export_state(self) -> dict[str, Any]:
        """What the voucher rules remembered, picklable, for ``merge``."""
        return {
            "undeclared": set(self.undeclared),
            "numbers": {k: (list(ns.starts), list(ns.ends), set(ns.texts)) for k, ns in self.numbers.items()},
        }

    def can_merge(self, later: dict[str, Any]) -> bool:
        """Would checking the later half apart have reported exactly what one
        pass reports?  Not if an account was reported undeclared on both
        sides, or a voucher number of a year and series was seen on both."""
        if self.undeclared & later["undeclared"]:
            return False
        return not any(
            self.numbers[key].overlaps(*ranges) for key, ranges in later["numbers"].items() if key in self.numbers
        )

    def merge(self, later: dict[str, Any]) -> None:
        """Take over the later half's state (after ``can_merge`` said yes)."""
        self.undeclared |= later["undeclared"]
        for key, ranges in later["numbers"].items():
            self.numbers.setdefault(key, NumberSet()).union(*ranges)

    # -- helpers -------------------------------------------------------------
    def _issue(self, severity: Severity, code: str, message: str, line: int | None) -> Issue:
        return Issue(severity, code, message, line, None, self.file)

    def _year_of(self, day: date) -> FiscalYear | None:
        last = self._last_year
        if last is not None and last.start <= day <= last.end and self._starts is not None:
            return last
        if self._starts is None:
            # The input's own fiscal years decide where it has any; else the
            # company's stored years (a 4I file without #RAR).
            years = self.file_years or list(self.ctx.fiscal_years)
            self._years = sorted(years, key=lambda y: y.start)
            self._starts = [y.start for y in self._years]
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0 and day <= self._years[i].end:
            self._last_year = self._years[i]
            return self._last_year
        return None

    # -- the rules -----------------------------------------------------------
    def check(self, record: object) -> Iterable[Issue]:
        if type(record) is Voucher:
            return self._voucher(record)
        if type(record) is Account:
            self.accounts.add(record.number)
            return ()
        if type(record) is FiscalYear:
            self.file_years.append(record)
            self._starts, self._last_year = None, None
            return ()
        if type(record) is Company:
            return self._company(record)
        if type(record) in (Balance, PeriodBalance):
            return self._amount_precision(record.amount, record.line)  # type: ignore[union-attr]
        return ()

    def _company(self, rec: Company) -> list[Issue]:
        expected = self.ctx.company_orgnr
        if not expected or not rec.orgnr:
            return []
        got = normalize_orgnr(rec.orgnr)
        if got is not None and got != normalize_orgnr(expected):
            return [
                self._issue(
                    ERROR,
                    "ledger.orgnr_mismatch",
                    f"The data belongs to organisation number {got}, not to this company ({expected}).",
                    rec.line,
                )
            ]
        return []

    def _amount_precision(self, amount: Decimal, line: int | None) -> list[Issue]:
        exp = amount.as_tuple().exponent
        if isinstance(exp, int) and (exp >= -2 or amount == amount.quantize(_CENT)):
            return []  # "1.500" is still exact to the öre
        return [self._issue(ERROR, "ledger.amount_precision", f"Amount {amount} has more than two decimals.", line)]

    def _voucher(self, v: Voucher) -> list[Issue]:
        issues: list[Issue] = []
        posted, other, fresh = ledger_rows(v.rows, _POSTED, _ZERO, self.accounts, self.undeclared)
        for account, line in fresh:
            issues.append(
                self._issue(
                    WARNING,
                    "ledger.undeclared_account",
                    f"Account {account} is used but not declared; it is created without a name.",
                    line,
                )
            )
        everything = posted + other
        # A Decimal sum keeps the finest exponent of its terms, so one look at
        # the sum tells whether any row has more than two decimals.  The
        # common exponents are asked first: same_quantum is five times as
        # fast as as_tuple.
        if not _whole_ore(everything):
            for row in v.rows:
                issues += self._amount_precision(row.amount, row.line)
        if posted:
            issues.append(
                self._issue(
                    ERROR,
                    "ledger.unbalanced",
                    f"Voucher {_ident(v)} dated {v.date.isoformat()} does not balance: its rows sum to {posted:.2f}, not 0.00.",
                    v.line,
                )
            )
        year = self._year_of(v.date)
        issues += self._year_issues(v, year)
        if v.number:
            issues += self._number_issues(v, year)
        return issues

    def _year_issues(self, v: Voucher, year: FiscalYear | None) -> list[Issue]:
        """A voucher must lie in a fiscal year of the data or the company."""
        issues: list[Issue] = []
        if year is None and not self.file_years and not self.ctx.fiscal_years:
            if self.ctx.company_orgnr:  # importing: a voucher needs a year to belong to
                issues.append(
                    self._issue(
                        ERROR,
                        "ledger.no_fiscal_year",
                        f"Voucher {_ident(v)} is dated {v.date.isoformat()}, but neither the data nor the company "
                        "has a fiscal year: import the company's full bookkeeping (a SIE 4E file) first.",
                        v.line,
                    )
                )
        elif year is None:
            where = "the file's fiscal years" if self.file_years else "the company's fiscal years"
            issues.append(
                self._issue(
                    ERROR,
                    "ledger.outside_fiscal_year",
                    f"Voucher {_ident(v)} is dated {v.date.isoformat()}, outside {where}.",
                    v.line,
                )
            )
        return issues

    def _number_issues(self, v: Voucher, year: FiscalYear | None) -> list[Issue]:
        """A (series, number) seen twice in one fiscal year."""
        key = (year.start if year else None, v.series)
        seen = self.numbers.get(key)
        if seen is None:
            seen = self.numbers[key] = NumberSet()
        if seen.add(v.number):
            return []
        message = f"Voucher {_ident(v)} appears more than once in the same fiscal year; both are kept."
        return [self._issue(WARNING, "ledger.duplicate_number", message, v.line)]


class ProvidesCheck(RecordCheck):
    """A source yields only the record kinds its ``provides`` lists: another
    kind is stored all the same, with one warning per kind, so that a
    source's declaration (which the product shows) stays true."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.warned: set[str] = set()
        self.passed: set[type] = set()

    def check(self, record: object) -> Iterable[Issue]:
        if type(record) in self.passed:  # a million vouchers: one set lookup each
            return ()
        kind = record_kind(record)
        if kind is None or kind in self.source.provides:
            if type(record) is not PeriodBalance:  # its kind depends on the record
                self.passed.add(type(record))
            return ()
        if kind in self.warned:
            return ()
        self.warned.add(kind)
        message = f"The {self.source.name} source yielded {kind}, which its provides does not list."
        return [Issue(WARNING, "import.undeclared_kind", message, getattr(record, "line", None))]


def record_kind(record: object) -> str | None:
    """The ``provides`` name of a record's kind; None for control records
    (Scope, StateUpdate, Issue, UnknownRecord)."""
    if type(record) is PeriodBalance:
        return "period_budgets" if record.budget else "period_balances"
    return _KINDS.get(type(record))


_KINDS: dict[type, str] = {
    Company: "company",
    FiscalYear: "fiscal_years",
    Account: "accounts",
    Dimension: "dimensions",
    DimensionObject: "objects",
    Balance: "balances",
    Voucher: "vouchers",
    Invoice: "invoices",
    Attachment: "attachments",
}


def _whole_ore(total: Decimal) -> bool:
    """True if ``total``'s exponent is -2 or more (a finite amount in öre)."""
    if total.same_quantum(_CENT) or total.same_quantum(_TENTH) or total.same_quantum(_ONE):
        return True
    exp = total.as_tuple().exponent
    return isinstance(exp, int) and exp >= -2


def _ident(v: Voucher) -> str:
    return f"{v.series} {v.number}".strip() or "without number"
