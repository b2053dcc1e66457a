"""``sie check`` of a big file on two cores: where to cut, the second reader, the merge.

The file is cut at two ``#VER`` lines, ``split`` and ``tail``::

    [0, split)        this process, as usual
    [split, tail)     a forked worker, which first reads the header itself
    [tail, EOF)       this process again, after merging the worker's state

The worker's half is read speculatively: it starts from the state the header
leaves, while the true state at ``split`` also holds what the first half did.
For a file whose middle is vouchers only (the common case) the two differ only
in things that add up (counts, sums, the checksum, decoder tallies, issues),
and the merge adds them.  Everything that could make the second half read
differently is checked on both sides; if any check fails, this process reads
``[split, tail)`` itself, so the report is always the one a single pass gives
(tests/test_sie_halves.py compares both on the corpus, the generator's broken
files and mutated files):

* this process at ``split``: no voucher open, header yielded, no record other
  than vouchers since the header, no closing ``#KSUMMA`` yet;
* the worker at ``tail``: the same, plus no decoder decision that depended on
  the decoder's running prior, no non-ASCII object list decided only by it;
* money sums: no Decimal addition rounded (28 digits) on either side or in
  the merge, so adding the halves' sums gives the single pass's;
* ``LedgerChecks``: its own ``can_merge`` (no undeclared account reported on
  both sides, no (year, series) number seen on both sides: those would be
  reported once in a single pass); ``export_state``/``merge`` carry the rest.
"""

from __future__ import annotations

import decimal
import multiprocessing
import os
import re
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

from ekonomi.core import FileInput, ImportContext, Issue, LedgerChecks

from .encoding import FieldDecoder
from .issues import CappedIssues
from .normalize import SieNormalizer
from .reader import BOM

MIN_BYTES = 24 << 20  # below this a fork costs more than it saves
MAIN_SHARE = 0.52  # of the vouchers between header and tail (benchmarks/README.md)
_PERIOD_LINES = re.compile(rb"^[ \t]*#P(?:SALDO|BUDGET)[ \t][^\n]*\n", re.M)
_WINDOW = 1 << 20
_ZERO = Decimal(0)


def plan(path: Path, size: int) -> tuple[int, int, int] | None:
    """(header_end, split, tail) byte offsets, each a line start, or None."""
    with open(path, "rb") as f:
        header_end = _first_ver(f)
        if header_end is None:
            return None
        f.seek(max(0, size - _WINDOW))
        end = f.read()
        i = end.rfind(b"\n#VER")
        if i < 0:
            return None
        tail = size - len(end) + i + 1
        # The worker is the slower per byte (it decodes speculatively and
        # counts the lines before its half): this process takes a bit more.
        mid = header_end + int((tail - header_end) * MAIN_SHARE)
        f.seek(mid)
        window = f.read(_WINDOW)
        j = window.find(b"\n#VER")
        if j < 0:
            return None
        split = mid + j + 1
    if not header_end < split < tail or tail - split < size // 4:
        return None
    return header_end, split, tail


def _first_ver(f: Any) -> int | None:
    """Offset of the first line that is a #VER (after blanks), None if not in the first 64 MB."""
    ver = re.compile(rb"^[ \t]*#VER[ \t]", re.M)
    done = 0
    rest = b""
    while done < 64 << 20:
        data = f.read(_WINDOW)
        if not data:
            return None
        start = done - len(rest)
        data = rest + data
        done += len(data) - len(rest)
        cut = data.rfind(b"\n") + 1
        m = ver.search(data, 0, cut)
        if m is not None:
            return start + m.start()
        rest = data[cut:]
        if len(rest) > _WINDOW:  # a header line this long: read in one pass (the reader stops at it)
            return None
    return None


def _header_labels(reader: SieNormalizer) -> dict[str, int]:
    """Records of each label read before the first voucher, less the period
    balances (which the worker leaves out)."""
    state = reader.header_state
    labels = state[0] if state is not None else {}
    return {k: n for k, n in labels.items() if k not in ("#PSALDO", "#PBUDGET")}


def _count_lines(path: Path, end: int) -> int:
    n = 0
    with open(path, "rb") as f:
        left = end
        while left > 0:
            data = f.read(min(8 * _WINDOW, left))
            if not data:
                break
            left -= len(data)
            n += data.count(b"\n")
    return n


