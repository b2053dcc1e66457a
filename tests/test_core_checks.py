"""The core's ledger rules on their own: voucher numbers kept as ranges, and
checking one input in two halves gives what one pass gives."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from ekonomi.core import Account, FiscalYear, ImportContext, Voucher, VoucherRow
from ekonomi.core.checks import LedgerChecks, NumberSet


def test_number_set_finds_repeats_in_any_order():
    rng = random.Random(7)
    numbers = [str(n) for n in rng.sample(range(1, 400), 300)] + ["A1", "A2"]
    seen, ns = set(), NumberSet()
    for n in numbers + numbers[:50] + ["A1"]:
        assert ns.add(n) == (n not in seen)
        seen.add(n)
    assert len(ns.starts) < 300  # ranges, not one entry per number


def test_number_set_overlap_and_union():
    a, b = NumberSet(), NumberSet()
    for n in ("1", "2", "3", "10"):
        a.add(n)
    for n in ("4", "5", "11", "X"):
        b.add(n)
    assert not a.overlaps(b.starts, b.ends, b.texts)
    a.union(b.starts, b.ends, b.texts)
    assert (a.starts, a.ends, a.texts) == ([1, 10], [5, 11], {"X"})
    c = NumberSet()
    c.add("5")
    assert a.overlaps(c.starts, c.ends, c.texts)


def _voucher(number: str, account: str = "1910") -> Voucher:
    return Voucher("A", number, date(2023, 3, 1), "", (VoucherRow(account, Decimal("1.00")), VoucherRow("3010", Decimal("-1.00"))))


def _run(records) -> tuple[LedgerChecks, list]:
    checks = LedgerChecks(ImportContext(source="test"))
    issues = [i for rec in records for i in checks.check(rec)]
    return checks, issues


HEADER = [FiscalYear(date(2023, 1, 1), date(2023, 12, 31), 0), Account("1910", "Kassa"), Account("3010", "Försäljning")]


def test_two_halves_merge_to_one_pass():
    first = [_voucher(str(n)) for n in range(1, 50)] + [_voucher("300", "1930")]
    second = [_voucher(str(n)) for n in range(50, 100)] + [_voucher("200", "1940")]
    whole, whole_issues = _run(HEADER + first + second)
    a, a_issues = _run(HEADER + first)
    b, b_issues = _run(HEADER + second)
    assert a.can_merge(b.export_state())
    a.merge(b.export_state())
    assert a_issues + b_issues == whole_issues
    assert a.export_state() == whole.export_state()


def test_halves_that_would_report_differently_do_not_merge():
    a, _ = _run(HEADER + [_voucher("1"), _voucher("2", "1930")])
    repeated_number, _ = _run(HEADER + [_voucher("2")])
    repeated_undeclared, _ = _run(HEADER + [_voucher("3", "1930")])
    assert not a.can_merge(repeated_number.export_state())
    assert not a.can_merge(repeated_undeclared.export_state())
