"""The import's loops over voucher rows in C (core/engine/_rows.c) give exactly what
their Python reference loops give (checks._ledger_rows, store._store_rows):
same sums (same Decimal, exponent included), same tuples, same side effects on
the sets and caches they are handed, in the same order.

Inputs: every voucher of every corpus file and of generated files, plus rows
made to hit each branch (history rows, undeclared accounts, objects, dates,
quantities, texts, a list instead of a tuple)."""

from __future__ import annotations

import json
import random
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ekonomi.core import checks
from ekonomi.core.engine import store
from ekonomi.core.engine.bulk import HUNDRED
from ekonomi.core.records import RowKind, Voucher, VoucherRow
from ekonomi.plugins.sie4.normalize import SieNormalizer

_rows = checks._rows
pytestmark = pytest.mark.skipif(_rows is None and os.environ.get("CI") != "true", reason="core/engine/_rows.c is not built here")

P, A, R = RowKind.POSTED, RowKind.ADDED, RowKind.REMOVED
_HAND = [
    (VoucherRow("1910", Decimal("1.50"), (), None, None, None, P, None, 3),
     VoucherRow("3010", Decimal("-1.5"), ((1, "10"), (6, "P1")), date(2023, 1, 5), "t", Decimal("-2.125"), P, "sig", 4)),
    (VoucherRow("9999", Decimal("5"), (), None, None, None, A, None, 7),
     VoucherRow("9999", Decimal("5"), (), None, None, None, P, None, 8),
     VoucherRow("8888", Decimal("-5.001"), ((1, "å"),), None, "ö", None, R, None, 9),
     VoucherRow("8888", Decimal("-5"), ((1, "å"),), None, None, Decimal("0"), P, None, None)),
    [VoucherRow("7777", Decimal("0.00"), (), None, None, None, P, None, 12)],  # a list, as a plugin might give
    (),
]


@pytest.fixture(scope="module")
def voucher_rows(sie_corpus: Path, gen_sie4: Path, tmp_path_factory: pytest.TempPathFactory) -> list:
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    out = tmp_path_factory.mktemp("rows") / "g.se"
    subprocess.run([sys.executable, str(gen_sie4), "--vouchers", "2000", "--seed", "3", "--out", str(out)], check=True)
    files = [p for p in sorted(sie_corpus.iterdir()) if p.name != "MANIFEST.md"] + [out]
    found = [v.rows for p in files for v in SieNormalizer(p).records() if type(v) is Voucher]
    assert len(found) > 2000
    return _HAND + found


def test_ledger_rows_same_as_python(voucher_rows: list) -> None:
    declared = {"1910", "3010", "1930"}
    und_c: set[str] = set()
    und_py: set[str] = set()
    for rows in voucher_rows:
        got = _rows.ledger_rows(rows, P, Decimal(0), declared, und_c)
        want = checks._ledger_rows(rows, declared, und_py)
        assert repr(got) == repr((*want[:2], list(want[2])))
        assert und_c == und_py
    assert und_py  # the undeclared branch ran


def test_store_rows_same_as_python(voucher_rows: list) -> None:
    stored = {"1910": None, "3010": None}
    unknown_c: set[str] = set()
    unknown_py: set[str] = set()
    json_c: dict = {}
    json_py: dict = {}
    for i, rows in enumerate(voucher_rows):
        got = _rows.store_rows(rows, i, 7, 3, stored, unknown_c, json_c, json.dumps, store._KIND_TEXT, HUNDRED, P)
        want = store._store_rows(rows, i, 7, 3, stored, unknown_py, json_py)
        assert got == want
        assert [type(x) for t in got[0] for x in t] == [type(x) for t in want[0] for x in t]
    assert unknown_c == unknown_py and unknown_py
    assert list(json_c.items()) == list(json_py.items()) and json_py


def test_bad_rows_are_refused() -> None:
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    with pytest.raises(TypeError):
        _rows.ledger_rows((("1910", Decimal(1)),), P, Decimal(0), set(), set())
    with pytest.raises(TypeError):
        _rows.store_rows(42, 1, 1, 1, {}, set(), {}, json.dumps, store._KIND_TEXT, HUNDRED, P)


def _amount_texts() -> list[str]:
    edge = ["0", "-0", "-0.00", "1.5", "-1.50", "0.10", "5.", "1E+3", "1E-2", "0.5E1", "1.234", "-0.001",
            "9999999999999999", "-99999999999999.99", "12345678901234567", "123456789012345678",
            "1234567890123456789", "100000000000000000000.01"]  # fmt: skip
    rnd = random.Random(5)
    made = []
    for _ in range(5000):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 22)))
        k = rnd.randint(0, min(4, len(digits)))
        text = (digits[:-k] + "." + digits[-k:]) if k else digits
        made.append(rnd.choice(["", "-"]) + text + rnd.choice(["", "", "", "", "E+3", "E-2"]))
    return edge + made


def test_ore_is_int_of_amount_times_hundred() -> None:
    """The C loop reads öre from a Decimal's text where it can (core/engine/_rows.c,
    ore_of); it must give int(amount * 100), as bulk.ore does, for every
    amount: exponents, more than two decimals and more digits than 64 bits
    hold included, and fail the same way on NaN and infinities."""
    if _rows is None:
        pytest.fail("core/engine/_rows.c was not built (see setup.py)")
    for text in _amount_texts():
        row = VoucherRow("1910", Decimal(text))
        got = _rows.store_rows((row,), 1, 1, 1, {}, set(), {}, json.dumps, store._KIND_TEXT, HUNDRED, P)[0][0][5]
        assert (got, type(got)) == (int(Decimal(text) * HUNDRED), int), text
    for text in ("NaN", "Infinity", "-Infinity"):
        row = VoucherRow("1910", Decimal(text))
        with pytest.raises((ValueError, OverflowError)) as c_err:
            _rows.store_rows((row,), 1, 1, 1, {}, set(), {}, json.dumps, store._KIND_TEXT, HUNDRED, P)
        with pytest.raises(c_err.type):
            store._store_rows((row,), 1, 1, 1, {}, set(), {})
