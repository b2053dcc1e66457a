"""The import's loops over voucher rows in C (core/engine/_rows.c) give exactly what
their Python twins give (core/engine/_native.py: ledger_rows, VoucherPacker):
same sums (same Decimal, exponent included), same bytes, same side effects on
the sets and caches they are handed, in the same order.

Inputs: every voucher of every corpus file and of generated files, plus rows
made to hit each branch (history rows, undeclared accounts, objects, dates,
quantities, texts, a list instead of a tuple)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ekonomi.core.engine import _native
from ekonomi.core.engine.columns import HUNDRED, MAX_ORE, KIND_TEXT
from ekonomi.core.records import RowKind, Voucher, VoucherRow
from ekonomi.plugins.sie4.normalize import SieNormalizer
from tests.conftest import c_speedups

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
    out = tmp_path_factory.mktemp("rows") / "g.se"
    subprocess.run([sys.executable, str(gen_sie4), "--vouchers", "2000", "--seed", "3", "--out", str(out)], check=True)
    files = [p for p in sorted(sie_corpus.iterdir()) if p.name != "MANIFEST.md"] + [out]
    found = [v.rows for p in files for v in SieNormalizer(p).records() if type(v) is Voucher]
    assert len(found) > 2000
    return _HAND + found


def test_ledger_rows_same_as_python(voucher_rows: list) -> None:
    c = c_speedups()
    declared = {"1910", "3010", "1930"}
    und_c: set[str] = set()
    und_py: set[str] = set()
    for rows in voucher_rows:
        got = c.ledger_rows(rows, P, Decimal(0), declared, und_c)
        want = _native.ledger_rows(rows, P, Decimal(0), declared, und_py)
        assert repr(got) == repr(want)
        assert und_c == und_py
    assert und_py  # the undeclared branch ran


def _packers(twin, copy: bool = False, unknown: set | None = None, cache: dict | None = None):
    stored = {"1910": None, "3010": None}
    return twin.VoucherPacker(7, stored, set() if unknown is None else unknown, {} if cache is None else cache,
                              json.dumps, KIND_TEXT, HUNDRED, P, copy=copy)  # fmt: skip


def test_voucher_packer_same_as_python(voucher_rows: list) -> None:
    c = c_speedups()
    for copy in (False, True):
        unknown_c, unknown_py, cache_c, cache_py = set(), set(), {}, {}
        packer_c, packer_py = _packers(c, copy, unknown_c, cache_c), _packers(_native, copy, unknown_py, cache_py)
        batches_c, batches_py = (bytearray(), bytearray()), (bytearray(), bytearray())
        for i, rows in enumerate(voucher_rows):
            v = Voucher("A", str(i), date(2023, 1, 5), "t", rows)
            assert packer_c.pack(v, i, 3, 42, None, *batches_c) == packer_py.pack(v, i, 3, 42, None, *batches_py)
        assert batches_c == batches_py
        assert unknown_c == unknown_py and unknown_py
        assert list(cache_c.items()) == list(cache_py.items()) and cache_py


def test_bad_rows_are_refused(twin) -> None:
    with pytest.raises(TypeError):
        twin.ledger_rows((("1910", Decimal(1)),), P, Decimal(0), set(), set())
    with pytest.raises(TypeError):
        _packers(twin).pack(Voucher("A", "1", date(2023, 1, 5), "", 42), 1, 1, 1, None, bytearray(), bytearray())
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


def _ore(twin, amount: Decimal) -> int:
    batch = bytearray()
    _packers(twin).pack(Voucher("A", "1", date(2023, 1, 5), "", (VoucherRow("1910", amount),)), 1, 1, 1, None, bytearray(), batch)
    return _native.unpack(bytes(batch), 12)[0][0][5]


def test_ore_is_int_of_amount_times_hundred(twin) -> None:
    """The C packer reads öre from a Decimal's text where it can (core/engine/_rows.c,
    ore_of); it must give int(amount * 100), as columns.ore does, for every
    amount: exponents, more than two decimals and more digits than 64 bits
    hold included, and fail the same way on NaN and infinities."""
    for text in _amount_texts():
        if abs(int(Decimal(text) * HUNDRED)) < MAX_ORE:
            got = _ore(twin, Decimal(text))
            assert (got, type(got)) == (int(Decimal(text) * HUNDRED), int), text
        else:  # beyond what books hold (columns.MAX_ORE): refused alike
            with pytest.raises(OverflowError, match="10\\^13"):
                _ore(twin, Decimal(text))
    for text in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises((ValueError, OverflowError)) as c_err:
            _ore(c_speedups(), Decimal(text))
        with pytest.raises(c_err.type):
            _ore(_native, Decimal(text))
