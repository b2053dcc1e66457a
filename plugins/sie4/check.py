"""``ekonomi sie check``: read and validate one file, no database.

The report's JSON shape is a contract (docs/contracts.md).  Every record goes
through the core's ``LedgerChecks`` exactly as at import, so a problem is
reported by one rule only, and the SIE reader's own issues come with it.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ekonomi.core import FileInput, ImportContext, Issue, LedgerChecks, Severity

from .issues import MAX_PER_CODE, CappedIssues
from .normalize import SieNormalizer
from .sniff import what_is

HEAD = 64 * 1024


def _money(d: Decimal) -> str:
    return f"{d:.2f}"


def _empty_report() -> dict[str, Any]:
    return {
        "sietyp": None,
        "variant": None,
        "program": {"name": None, "version": None},
        "encoding": None,
        "checksum": "absent",
        "company": {"name": None, "orgnr": None},
        "fiscal_years": [],
        "counts": {k: 0 for k in ("accounts", "vouchers", "rows", "added_rows", "removed_rows", "balances", "period_balances", "objects")},
        "totals": {"debit": "0.00", "credit": "0.00"},
        "issues": [],
    }


def check_file(
    path: Path | str, filename: str | None = None, *, halves: bool | tuple[int, int, int] | None = None
) -> dict[str, Any]:
    """Read and validate ``path``; return the report as the contract's dict.

    ``halves``: read a big file's second half in a second process (halves.py);
    None decides by size and cores, True forces it whatever the size, False
    never; a tuple (header_end, split, tail) of line starts forces those cuts
    (tests)."""
    path = Path(path)
    name = filename or path.name
    with open(path, "rb") as f:
        head = f.read(HEAD)
    kind = what_is(head)
    if kind is not None:
        report = _empty_report()
        report["issues"] = [
            {"severity": "error", "code": "sie.not_sie", "line": None, "column": None,
             "message": f"This is not a SIE 4 file: it is {kind}."}
        ]
        return report
    reader = SieNormalizer(path, name)
    ctx = ImportContext(source="sie4", input=FileInput(path, name))
    ledger = LedgerChecks(ctx)
    issues = CappedIssues()
    add = issues.add
    check = ledger.check

    def feed(recs: Iterable[Any]) -> None:
        for rec in recs:
            if type(rec) is Issue:
                add(rec)
                continue
            for issue in check(rec):
                add(issue)

    cut = _halves_plan(path, halves)
    if cut is None:
        feed(reader.records())
    else:
        from . import halves as two

        header_end, split, tail = cut
        decimal.getcontext().clear_flags()  # merge() looks for rounded sums
        worker = two.Worker(path, name, header_end, split, tail, MAX_PER_CODE)
        feed(reader.read(0, split, 0))
        half = worker.result()
        if half is not None and two.merge(reader, ledger, issues, half):
            line = half["line"]
        else:
            feed(reader.read(split, tail, reader.lines_read))
            line = reader.lines_read
        feed(reader.read(tail, None, line))
        feed(reader.finish())
    for issue in ledger.finish():
        add(issue)
    return _report(reader, issues)


def _report(reader: SieNormalizer, issues: CappedIssues) -> dict[str, Any]:
    """The contract's dict of a finished read."""
    s, st = reader.summary, reader.stats
    return {
        "sietyp": s.sietyp,
        "variant": s.variant,
        "program": {"name": s.program[0], "version": s.program[1]},
        "encoding": s.encoding,
        "checksum": s.checksum,
        "company": {"name": s.company_name, "orgnr": s.orgnr},
        "fiscal_years": [{"index": y.index, "start": y.start.isoformat(), "end": y.end.isoformat()} for y in s.fiscal_years],
        "counts": {
            "accounts": st.accounts,
            "vouchers": st.vouchers,
            "rows": st.rows,
            "added_rows": st.added_rows,
            "removed_rows": st.removed_rows,
            "balances": st.balances,
            "period_balances": st.period_balances,
            "objects": st.objects,
        },
        "totals": {"debit": _money(st.debit), "credit": _money(st.credit)},
        "issues": [
            {"severity": str(i.severity), "code": i.code, "line": i.line, "column": i.column, "message": i.message}
            for i in issues.result()
        ],
    }


def _halves_plan(path: Path, halves: bool | tuple[int, int, int] | None) -> tuple[int, int, int] | None:
    if halves is False:
        return None
    if isinstance(halves, tuple):
        return halves
    import multiprocessing
    import os
    import threading

    size = path.stat().st_size
    if halves is None and (
        size < _halves_min()
        or (os.cpu_count() or 1) < 2
        or os.environ.get("EKONOMI_SIE_HALVES") == "0"
        # A fork copies one thread: another one's locks would stay locked in
        # the worker (the web app, a test runner's threads).  The CLI has one.
        or threading.active_count() > 1
    ):
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    from .halves import plan

    return plan(path, size)


def _halves_min() -> int:
    from .halves import MIN_BYTES

    return MIN_BYTES


def importable(report: dict[str, Any]) -> bool:
    return not any(i["severity"] == Severity.ERROR for i in report["issues"])


def format_text(report: dict[str, Any], filename: str) -> str:
    """The human-readable report."""
    out = [f"{filename}:"]
    if report["variant"] is None:
        out.append("  not a SIE 4 file")
    else:
        prog = report["program"]
        comp = report["company"]
        out.append(f"  SIE type {report['variant']}, written by {prog['name'] or '?'} {prog['version'] or ''}".rstrip())
        out.append(f"  company: {comp['name'] or '?'} ({comp['orgnr'] or 'no orgnr'})")
        for y in report["fiscal_years"]:
            out.append(f"  fiscal year {y['index']}: {y['start']} – {y['end']}")
        out.append(f"  encoding: {report['encoding']}; checksum: {report['checksum']}")
        c, t = report["counts"], report["totals"]
        out.append(
            f"  {c['accounts']} accounts, {c['objects']} objects, {c['balances']} balances, {c['period_balances']} period balances"
        )
        out.append(
            f"  {c['vouchers']} vouchers with {c['rows']} rows (+{c['added_rows']} added, {c['removed_rows']} removed); "
            f"debit {t['debit']}, credit {t['credit']}"
        )
    counts = {sev: sum(1 for i in report["issues"] if i["severity"] == sev) for sev in ("error", "warning", "info")}
    for i in report["issues"]:
        where = f"line {i['line']}" if i["line"] else "file"
        out.append(f"  {i['severity']:7} {where:>11}  {i['message']}  [{i['code']}]")
    verdict = "importable" if importable(report) else "NOT importable"
    out.append(f"  {counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes: {verdict}")
    return "\n".join(out)
