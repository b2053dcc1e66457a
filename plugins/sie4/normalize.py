"""From SIE lines to canonical records, in one streaming pass.

``SieNormalizer(path, filename).records()`` yields, in canonical order::

    Scope → Company → FiscalYear* → Account* / Dimension* / DimensionObject*
    → Balance* / PeriodBalance* → Voucher*        (Issue, UnknownRecord anywhere)

The header records (a few thousand at most) are buffered until the first
``#VER`` and then sorted into that order, so a file that declares things out
of order still comes out right; vouchers are never buffered.  While reading it
also keeps what ``sie check`` reports (``stats``, ``summary``) and the small
per-account sums the reconciliations need.

Row kinds (spec §11 #RTRANS/#BTRANS): every ``#TRANS`` is POSTED and is what
counts; an ``#RTRANS`` (ADDED) is paired with the ``#TRANS`` that follows it
even where its date or signature differ; ``#BTRANS`` rows are REMOVED.  Both
are kept as correction history only.
"""

from __future__ import annotations

import re
from itertools import chain
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ekonomi.core.orgnr import normalize_orgnr
from ekonomi.core.records import (
    Account,
    Balance,
    Company,
    Dimension,
    DimensionObject,
    FiscalYear,
    Issue,
    PeriodBalance,
    Record,
    RowKind,
    Scope,
    Severity,
    UnknownRecord,
    Voucher,
    VoucherRow,
)

from . import validate
from .checksum import Checksum
from .encoding import CP437, FieldDecoder
from .labels import BALANCE_KINDS, LABELS
from .lexer import Field, checksum_bytes, split_fields
from .reader import LineReader

try:  # the C accelerator of plain voucher blocks (_scan.c); optional
    from . import _scan
except ImportError:  # not built (no compiler): the pure-Python path
    _scan = None  # type: ignore[assignment]

# The common #TRANS line (account, object list of quoted ids, amount, maybe more)
# is matched in one go; anything unusual takes the general lexer.
_TRANS_LINE = re.compile(
    rb'#TRANS[ \t]+([0-9]+)[ \t]+\{((?:[ \t]*[0-9]{1,9}[ \t]+"[^"\\\s{}]*")*)[ \t]*\}[ \t]+(-?[0-9]+(?:\.[0-9]{1,2})?)((?:[ \t].*)?)'
)
_VER_LINE = re.compile(
    rb'#VER[ \t]+("[^"\\]*"|[^"\s{}]+)[ \t]+("[^"\\]*"|[^"\s{}]+)[ \t]+([0-9]{8})'
    rb'(?:[ \t]+"([^"\\]*)"(?:[ \t]+([0-9]{8})(?:[ \t]+"([^"\\]*)")?)?)?'
)
# A whole plain voucher block, matched over a piece of the file: a #VER line at
# the start of a line, '{', one or more #TRANS lines, '}'.  Its rows are read
# by _ROW; a block with a row _ROW does not take whole goes line by line.  A
# quoted field ends at the first quote not written \" (the lexer's rule); a
# lone backslash is a character.  Quantifiers are possessive: nothing here
# needs backtracking, and it keeps failures cheap.  The pattern starts with the
# literal "#VER" so the search skips ahead fast; the look-behind puts it at a
# line start (or the piece's start, which is one).
_QC = rb'"((?:[^"\\\n]++|\\"|\\(?!"))*+)"'
_F = rb"(?:" + _QC + rb'|([^"\s{}]++))'
_BLOCK = re.compile(
    rb"#VER(?<=(?<![^\n])#VER)[ \t]++" + _F + rb"[ \t]++" + _F + rb"[ \t]++([0-9]{8})"
    rb"(?:[ \t]++" + _QC + rb'(?:[ \t]++(?:([0-9]{8})|"")(?:[ \t]++' + _QC + rb")?+)?+)?+[ \t\r]*+\n"
    rb"[ \t]*+\{[ \t\r]*+"
    rb"((?:\n[ \t]*+#TRANS[ \t][^\n]*+)++)"
    rb"\n[ \t]*+\}[ \t\r]*+\n"
)
# One plain #TRANS line, LF before it (and after: look-ahead): account, object
# list of (dimension, quoted id) pairs, amount with at most two decimals, then
# maybe date, text, quantity, signature.  Each match takes one whole line.
_ROW = re.compile(
    rb'\n[ \t]*+#TRANS[ \t]++([0-9]++)[ \t]++\{((?:[ \t]*+[0-9]{1,9}+[ \t]++"[^"\\\s{}]*+")*+)[ \t]*+\}[ \t]++(-?[0-9]++(?:\.[0-9]{1,2})?+)'
    rb'(?:[ \t]++(?:([0-9]{8})|"")(?:[ \t]++' + _QC + rb'(?:[ \t]++(?:(-?[0-9]++(?:\.[0-9]++)?+)|"")(?:[ \t]++' + _QC
    + rb")?+)?+)?+)?+[ \t\r]*+(?=\n)"
)
# A plain #PSALDO/#PBUDGET line (header records, a hundred thousand in a big file).
_PERIOD_LINE = re.compile(
    rb'(#PSALDO|#PBUDGET)[ \t]+(-?[0-9]{1,9})[ \t]+([0-9]{6})[ \t]+([0-9]+)[ \t]+'
    rb'\{((?:[ \t]*[0-9]{1,9}[ \t]+"[^"\\\s{}]*")*)[ \t]*\}[ \t]+(-?[0-9]+(?:\.[0-9]{1,2})?)(?:[ \t]+(-?[0-9]+(?:\.[0-9]+)?))?'
)
_OBJ_PAIR = re.compile(rb'([0-9]+)[ \t]+"([^"]*)"')
_new = tuple.__new__
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
POSTED, ADDED, REMOVED = RowKind.POSTED, RowKind.ADDED, RowKind.REMOVED
_ZERO = Decimal(0)
_ROW_KIND = {b"#TRANS": POSTED, b"#RTRANS": ADDED, b"#BTRANS": REMOVED}


@dataclass
class Stats:
    """What ``sie check`` counts (docs/contracts.md)."""

    vouchers: int = 0
    rows: int = 0
    added_rows: int = 0
    removed_rows: int = 0
    balances: int = 0
    period_balances: int = 0
    objects: int = 0
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO
    declared_accounts: set[str] = field(default_factory=set)
    movements: dict[str, Decimal] = field(default_factory=dict)  # account -> Σ #TRANS

    @property
    def accounts(self) -> int:
        return len(self.declared_accounts | self.movements.keys())


@dataclass
class Summary:
    """The file's identity as read: type, program, company, years, encoding, checksum."""

    sietyp: int | None = None
    variant: str = "1"
    program: tuple[str | None, str | None] = (None, None)
    company_name: str | None = None
    orgnr: str | None = None
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    encoding: str = "cp437"
    checksum: str = "absent"