class Worker:
    """The forked reader of ``[split, tail)``; ``result()`` waits for it (None if it failed)."""

    def __init__(self, path: Path, filename: str, header_end: int, split: int, tail: int, max_per_code: int) -> None:
        mp = multiprocessing.get_context("fork")
        self._recv, send = mp.Pipe(duplex=False)
        self._proc = mp.Process(target=_work, args=(send, path, filename, header_end, split, tail, max_per_code), daemon=True)
        self._proc.start()
        send.close()

    def result(self) -> dict[str, Any] | None:
        try:
            out = self._recv.recv()
        except (EOFError, OSError):
            out = None
        finally:
            self._recv.close()
            self._proc.join()
        return out


def _work(send: Any, path: Path, filename: str, header_end: int, split: int, tail: int, max_per_code: int) -> None:
    try:
        send.send(_read_second_half(path, filename, header_end, split, tail, max_per_code))
    except BaseException:  # the parent reads the half itself
        send.send(None)
    finally:
        send.close()
        os._exit(0)  # no atexit handlers or buffers of the parent's


def _read_second_half(path: Path, filename: str, header_end: int, split: int, tail: int, max_per_code: int) -> dict[str, Any] | None:
    reader = SieNormalizer(path, filename)
    ledger = LedgerChecks(ImportContext(source="sie4", input=FileInput(path, filename)))
    if not _read_header(reader, ledger, path, header_end):
        return None
    # From here on, only what the second half adds.
    st = reader.stats
    fixed = (st.balances, st.period_balances, st.objects, len(st.declared_accounts))
    st.vouchers = st.rows = st.added_rows = st.removed_rows = 0
    st.debit = st.credit = _ZERO
    st.movements = {}
    reader.issues.pending.clear()
    vers0 = reader.label_counts.get("#VER", 0)
    once0 = set(reader.issues.once_keys)
    fields = reader.fields
    odd0, dims0 = dict(fields.odd_accounts), dict(fields.dimensions_used)
    dec = reader.decoder
    dec0 = (dict(dec.counts), dict(dec.first_line), dec.replacement_lines, dec.mojibake_lines)
    # From here every decision is checked for depending on the prior; a
    # cached one would not be (and this cache may hold texts the first
    # process's does not: it skipped the period lines, it may fill later).
    dec.speculative = True
    dec.remembered.clear()
    ck = reader.checksum
    ck.flush()
    summing0, opened0 = ck.summing, ck.opened_line
    ck._crc, ck.length = 0, 0

    decimal.getcontext().clear_flags()
    issues = CappedIssues(max_per_code)
    for rec in reader.read(split, tail, _count_lines(path, split)):
        for issue in [rec] if type(rec) is Issue else ledger.check(rec):
            issues.add(issue)
    ck.flush()
    if (
        not reader.plain
        or not reader.only_vouchers_since_header()
        or dec.prior_dependent
        or reader.fields.decoded_objects
        or (ck.summing, ck.opened_line, ck.closed_line) != (summing0, opened0, None)
        or (st.balances, st.period_balances, st.objects, len(st.declared_accounts)) != fixed
    ):
        return None
    return {
        "line": reader.lines_read,
        "header": _header_labels(reader),
        "summing": (summing0, opened0),
        "ver_count": reader.label_counts.get("#VER", 0) - vers0,
        "stats": (st.vouchers, st.rows, st.added_rows, st.removed_rows, st.debit, st.credit),
        "movements": st.movements,
        "inexact": decimal.getcontext().flags[decimal.Inexact],
        "once": reader.issues.once_keys - once0,
        "decoder": _decoder_added(dec, *dec0),
        "crc": (ck._crc, ck.length),
        "odd_accounts": {acc: line for acc, line in fields.odd_accounts.items() if acc not in odd0},
        "dimensions": {d: line for d, line in fields.dimensions_used.items() if d not in dims0},
        "ledger": ledger.export_state(),
        "issues": (issues.issues, issues.per_code),
    }


