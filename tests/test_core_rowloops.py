"""The import's loops over voucher rows in C (core/_rows.c) give exactly what
their Python reference loops give (checks._ledger_rows, store._store_rows):
same sums (same Decimal, exponent included), same tuples, same side effects on
the sets and caches they are handed, in the same order.

Inputs: every voucher of every corpus file and of generated files, plus rows
made to hit each branch (history rows, undeclared accounts, objects, dates,
quantities, texts, a list instead of a tuple)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ekonomi.core import checks, store
from ekonomi.core.bulk import HUNDRED
from ekonomi.core.records import RowKind, Voucher, VoucherRow
from ekonomi.plugins.sie4.normalize import SieNormalizer

_rows = checks._rows
pytestmark = pytest.mark.skipif(_rows is None and os.environ.get("CI") != "true", reason="core/_rows.c is not built here")

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
        pytest.fail("core/_rows.c was not built (see setup.py)")
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
        pytest.fail("core/_rows.c was not built (see setup.py)")
    with pytest.raises(TypeError):
        _rows.ledger_rows((("1910", Decimal(1)),), P, Decimal(0), set(), set())
    with pytest.raises(TypeError):
        _rows.store_rows(42, 1, 1, 1, {}, set(), {}, json.dumps, store._KIND_TEXT, HUNDRED, P)