class _Voucher:
    """A #VER being read: its head and the rows seen so far."""

    __slots__ = ("series", "number", "date", "text", "regdate", "sign", "line", "rows", "block", "pending_twin", "valid")

    def __init__(self, line: int) -> None:
        self.line = line
        self.rows: list[VoucherRow] = []
        self.block = False  # its '{' was seen
        self.pending_twin: VoucherRow | None = None  # an #RTRANS waiting for its #TRANS
        self.valid = True


class SieNormalizer:
    """One read of one SIE file.  Iterate ``records()`` once."""

    def __init__(self, path: Path | str, filename: str | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        self.path = Path(path)
        self.filename = filename or self.path.name
        self.reader = LineReader(self.path, progress)
        self.decoder = FieldDecoder()
        self.checksum = Checksum()
        self.stats = Stats()
        self.summary = Summary()
        self.line = 0
        # header buffers, flushed in canonical order
        self._company: dict[str, str | None] = {}
        self._company_line: int | None = None
        self._orgnr_line: int | None = None
        self._years: dict[int, FiscalYear] = {}
        self._accounts: dict[str, list] = {}
        self._dims: list[Dimension] = []
        self._objekt: list[DimensionObject] = []
        self._balances: list[tuple] = []  # unresolved: (kind, year index, account, amount, qty, obj, line)
        self._periods: list[tuple] = []
        self._flushed = False
        self._scope_variant: str | None = None
        # reconciliation inputs: account -> (amount, line)
        self._ib0: dict[str, tuple[Decimal, int]] = {}
        self._ub0: dict[str, tuple[Decimal, int]] = {}
        self._res0: dict[str, tuple[Decimal, int]] = {}
        self._ub_1: dict[str, tuple[Decimal, int]] = {}
        self._first_seen: dict[str, int] = {}
        self._label_counts: dict[str, int] = {}
        self._once: set[tuple[str, str]] = set()
        self._tallies: dict[tuple[str, str], list] = {}
        self._issues: list[Issue] = []
        self._voucher: _Voucher | None = None
        self._after_checksum: int | None = None
        self._dates: dict[bytes, date | None] = {}
        self._object_cache: dict[bytes, tuple[tuple[tuple[int, str], ...], bytes]] = {}
        self._account_cache: dict[bytes, str] = {}
        # The C reader's own state, kept between its calls: lookup slots and
        # sums in öre (see _flush_c_sums).
        self._c_state = _scan.new_state() if _scan is not None else None
        self.decoded_objects = False  # an object list's ids went through the decoder
        self.lines_read = 0
        self._header_state: tuple | None = None  # record counts when the header was yielded
        self._months: dict[bytes, date] = {}
        self._period_objects: dict[bytes, tuple[tuple[int, str], ...]] = {}
        self._object_cache[b""] = ((), b"")
        self._handlers = self._make_handlers()

    # -- issues --------------------------------------------------------------
    def _issue(self, severity: Severity, code: str, message: str, line: int | None = None, column: int | None = 1) -> None:
        self._issues.append(Issue(severity, code, message, line if line is not None else self.line, column, self.filename))

    def _tally(self, code: str, key: str, message: str) -> None:
        """A warning that repeats on many records: reported once, with its count, at the end."""
        entry = self._tallies.get((code, key))
        if entry is None:
            self._tallies[(code, key)] = [message, self.line, 1]
        else:
            entry[2] += 1

    def _issue_once(self, key: str, severity: Severity, code: str, message: str, line: int | None = None) -> None:
        if (code, key) not in self._once:
            self._once.add((code, key))
            self._issue(severity, code, message, line)

    # -- field conversions -----------------------------------------------------
    def _text(self, value: Field) -> str:
        if type(value) is not bytes:
            value = b" ".join(value)
        return value.decode("ascii") if value.isascii() else self.decoder.decode(value, self.line)

    def _date(self, value: Field, what: str, required: bool = True) -> date | None:
        if type(value) is bytes:
            if value in self._dates:
                d = self._dates[value]
                if d is not None:
                    return d
            elif len(value) == 8 and value.isdigit():
                try:
                    d = date(int(value[:4]), int(value[4:6]), int(value[6:]))
                except ValueError:
                    d = None
                if len(self._dates) > 50000:
                    self._dates.clear()
                self._dates[value] = d
                if d is not None:
                    return d
            if not value and not required:
                return None
        shown = self._text(value) if type(value) is bytes else "an object list"
        self._issue(ERROR, "sie.date.invalid", f"The {what} {shown!r} is not a date (YYYYMMDD).")
        return None

    def _amount(self, value: Field, what: str) -> Decimal | None:
        if type(value) is bytes and value:
            body = value[1:] if value[0] == 0x2D else value  # '-'
            if body.isdigit() or (body.count(b".") == 1 and body.replace(b".", b"").isdigit() and body[-1] != 0x2E):
                return Decimal(value.decode("ascii"))
        shown = self._text(value) if type(value) is bytes else "an object list"
        self._issue(ERROR, "sie.amount.invalid", f"The {what} {shown!r} is not an amount (like -1250.00).")
        return None

    def _quantity(self, value: Field) -> Decimal | None:
        if type(value) is not bytes or not value:
            return None
        try:
            q = Decimal(value.decode("ascii", errors="replace").replace(",", "."))
        except InvalidOperation:
            q = None
        if q is None or not q.is_finite():
            self._issue(WARNING, "sie.quantity.invalid", f"The quantity {self._text(value)!r} is not a number; it is left out.")
            return None
        return q

    def _int(self, value: Field, what: str) -> int | None:
        if type(value) is bytes:
            v = value[1:] if value[:1] == b"-" else value
            if v.isdigit() and len(v) < 10:
                return int(value)
        self._issue(ERROR, "sie.field.invalid", f"The {what} {self._text(value) if type(value) is bytes else '{…}'!r} is not a whole number.")
        return None

    def _objects(self, value: Field) -> tuple[tuple[int, str], ...]:
        if type(value) is bytes:
            self._issue(ERROR, "sie.objects.invalid", f"Expected an object list in braces, found {self._text(value)!r}.")
            return ()
        if not value:
            return ()
        pairs = []
        if len(value) % 2:
            self._issue(WARNING, "sie.objects.odd", "An object list has a dimension without an object; the dangling dimension is ignored.")
        for i in range(0, len(value) - 1, 2):
            dim = value[i]
            if not dim.isdigit() or len(dim) > 9:
                self._issue(WARNING, "sie.objects.invalid", f"{self._text(dim)!r} in an object list is not a dimension number; that pair is ignored.")
                continue
            pairs.append((int(dim), self._text(value[i + 1])))
        return tuple(pairs)

    def _object_list(self, inner: bytes) -> tuple[tuple[tuple[int, str], ...], bytes]:
        """Parse and remember the inside of a simple object list: pairs and #KSUMMA bytes."""
        if not inner.isascii():
            self.decoded_objects = True  # the cache then saves decoder decisions
        pairs = _OBJ_PAIR.findall(inner)
        result = (tuple((int(d), self._text(o)) for d, o in pairs), b"".join(d + o for d, o in pairs))
        if len(self._object_cache) < 100_000:
            self._object_cache[inner] = result
        return result

    def _account(self, value: Field) -> str | None:
        if type(value) is bytes and value:
            return value.decode("ascii") if value.isascii() else self._text(value)
        self._issue(ERROR, "sie.field.missing", "The account number is missing.")
        return None

    # -- the pass --------------------------------------------------------------
    def records(self) -> Iterator[Record]:
        yield from self.read()
        yield from self._finish()

    def read(self, start: int = 0, end: int | None = None, line: int = 0) -> Generator[Record, None, int]:
        """Read the bytes ``[start, end)`` (line starts), ``line`` being the number of
        the line before ``start``; returns the number of the last line read.
        ``records()`` is ``read()`` of the whole file, then the end-of-file rules."""
        for data in self.reader.pieces(start, end):
            line = yield from self._piece(data, line)
            self.checksum.flush()
        self._flush_c_sums()
        self.lines_read = line
        return line

    def read_data(self, data: bytes, line: int = 0) -> Generator[Record, None, int]:
        """Like ``read``, for whole lines already in memory."""
        line = yield from self._piece(data, line)
        self.checksum.flush()
        self._flush_c_sums()
        self.lines_read = line
        return line

    def flush_header(self) -> Iterator[Record]:
        """Yield the buffered header now, as the first #VER would."""
        return self._flush_header()

    def finish(self) -> Iterator[Record]:
        """The end-of-file rules, after ``read()`` of the whole file."""
        return self._finish()

    def _lines(self, lines: list[bytes], line: int) -> Iterator[Record]:
        """The careful path, line by line; ``line`` is the number before the first."""
        handlers = self._handlers
        checksum = self.checksum
        decoder_issues = self._issues
        trans_line = _TRANS_LINE.fullmatch
        ver_line = _VER_LINE.fullmatch
        period_line = _PERIOD_LINE.fullmatch
        accounts = self._account_cache
        objects = self._object_cache
        st = self.stats
        movements = st.movements
        if True:
            for raw in lines:
                line += 1
                s = raw.strip()
                if not s:
                    continue
                if s[0] == 0x23:  # '#'
                    v = self._voucher
                    if v is not None and v.block and v.pending_twin is None and s[:7] == b"#TRANS " and (m := trans_line(s)):
                        acc_b, obj_b, amt_b, rest = m.groups()
                        acc = accounts.get(acc_b)
                        if acc is None:
                            acc = accounts[acc_b] = acc_b.decode()
                        if obj_b:
                            cached = objects.get(obj_b)
                            if cached is None:
                                self.line = line  # ids may go to the decoder, which notes the line
                                cached = self._object_list(obj_b)
                            objs, obj_crc = cached
                        else:
                            objs, obj_crc = (), b""
                        amount = Decimal(amt_b.decode())
                        if rest:
                            self.line = line
                            tail, problems = split_fields(rest.strip()) if rest.strip() else ([], [])
                            if problems or len(tail) > 4 or any(type(t) is not bytes for t in tail):
                                tail = None
                        else:
                            tail = ()
                        if tail is not None:
                            if checksum.summing:
                                checksum.parts += (b"#TRANS", acc_b, obj_crc, amt_b, *tail)
                            if tail:
                                day = self._date(tail[0], "transaction date", required=False) if tail[0] else None
                                text = (self._text(tail[1]) or None) if len(tail) > 1 else None
                                qty = self._quantity(tail[2]) if len(tail) > 2 else None
                                sign = (self._text(tail[3]) or None) if len(tail) > 3 else None
                                v.rows.append(_new(VoucherRow, (acc, amount, objs, day, text, qty, POSTED, sign, line)))
                            else:
                                v.rows.append(_new(VoucherRow, (acc, amount, objs, None, None, None, POSTED, None, line)))
                            st.rows += 1
                            if amount > 0:
                                st.debit += amount
                            else:
                                st.credit += amount
                            movements[acc] = movements.get(acc, _ZERO) + amount
                            if decoder_issues and self._flushed:
                                yield from decoder_issues
                                decoder_issues.clear()
                            continue
                    self.line = line
                    if s[:2] == b"#P" and v is None and not self._flushed and (m := period_line(s)) and self._plain_period(m):
                        continue
                    if s[:5] == b"#VER " and (m := ver_line(s)):
                        g = m.groups()
                        fields = [b"#VER", *(x[1:-1] if x[:1] == b'"' else x for x in g[:2]), g[2]]
                        for x in g[3:]:
                            if x is None:
                                break
                            fields.append(x)
                        problems = None
                    else:
                        fields, problems = split_fields(s)
                    if problems:
                        for p in problems:
                            self._issue(WARNING, p.code, p.message, line, p.column)
                    label = fields[0]
                    if checksum.summing and label != b"#KSUMMA":
                        checksum.parts.append(checksum_bytes(fields))
                    kind = _ROW_KIND.get(label)
                    if kind is not None:
                        self._row(fields, kind)
                    else:
                        out = self._record(label, fields, handlers)
                        if out is not None:
                            yield from out
                elif s == b"{":
                    self.line = line
                    self._open_block()
                elif s == b"}":
                    self.line = line
                    v = self._close_block()
                    if v is not None:
                        yield v
                else:
                    self.line = line
                    self._issue(
                        WARNING,
                        "sie.line.not_a_record",
                        "This line is not a SIE record (records start with '#'); it is ignored.",
                        line,
                    )
                if decoder_issues and self._flushed:
                    yield from decoder_issues
                    decoder_issues.clear()

    def _plain_period(self, m: re.Match[bytes]) -> bool:
        """A plain #PSALDO/#PBUDGET line of the header, as ``_record`` and
        ``_on_psaldo`` would take it; False (nothing done) if it is not plain."""
        label_b, idx_b, period_b, acc_b, obj_b, amt_b, qty_b = m.groups()
        month = int(period_b[4:])
        if not 1 <= month <= 12 or period_b[:4] == b"0000" or self._after_checksum is not None:
            return False
        label = "#PSALDO" if label_b == b"#PSALDO" else "#PBUDGET"
        pairs = _OBJ_PAIR.findall(obj_b)
        ck = self.checksum
        if ck.summing:
            ck.parts += (label_b, idx_b, period_b, acc_b, *[d + o for d, o in pairs], amt_b, qty_b or b"")
        if label not in self._first_seen:
            self._first_seen[label] = self.line
        self._label_counts[label] = self._label_counts.get(label, 0) + 1
        # Buffered until the first #VER, a hundred thousand of them in a big
        # file: values shared where they repeat, the amount kept as its bytes.
        period = self._months.get(period_b)
        if period is None:
            period = self._months[period_b] = date(int(period_b[:4]), month, 1)
        acc = self._account_cache.get(acc_b)
        if acc is None:
            acc = self._account_cache[acc_b] = acc_b.decode("ascii")
        shared = self._period_objects
        objs = shared.get(obj_b) if obj_b.isascii() else None  # non-ASCII ids go to the decoder each time
        if objs is None:
            text = self._text
            objs = tuple([(int(d), text(o)) for d, o in pairs])
            if obj_b.isascii() and len(shared) < 10000:
                shared[obj_b] = objs
        amount = amt_b
        qty = Decimal(qty_b.decode("ascii")) if qty_b else None
        if len(objs) > 1:
            self._tally("sie.objects.count", label, f"{label} should name at most one object (found {len(objs)}); the first is used")
        self.stats.period_balances += 1
        self._periods.append((int(idx_b), period, acc, amount, qty, objs[0] if objs else None, label == "#PBUDGET", self.line))
        return True

    def _plain_date(self, value: bytes) -> date | None:
        """``YYYYMMDD`` digits as a date, None if not a date; remembered, no issue."""
        dates = self._dates
        d = dates.get(value, False)
        if d is False:
            try:
                d = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                d = None
            if len(dates) > 50000:
                dates.clear()
            dates[value] = d
        return d

    def _piece(self, data: bytes, line: int) -> Generator[Record, None, int]:
        """One piece of whole lines; ``line`` is the number before it; returns the last."""
        if _scan is not None:
            return (yield from self._piece_c(data, line))
        return (yield from self._piece_py(data, line))

    def _scan_context(self) -> tuple:
        """What the C reader (``_scan.read_blocks``) works with: this reader's
        caches and callbacks.  Made per piece (a few thousand times in a big
        file), not kept: kept on the reader it would make a reference cycle."""

        def object_list(inner: bytes, line: int) -> tuple:
            self.line = line
            return self._object_list(inner)

        def row_date(value: bytes, line: int) -> date | None:
            self.line = line
            return self._date(value, "transaction date", required=False)

        dec = self.decoder
        return (
            self._account_cache, self._object_cache, self._dates, self.stats.movements, dec.decode,
            self._plain_date, object_list, row_date, Decimal, VoucherRow, Voucher, POSTED, _ZERO, self._issues,
            dec, dec._cache, dec.counts, dec.first_line, CP437, self._c_state,
        )  # fmt: skip

    def _flush_c_sums(self) -> None:
        """Add what the C reader summed in öre to the stats (it keeps its sums
        between calls): before the line path adds to them, and at a read's end."""
        if self._c_state is not None:
            st = self.stats
            st.debit, st.credit = _scan.flush_sums(self._c_state, st.movements, Decimal, _ZERO, st.debit, st.credit)

    def _piece_c(self, data: bytes, line: int) -> Generator[Record, None, int]:
        """``_piece`` with plain voucher blocks read by the C accelerator (_scan.c).

        At a #VER line start, while the reader's state is plain (no open
        voucher, header yielded, before the closing #KSUMMA), ``read_blocks``
        takes as many plain blocks as it can; everything else, up to the next
        #VER line, goes to ``_lines``.  ``read_blocks`` takes exactly the
        blocks ``_piece_py`` takes (or fewer) and gives the same records."""
        read_blocks = _scan.read_blocks
        ctx = self._scan_context()
        st = self.stats
        checksum = self.checksum
        issues = self._issues
        pos, end = 0, len(data)
        while pos < end:
            if (
                data.startswith(b"#VER", pos)
                and self._voucher is None
                and self._flushed
                and self._after_checksum is None
                and not issues
            ):
                parts = checksum.parts if checksum.summing else None
                vouchers, after, line, rows, st.debit, st.credit = read_blocks(data, pos, line, st.debit, st.credit, parts, ctx)
                if vouchers:
                    pos = after
                    st.vouchers += len(vouchers)
                    st.rows += rows
                    self._label_counts["#VER"] = self._label_counts.get("#VER", 0) + len(vouchers)
                    self._first_seen.setdefault("#VER", vouchers[0].line)
                    self.line = line
                    if issues:  # left by the last voucher's fields: they come before it
                        yield from vouchers[:-1]
                        yield from issues
                        issues.clear()
                        yield vouchers[-1]
                    else:
                        yield from vouchers
                    continue
            # Line by line up to the next #VER at a line start.
            nxt = data.find(b"\n#VER", pos)
            stop = end if nxt < 0 else nxt + 1
            lines = data[pos:stop].split(b"\n")
            if not lines[-1]:
                lines.pop()
            self._flush_c_sums()  # the line path adds to the same totals, in file order
            yield from self._lines(lines, line)
            line += len(lines)
            pos = stop
        return line

    def _piece_py(self, data: bytes, line: int) -> Generator[Record, None, int]:
        """``_piece`` in pure Python (where the C accelerator is not built).

        Plain voucher blocks (``_BLOCK``) are read here whole, everything else
        line by line by ``_lines``.  For a plain block this does exactly what
        ``_lines`` would do with its lines, in the same order (issues, decoder
        decisions, checksum input, stats), which the differential tests check;
        when the reader's state is not plain (an open voucher, the header not
        yet yielded, after the closing #KSUMMA) or the block's dates are not
        dates, the block's lines go to ``_lines`` untouched.  That state only
        changes on the line-by-line path, so it is looked at after each."""
        blocks = list(_BLOCK.finditer(data))
        texts = [m.group(9) for m in blocks]
        sizes = [t.count(b"\n") for t in texts]
        # All plain blocks' rows in one call; if some row is not plain, the
        # rows cannot be told apart by position, so then block by block.
        rows_of = _ROW.findall
        all_rows: list | None = rows_of(b"".join(texts) + b"\n") if blocks else None
        if all_rows is not None and len(all_rows) != sum(sizes):
            all_rows = None
        checksum = self.checksum
        accounts = self._account_cache
        objects = self._object_cache
        dates = self._dates
        plain_date = self._plain_date
        decode = self.decoder.decode
        st = self.stats
        movements = st.movements
        issues = self._issues
        # Counts are kept here and added to the stats when the piece ends (or
        # the consumer stops); the money sums go on in file order, so that
        # Decimal rounds them (28 digits) exactly as the line path would.
        vouchers = rows_n = 0
        k = 0
        pos = 0
        plain = self._voucher is None and self._flushed and self._after_checksum is None
        try:
            for m, rows_b, n in zip(blocks, texts, sizes):
                start = m.start()
                if start > pos:
                    gap = data[pos:start].split(b"\n")
                    gap.pop()  # the gap ends with LF: a match starts a line
                    yield from self._lines(gap, line)
                    line += len(gap)
                    plain = self._voucher is None and self._flushed and self._after_checksum is None
                pos = m.end()
                if all_rows is not None:
                    rows_t = all_rows[k : k + n]
                    k += n
                else:
                    rows_t = rows_of(rows_b + b"\n")
                sq, su, nq, nu, date_b, text_b, reg_b, sign_b, _ = m.groups()
                day = dates.get(date_b) or plain_date(date_b)
                regdate = (dates.get(reg_b) or plain_date(reg_b)) if reg_b else None
                if not plain or day is None or len(rows_t) != n or (reg_b and regdate is None):
                    lines = m.group().split(b"\n")
                    lines.pop()
                    yield from self._lines(lines, line)
                    line += len(lines)
                    plain = self._voucher is None and self._flushed and self._after_checksum is None
                    continue
                ver_line = line + 1
                series = su if sq is None else sq.replace(b'\\"', b'"') if b"\\" in sq else sq
                number = nu if nq is None else nq.replace(b'\\"', b'"') if b"\\" in nq else nq
                if text_b and b"\\" in text_b:
                    text_b = text_b.replace(b'\\"', b'"')
                if sign_b and b"\\" in sign_b:
                    sign_b = sign_b.replace(b'\\"', b'"')
                summing = checksum.summing
                if summing:
                    parts = checksum.parts
                    parts += (b"#VER", series, number, date_b, text_b or b"", reg_b or b"", sign_b or b"")
                if not vouchers:
                    self._first_seen.setdefault("#VER", ver_line)
                vouchers += 1
                series_s = series.decode("ascii") if series.isascii() else decode(series, ver_line)
                number_s = number.decode("ascii") if number.isascii() else decode(number, ver_line)
                if text_b is None:
                    text = ""
                else:
                    text = text_b.decode("ascii") if text_b.isascii() else decode(text_b, ver_line)
                sign = None
                if sign_b:
                    sign = (sign_b.decode("ascii") if sign_b.isascii() else decode(sign_b, ver_line)) or None
                rows: list[VoucherRow] = []
                append = rows.append
                row_line = ver_line + 1
                debit, credit = st.debit, st.credit
                for acc_b, obj_b, amt_b, day_b, rtext_b, qty_b, rsign_b in rows_t:
                    row_line += 1
                    acc = accounts.get(acc_b)
                    if acc is None:
                        acc = accounts[acc_b] = acc_b.decode()
                    cached = objects.get(obj_b)
                    if cached is None:
                        self.line = row_line
                        cached = self._object_list(obj_b)
                    objs, obj_crc = cached
                    amount = Decimal(amt_b.decode())
                    if day_b or rtext_b or qty_b or rsign_b:
                        rday = rtext = qty = rsign = None
                        if day_b:
                            rday = dates.get(day_b)
                            if rday is None:
                                self.line = row_line
                                rday = self._date(day_b, "transaction date", required=False)
                        if rtext_b:
                            if b"\\" in rtext_b:
                                rtext_b = rtext_b.replace(b'\\"', b'"')
                            rtext = (rtext_b.decode("ascii") if rtext_b.isascii() else decode(rtext_b, row_line)) or None
                        if qty_b:
                            qty = Decimal(qty_b.decode())
                        if rsign_b:
                            if b"\\" in rsign_b:
                                rsign_b = rsign_b.replace(b'\\"', b'"')
                            rsign = (rsign_b.decode("ascii") if rsign_b.isascii() else decode(rsign_b, row_line)) or None
                        if summing:
                            parts += (b"#TRANS", acc_b, obj_crc, amt_b, day_b, rtext_b, qty_b, rsign_b)
                        append(_new(VoucherRow, (acc, amount, objs, rday, rtext, qty, POSTED, rsign, row_line)))
                    else:
                        if summing:
                            parts += (b"#TRANS", acc_b, obj_crc, amt_b)
                        append(_new(VoucherRow, (acc, amount, objs, None, None, None, POSTED, None, row_line)))
                    if amount > 0:
                        debit += amount
                    else:
                        credit += amount
                    movements[acc] = movements.get(acc, _ZERO) + amount
                st.debit, st.credit = debit, credit
                rows_n += n
                line = row_line + 1
                self.line = line
                if issues:
                    yield from issues
                    issues.clear()
                yield _new(Voucher, (series_s, number_s, day, text, tuple(rows), regdate, sign, None, ver_line))
        finally:
            if vouchers:
                st.vouchers += vouchers
                st.rows += rows_n
                self._label_counts["#VER"] = self._label_counts.get("#VER", 0) + vouchers
        if pos < len(data):
            lines = data[pos:].split(b"\n")
            if not lines[-1]:
                lines.pop()
            yield from self._lines(lines, line)
            line += len(lines)
        return line

    def _record(self, label: bytes, fields: list[Field], handlers: dict) -> list[Record] | None:
        name = label.decode("ascii", errors="replace") if label.isascii() else self._text(label)
        self._first_seen.setdefault(name, self.line)
        self._label_counts[name] = self._label_counts.get(name, 0) + 1
        if self._after_checksum is not None and name != "#KSUMMA":
            self._issue_once("after", WARNING, "sie.checksum.after_close", "Records after the closing #KSUMMA are not covered by the checksum.")
        if self._voucher is not None and name != "#VER":
            # Any other record ends a voucher block that was not closed.
            v = self._end_voucher(unclosed=True)
        else:
            v = None
        spec = LABELS.get(name)
        if spec is None:
            self._issue_once(
                name, INFO, "sie.label.unknown", f"{name} is not a SIE 4 label; its records are kept but not used."
            )
            rec = UnknownRecord(name, tuple(self._text(f) if type(f) is bytes else tuple(self._text(x) for x in f) for f in fields[1:]), self.line)
            return [v, rec] if v is not None else [rec]
        if len(fields) - 1 < spec.required and name != "#ORGNR":
            missing = spec.fields[len(fields) - 1]
            severity = ERROR if name in _STRICT else WARNING
            self._issue(severity, "sie.field.missing", f"{name} lacks its mandatory field '{missing}'.")
            if name not in _READ_ANYWAY or len(fields) < 2:
                return [v] if v is not None else None
            fields = fields + [b""] * (spec.required + 1 - len(fields))
        elif len(fields) - 1 > len(spec.fields):
            self._issue_once(
                name, INFO, "sie.field.extra", f"{name} has more fields than SIE 4 defines; the extra ones are kept but not used."
            )
        out = handlers[name](fields)
        if v is not None:
            return [v] + (out or [])
        return out

    # -- header records ------------------------------------------------------
    def _make_handlers(self) -> dict[str, Callable[[list[Field]], list[Record] | None]]:
        h: dict[str, Callable[[list[Field]], list[Record] | None]] = {}
        for name in LABELS:
            h[name] = getattr(self, "_on_" + name[1:].lower(), self._on_ignored)
        return h

    def _on_ignored(self, f: list[Field]) -> None:
        return None

    def _on_flagga(self, f: list[Field]) -> None:
        if len(f) > 1 and f[1] == b"1":
            self._issue(
                WARNING,
                "sie.flagga.imported",
                "#FLAGGA 1: the file says it has already been imported once; importing it again may double its vouchers.",
            )

    def _on_program(self, f: list[Field]) -> None:
        self.summary.program = (self._text(f[1]), self._text(f[2]) if len(f) > 2 else None)

    def _on_gen(self, f: list[Field]) -> None:
        self._date(f[1], "generation date (#GEN)")

    def _on_sietyp(self, f: list[Field]) -> None:
        t = self._int(f[1], "SIE type")
        if t is not None and not 1 <= t <= 4:
            self._issue(ERROR, "sie.sietyp.invalid", f"#SIETYP {t} is not a SIE 4 file type (1-4).")
            t = None
        self.summary.sietyp = t

    def _on_fnamn(self, f: list[Field]) -> None:
        self._company["name"] = self._text(f[1])
        self._company_line = self._company_line or self.line

    def _on_orgnr(self, f: list[Field]) -> None:
        self._company["orgnr"] = self._text(f[1]) if len(f) > 1 else ""
        self._orgnr_line = self.line

    def _on_ftyp(self, f: list[Field]) -> None:
        self._company["type"] = self._text(f[1])

    def _on_fnr(self, f: list[Field]) -> None:
        self._company["id"] = self._text(f[1])

    def _on_omfattn(self, f: list[Field]) -> None:
        self._date(f[1], "date of #OMFATTN")

    def _on_rar(self, f: list[Field]) -> list[Record] | None:
        idx = self._int(f[1], "fiscal-year index")
        start = self._date(f[2], "start of the fiscal year")
        end = self._date(f[3], "end of the fiscal year")
        if idx is None or start is None or end is None:
            return None
        if end < start:
            self._issue(ERROR, "sie.rar.reversed", f"Fiscal year {idx} ends ({end}) before it starts ({start}).")
            return None
        if idx in self._years:
            self._issue(WARNING, "sie.rar.duplicate", f"#RAR {idx} is given twice; the first one counts.")
            return None
        fy = FiscalYear(start, end, idx, self.line)
        self._years[idx] = fy
        return self._late([fy])

    def _on_konto(self, f: list[Field]) -> list[Record] | None:
        acc = self._account(f[1])
        if acc is None:
            return None
        self.stats.declared_accounts.add(acc)
        entry = self._accounts.get(acc)
        if entry is None:
            self._accounts[acc] = [self._text(f[2]), None, [], None, self.line]
        else:
            entry[0] = self._text(f[2])
        return self._late_accounts()

    def _account_entry(self, f: list[Field]) -> list | None:
        acc = self._account(f[1])
        if acc is None:
            return None
        entry = self._accounts.get(acc)
        if entry is None:
            self._issue(WARNING, "sie.account.undeclared", f"{self._text(f[0])} refers to account {acc}, which no #KONTO declares; it is created without a name.")
            entry = self._accounts[acc] = ["", None, [], None, self.line]
            self.stats.declared_accounts.add(acc)
        return entry

    def _on_ktyp(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            t = self._text(f[2]).upper()
            if t not in ("T", "S", "K", "I"):
                self._issue(WARNING, "sie.ktyp.invalid", f"Account type {t!r} is not T, S, K or I; it is ignored.")
            else:
                entry[1] = t
        return self._late_accounts()

    def _on_enhet(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            entry[3] = self._text(f[2])
        return self._late_accounts()

    def _on_sru(self, f: list[Field]) -> list[Record] | None:
        entry = self._account_entry(f)
        if entry is not None:
            entry[2].append(self._text(f[2]))
        return self._late_accounts()

    def _on_dim(self, f: list[Field]) -> list[Record] | None:
        d = self._int(f[1], "dimension number")
        if d is None:
            return None
        self._dims.append(Dimension(d, self._text(f[2]), None, self.line))
        return self._late_dims()

    def _on_underdim(self, f: list[Field]) -> list[Record] | None:
        d = self._int(f[1], "dimension number")
        parent = self._int(f[3], "parent dimension number")
        if d is None or parent is None:
            return None
        self._dims.append(Dimension(d, self._text(f[2]), parent, self.line))
        return self._late_dims()

    def _on_objekt(self, f: list[Field]) -> list[Record] | None:
        d = self._int(f[1], "dimension number")
        if d is None:
            return None
        self.stats.objects += 1
        self._objekt.append(DimensionObject(d, self._text(f[2]), self._text(f[3]), self.line))
        return self._late_dims()

    def _balance(self, f: list[Field], with_object: bool) -> list[Record] | None:
        name = self._text(f[0])
        idx = self._int(f[1], "fiscal-year index")
        acc = self._account(f[2])
        obj = None
        if with_object:
            objs = self._objects(f[3])
            if len(objs) != 1:
                self._tally("sie.objects.count", name, f"{name} should name exactly one object (found {len(objs)}); the first is used")
            obj = objs[0] if objs else None
            rest = f[4:]
        else:
            rest = f[3:]
        amount = self._amount(rest[0], "balance")
        qty = self._quantity(rest[1]) if len(rest) > 1 else None
        if idx is None or acc is None or amount is None:
            return None
        self.stats.balances += 1
        kind = BALANCE_KINDS[name]
        if obj is None and not with_object:
            target = {("#IB", 0): self._ib0, ("#UB", 0): self._ub0, ("#RES", 0): self._res0, ("#UB", -1): self._ub_1}.get((name, idx))
            if target is not None:
                if acc in target:
                    self._issue(WARNING, "sie.balance.duplicate", f"{name} {idx} for account {acc} is given twice; both are kept.")
                    amount_sum = target[acc][0] + amount
                    target[acc] = (amount_sum, target[acc][1])
                else:
                    target[acc] = (amount, self.line)
        self._balances.append((kind, idx, acc, amount, qty, obj, self.line))
        return self._late_balances()

    def _on_ib(self, f: list[Field]) -> list[Record] | None:
        return self._balance(f, False)

    _on_ub = _on_res = _on_ib

    def _on_oib(self, f: list[Field]) -> list[Record] | None:
        return self._balance(f, True)

    _on_oub = _on_oib

    def _on_psaldo(self, f: list[Field]) -> list[Record] | None:
        idx = self._int(f[1], "fiscal-year index")
        period = None
        p = f[2]
        if type(p) is bytes and len(p) == 6 and p.isdigit() and 1 <= int(p[4:]) <= 12 and int(p[:4]) > 0:
            period = date(int(p[:4]), int(p[4:]), 1)
        else:
            self._issue(ERROR, "sie.period.invalid", f"The period {self._text(p) if type(p) is bytes else '{…}'!r} is not a month (YYYYMM).")
        acc = self._account(f[3])
        objs = self._objects(f[4])
        amount = self._amount(f[5], "period amount")
        qty = self._quantity(f[6]) if len(f) > 6 else None
        if idx is None or period is None or acc is None or amount is None:
            return None
        if len(objs) > 1:
            self._tally("sie.objects.count", self._text(f[0]), f"{self._text(f[0])} should name at most one object (found {len(objs)}); the first is used")
        self.stats.period_balances += 1
        self._periods.append((idx, period, acc, amount, qty, objs[0] if objs else None, f[0] == b"#PBUDGET", self.line))
        return self._late_balances()

    _on_pbudget = _on_psaldo

    def _on_ksumma(self, f: list[Field]) -> None:
        ck = self.checksum
        if len(f) == 1 or f[1] == b"":
            if ck.opened_line is None:
                ck.open(self.line)
            else:
                self._issue(WARNING, "sie.checksum.reopened", "A second opening #KSUMMA is ignored.")
            return None
        tok = f[1]
        value = int(tok) if type(tok) is bytes and tok.isdigit() and len(tok) <= 20 else None
        if ck.opened_line is None:
            self._issue(ERROR, "sie.checksum.no_opening", "A closing #KSUMMA without an opening #KSUMMA after #FLAGGA: the checksum cannot be verified.")
        ck.close(self.line, value)
        self._after_checksum = self.line
        if ck.opened_line is not None:
            if value is None:
                self._issue(ERROR, "sie.checksum.mismatch", "The closing #KSUMMA has no number to compare.")
            elif ck.outcome == "mismatch":
                self._issue(
                    ERROR,
                    "sie.checksum.mismatch",
                    f"The file's checksum (#KSUMMA {value}) does not match its content (computed {ck.computed}): "
                    "it was changed or damaged after it was written.",
                )
        return None

    # -- header flushing -------------------------------------------------------
    def _late(self, recs: list[Record]) -> list[Record] | None:
        if not self._flushed:
            return None
        self._issue_once(
            "header", WARNING, "sie.order.late", "A declaration or balance comes after the vouchers; SIE files put them first."
        )
        return recs

    def _late_accounts(self) -> list[Record] | None:
        return self._late_flush()

    _late_dims = _late_balances = _late_accounts

    def _late_flush(self) -> list[Record] | None:
        if not self._flushed:
            return None
        self._issue_once(
            "header", WARNING, "sie.order.late", "A declaration or balance comes after the vouchers; SIE files put them first."
        )
        return None  # kept in the buffers; yielded at the end

    def _variant(self) -> str:
        t = self.summary.sietyp or 1
        if t != 4:
            return str(t)
        has_balances = any(k in self._first_seen for k in ("#IB", "#UB", "#RES"))
        return "4E" if has_balances else "4I"

    def _flush_header(self) -> Iterator[Record]:
        if not self._flushed:
            self._flushed = True
            self._scope_variant = self._variant()
            yield Scope("append" if self._scope_variant == "4I" else "replace")
            c = self._company
            yield Company(c.get("name"), c.get("orgnr") or None, c.get("type"), c.get("id"), self._orgnr_line or self._company_line)
            yield from sorted(self._years.values(), key=lambda y: -(y.index or 0))
        yield from self._flush_buffers()
        if self._header_state is None:
            self._header_state = self._record_state()

    def _record_state(self) -> tuple[dict[str, int], dict[tuple[str, str], tuple]]:
        labels = {k: n for k, n in self._label_counts.items() if k != "#VER"}
        return labels, {k: tuple(v) for k, v in self._tallies.items()}

    def only_vouchers_since_header(self) -> bool:
        """No record but #VER (and its rows) since the header was yielded."""
        return self._header_state is not None and self._record_state() == self._header_state

    def _flush_buffers(self) -> Iterator[Record]:
        for acc, (name, typ, sru, unit, line) in self._accounts.items():
            yield Account(acc, name, typ, tuple(sru), unit, line)
        self._accounts.clear()
        yield from self._dims
        self._dims.clear()
        yield from self._objekt
        self._objekt.clear()
        for kind, idx, acc, amount, qty, obj, line in self._balances:
            fy = self._years.get(idx)
            if fy is None:
                self._issue_once(
                    str(idx), WARNING, "sie.balance.no_year", f"Balances for fiscal year {idx} have no #RAR {idx}; they are left out.", line
                )
                continue
            yield Balance(kind, fy.start, acc, amount, qty, obj, line)
        self._balances.clear()
        for idx, period, acc, amount, qty, obj, budget, line in self._periods:
            fy = self._years.get(idx)
            if fy is None:
                self._issue_once(
                    str(idx), WARNING, "sie.balance.no_year", f"Balances for fiscal year {idx} have no #RAR {idx}; they are left out.", line
                )
                continue
            if not fy.start.replace(day=1) <= period <= fy.end:
                here, self.line = self.line, line
                self._tally("sie.period.outside_year", str(idx), f"Periods of fiscal year {idx} lie outside that year (first: {period:%Y%m})")
                self.line = here
            if type(amount) is bytes:  # kept as bytes by _plain_period
                amount = Decimal(amount.decode("ascii"))
            yield PeriodBalance(fy.start, period, acc, amount, qty, obj, budget, line)
        self._periods.clear()
        yield from self._issues
        self._issues.clear()

    # -- vouchers ----------------------------------------------------------------
    def _on_ver(self, f: list[Field]) -> Iterable[Record] | None:
        out: list[Record] = []
        if self._voucher is not None:
            prev = self._end_voucher(unclosed=True)
            if prev is not None:
                out.append(prev)
        header = None if self._flushed else self._flush_header()
        self.stats.vouchers += 1
        v = _Voucher(self.line)
        v.series = self._text(f[1])
        v.number = self._text(f[2])
        v.date = self._date(f[3], "voucher date")
        v.valid = v.date is not None
        v.text = self._text(f[4]) if len(f) > 4 else ""
        v.regdate = self._date(f[5], "registration date", required=False) if len(f) > 5 else None
        v.sign = (self._text(f[6]) or None) if len(f) > 6 else None
        self._voucher = v
        if header is not None:
            # Streamed, not listed: a big file's header holds a hundred
            # thousand period balances.  Nothing above changes what it yields.
            return chain(header, out)
        return out or None

    def _open_block(self) -> None:
        v = self._voucher
        if v is None or v.block:
            self._issue(ERROR, "sie.block.stray_open", "A '{' that does not follow a #VER.")
            return
        v.block = True

    def _close_block(self) -> Voucher | None:
        v = self._voucher
        if v is None or not v.block:
            self._issue(ERROR, "sie.block.stray_close", "A '}' that closes no #VER block.")
            return None
        return self._end_voucher(unclosed=False)

    def _end_voucher(self, unclosed: bool) -> Voucher | None:
        v = self._voucher
        assert v is not None
        self._voucher = None
        if not v.block:
            self._issue(ERROR, "sie.block.missing", "This #VER has no { } block with its rows.", v.line)
        elif unclosed:
            self._issue(ERROR, "sie.block.unclosed", "This #VER's block has no closing '}'.", v.line)
        if v.pending_twin is not None:
            self._twin_missing(v.pending_twin)
        if not v.valid:
            return None
        return _new(Voucher, (v.series, v.number, v.date, v.text, tuple(v.rows), v.regdate, v.sign, None, v.line))

    def _twin_missing(self, added: VoucherRow) -> None:
        self._issue(
            WARNING,
            "sie.rtrans.no_twin",
            "This #RTRANS is not followed by its #TRANS twin; as the spec says, only #TRANS rows are posted, so this added row is history only.",
            added.line,
        )

    def _row(self, f: list[Field], kind: RowKind) -> None:
        v = self._voucher
        name = "#TRANS" if kind is POSTED else "#RTRANS" if kind is ADDED else "#BTRANS"
        if v is None or not v.block:
            self._issue(ERROR, "sie.block.row_outside", f"{name} outside a #VER block; the row is ignored.")
            return
        n = len(f)
        if n > 2 and type(f[2]) is bytes:
            self._issue(WARNING, "sie.objects.missing", f"{name} has no object list ({{}}) before its amount; read as an empty one.")
            f = [f[0], f[1], (), *f[2:]]
            n += 1
        if n < 4:
            self._issue(ERROR, "sie.field.missing", f"{name} lacks its mandatory field '{LABELS[name].fields[n - 1]}'.")
            v.valid = False
            return
        if n > 8:
            self._issue_once(name, INFO, "sie.field.extra", f"{name} has more fields than SIE 4 defines; the extra ones are kept but not used.")
        acc = self._account(f[1])
        objs = self._objects(f[2]) if f[2] else ()
        amount = self._amount(f[3], "amount")
        if acc is None or amount is None:
            v.valid = False
            return
        day = self._date(f[4], "transaction date", required=False) if n > 4 and f[4] else None
        text = (self._text(f[5]) or None) if n > 5 else None
        qty = self._quantity(f[6]) if n > 6 else None
        sign = (self._text(f[7]) or None) if n > 7 else None
        row = VoucherRow(acc, amount, objs, day, text, qty, kind, sign, self.line)
        st = self.stats
        if kind is POSTED:
            st.rows += 1
            if amount > 0:
                st.debit += amount
            else:
                st.credit += amount
            mov = st.movements
            mov[acc] = mov.get(acc, _ZERO) + amount
            twin = v.pending_twin
            if twin is not None:
                v.pending_twin = None
                if twin.account != acc or twin.amount != amount or twin.objects != objs:
                    self._issue(
                        WARNING,
                        "sie.rtrans.twin_differs",
                        f"The #TRANS after an #RTRANS should repeat it; account, objects or amount differ "
                        f"(#RTRANS {twin.account} {twin.amount}, #TRANS {acc} {amount}).",
                    )
        elif kind is ADDED:
            st.added_rows += 1
            if v.pending_twin is not None:
                self._twin_missing(v.pending_twin)
            v.pending_twin = row
        else:
            st.removed_rows += 1
            if v.pending_twin is not None:
                self._twin_missing(v.pending_twin)
                v.pending_twin = None
        v.rows.append(row)

    # -- the end -------------------------------------------------------------------
    def _finish(self) -> Iterator[Record]:
        if self._voucher is not None:
            v = self._end_voucher(unclosed=True)
            if v is not None:
                yield v
        yield from self._flush_header()
        ck = self.checksum
        if ck.opened_line is not None and ck.closed_line is None:
            self._issue(
                ERROR,
                "sie.checksum.truncated",
                "The file opens a #KSUMMA checksum but never closes it: it was cut short.",
                self.line or 1,
            )
        s = self.summary
        s.variant = self._variant()
        if self._scope_variant is not None and self._scope_variant != s.variant:
            self._issue(WARNING, "sie.order.late", "Balances come after the vouchers, so the file was first taken as 4I.", None)
        s.checksum = ck.outcome
        s.encoding = self.decoder.name()
        s.company_name = self._company.get("name")
        raw_orgnr = self._company.get("orgnr")
        s.orgnr = normalize_orgnr(raw_orgnr) or (raw_orgnr or None)
        s.fiscal_years = sorted(self._years.values(), key=lambda y: -(y.index or 0))
        for (code, _), (message, line, n) in self._tallies.items():
            more = f"; {n} records like this, first here" if n > 1 else ""
            self._issues.append(Issue(WARNING, code, f"{message}{more}.", line, 1, self.filename))
        self._issues += validate.variant_rules(s.variant, self._first_seen, self._label_counts)
        self._issues += validate.orgnr_rules(raw_orgnr, self._orgnr_line)
        movements = self.stats.movements if s.variant == "4E" and self.stats.vouchers else None
        if s.checksum != "truncated":  # a cut file would only repeat that it is cut
            self._issues += validate.reconcile(self._ib0, self._ub0, self._res0, self._ub_1, movements)
        self._issues += self._encoding_issues()
        for issue in self._issues:
            yield issue if issue.file else issue._replace(file=self.filename)
        self._issues.clear()

    def _encoding_issues(self) -> list[Issue]:
        d = self.decoder
        out: list[Issue] = []
        used = [e for e in d.counts]
        if self.reader.bom and "utf-8" not in used:
            used.append("utf-8")
            d.first_line.setdefault("utf-8", 1)
        others = [e for e in used if e != "cp437"]
        if len(used) > 1:
            out.append(
                Issue(
                    WARNING,
                    "sie.encoding.mixed",
                    f"The file mixes encodings ({' and '.join(sorted(used))}); each field was decoded on its own. "
                    "SIE prescribes CP437 throughout.",
                    min(d.first_line[e] for e in others),
                    1,
                )
            )
        elif others:
            enc = others[0]
            out.append(
                Issue(
                    WARNING,
                    "sie.encoding.not_cp437",
                    f"The file is written in {enc.upper()}, not in CP437 as SIE prescribes (#FORMAT PC8); it was read as {enc.upper()}.",
                    d.first_line[enc],
                    1,
                )
            )
        if d.replacement_lines:
            out.append(
                Issue(
                    WARNING,
                    "sie.encoding.replacement_char",
                    f"{d.replacement_lines} line(s) hold the replacement character U+FFFD: the text was damaged "
                    "before it reached this file (letters like å, ä, ö are lost).",
                    d.replacement_first,
                    1,
                )
            )
        if d.mojibake_lines:
            out.append(
                Issue(
                    WARNING,
                    "sie.encoding.mojibake",
                    f"{d.mojibake_lines} line(s) look like CP437 text once read as CP1252 (like 'Ink\u201dp' for 'Inköp').",
                    d.mojibake_first,
                    1,
                )
            )
        return out


# Records that carry amounts or vouchers: a missing field is an error (the
# file is not imported).  Elsewhere it only loses information: a warning.
_STRICT = frozenset({"#IB", "#UB", "#RES", "#OIB", "#OUB", "#PSALDO", "#PBUDGET", "#VER", "#TRANS", "#RTRANS", "#BTRANS"})
# Header records still worth reading with their trailing fields empty.
_READ_ANYWAY = frozenset({"#PROGRAM", "#ADRESS", "#ORGNR", "#KONTO", "#OBJEKT", "#DIM"})