def _decoder_added(dec: FieldDecoder, counts0: dict[str, int], first0: dict[str, int], repl0: int, moji0: int) -> dict[str, Any]:
    """What the decoder noted since it had those counts, first lines and flagged lines."""
    return {
        "counts": {e: n - counts0.get(e, 0) for e, n in dec.counts.items() if n != counts0.get(e, 0)},
        "first_line": {e: n for e, n in dec.first_line.items() if e not in first0},
        "replacement": (dec.replacement_lines - repl0, dec.replacement_first if not repl0 else None, dec._last_flag_line),
        "mojibake": (dec.mojibake_lines - moji0, dec.mojibake_first if not moji0 else None, dec._last_moji_line),
    }


def _read_header(reader: SieNormalizer, ledger: LedgerChecks, path: Path, header_end: int) -> bool:
    """The header, as the first process reads it, less its period balances
    (a hundred thousand lines in a big file that change nothing a voucher is
    read with); its records, counts and issues are the first process's to
    report.  False if the second half cannot start from it."""
    with open(path, "rb") as f:
        head = f.read(header_end)
    if head.startswith(BOM):
        head = head[len(BOM):]
    for rec in chain(reader.read_data(_PERIOD_LINES.sub(b"", head)), reader.flush_header()):
        if type(rec) is not Issue:
            ledger.check(rec)
    return reader.vouchers.open is None and ledger.export_state() == {"undeclared": set(), "numbers": {}}


def merge(reader: SieNormalizer, ledger: LedgerChecks, issues: Any, half: dict[str, Any]) -> bool:
    """Add the worker's half to this process's state at ``split``; False (and
    nothing changed) if the halves cannot be joined: then read it here."""
    ck = reader.checksum
    if (
        not reader.plain
        or not reader.only_vouchers_since_header()
        or (ck.summing, ck.opened_line) != half["summing"]
        or ck.closed_line is not None
        or reader.issues.once_keys & half["once"]
        or not ledger.can_merge(half["ledger"])
        # The worker's header must be this process's: a line like "#VER#X"
        # before the first voucher would have cut it short.
        or _header_labels(reader) != half["header"]
    ):
        return False
    # Money sums: Decimal rounds at 28 digits, so two partial sums added give
    # the single pass's total only if no addition was ever rounded.
    st = reader.stats
    vouchers, rows, added, removed, debit, credit = half["stats"]
    with decimal.localcontext() as exact:
        exact.clear_flags()
        debit, credit = st.debit + debit, st.credit + credit
        mov = dict(st.movements)
        for acc, amount in half["movements"].items():
            mov[acc] = mov.get(acc, _ZERO) + amount
        if exact.flags[decimal.Inexact] or half["inexact"] or decimal.getcontext().flags[decimal.Inexact]:
            return False
    st.vouchers += vouchers
    st.rows += rows
    st.added_rows += added
    st.removed_rows += removed
    st.debit, st.credit = debit, credit
    st.movements.update(mov)
    reader.label_counts["#VER"] = reader.label_counts.get("#VER", 0) + half["ver_count"]
    reader.issues.once_keys |= half["once"]
    for acc, line in half["odd_accounts"].items():
        reader.fields.odd_accounts.setdefault(acc, line)
    for d, line in half["dimensions"].items():
        reader.fields.dimensions_used.setdefault(d, line)
    _merge_decoder(reader.decoder, half["decoder"])
    crc, length = half["crc"]
    if length:
        ck.append_crc(crc, length)
    ledger.merge(half["ledger"])
    kept, per_code = half["issues"]
    add = issues.add
    counted: dict[str, int] = {}
    for issue in kept:
        add(issue)
        counted[issue.code] = counted.get(issue.code, 0) + 1
    for code, total in per_code.items():
        issues.per_code[code] = issues.per_code.get(code, 0) + total - counted.get(code, 0)
    return True


def _merge_decoder(dec: FieldDecoder, d: dict[str, Any]) -> None:
    for enc, n in d["counts"].items():
        dec.counts[enc] = dec.counts.get(enc, 0) + n
    for enc, line in d["first_line"].items():
        dec.first_line.setdefault(enc, line)
    n, first, last = d["replacement"]
    if n:
        dec.replacement_lines += n
        dec.replacement_first = dec.replacement_first or first
        dec._last_flag_line = last
    n, first, last = d["mojibake"]
    if n:
        dec.mojibake_lines += n
        dec.mojibake_first = dec.mojibake_first or first
        dec._last_moji_line = last
    dec.recount()
