"""gen_sie4.py files: valid ones match the generator's summary, and each
``--broken`` kind gets its verdict on the right line."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ekonomi.core import FileInput, ImportContext, Voucher
from ekonomi.plugins.sie4.check import check_file, importable
from ekonomi.plugins.sie4.source import Sie4Source

KINDS = ["unbalanced", "bad_date", "unterminated_quote", "missing_brace", "wrong_checksum", "utf8", "crlf", "truncated"]


def _generate(gen: Path, out: Path, *extra: str) -> dict:
    summary = out.with_suffix(".json")
    subprocess.run(
        [sys.executable, str(gen), "--vouchers", "400", "--seed", "5", "--out", str(out), "--summary", str(summary), *extra],
        check=True,
    )
    return json.loads(summary.read_text(encoding="utf-8"))


def _digest(sums: dict[str, Decimal]) -> str:
    h = hashlib.sha256()
    for acc in sorted(sums, key=int):
        h.update(f"{acc};{int(sums[acc] * 100)}\n".encode())
    return h.hexdigest()


def test_valid_file_matches_summary(gen_sie4: Path, tmp_path: Path) -> None:
    path = tmp_path / "valid.se"
    summary = _generate(gen_sie4, path)
    report = check_file(path)
    assert report["issues"] == []
    assert report["checksum"] == "ok" and report["encoding"] == "cp437" and report["variant"] == "4E"
    c = summary["counts"]
    assert report["counts"]["vouchers"] == c["vouchers"]
    assert report["counts"]["rows"] == c["trans"]
    assert report["counts"]["added_rows"] == c["rtrans"]
    assert report["counts"]["removed_rows"] == c["btrans"]
    assert report["counts"]["objects"] == c["objekt"]
    assert report["counts"]["balances"] == c["ib"] + c["ub"] + c["res"]
    assert report["counts"]["period_balances"] == c["psaldo"]
    assert report["totals"] == {"debit": summary["totals"]["debit"], "credit": summary["totals"]["credit"]}
    # The normalised vouchers carry the same movements per account.
    sums: dict[str, Decimal] = {}
    for rec in Sie4Source().normalize(FileInput(path, path.name), ImportContext(source="sie4")):
        if type(rec) is Voucher:
            for r in rec.rows:
                if r.kind == "posted":
                    sums[r.account] = sums.get(r.account, Decimal(0)) + r.amount
    assert _digest(sums) == summary["digests"]["account_movements_sha256"]


@pytest.mark.parametrize("kind", KINDS)
def test_broken_kind_verdict(gen_sie4: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.se"
    broken = _generate(gen_sie4, path, "--broken", kind)["broken"]
    report = check_file(path)
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    warnings = [i for i in report["issues"] if i["severity"] == "warning"]
    if broken["expect"] == "reject":
        assert not importable(report), report["issues"]
        line = broken["line"]
        lines = path.read_bytes().split(b"\n")
        # The voucher's #VER line, for faults found on the voucher as a whole.
        ver_line = max(n for n in range(1, line + 1) if lines[n - 1].lstrip().startswith(b"#VER"))
        assert any(e["line"] == line or (e["line"] == ver_line and broken.get("voucher", "\0") in e["message"]) for e in errors), (
            broken,
            errors,
        )
    elif broken["expect"] == "detect":
        assert importable(report), errors
        if "line" in broken:
            assert any(w["line"] == broken["line"] for w in warnings), (broken, warnings)
        else:
            assert warnings, broken
    else:
        assert importable(report) and not warnings, report["issues"]
    if kind == "utf8":
        assert report["encoding"] == "utf-8" and report["checksum"] == "ok"
    if kind == "wrong_checksum":
        assert report["checksum"] == "mismatch"
    if kind == "truncated":
        assert report["checksum"] == "truncated"
