"""From SIE lines to canonical records, in one streaming pass.

``SieNormalizer(path, filename).records()`` yields, in canonical order::

    Scope → Company → FiscalYear* → Account* / Dimension* / DimensionObject*
    → Balance* / PeriodBalance* → Voucher*        (Issue, UnknownRecord anywhere)

Each line goes to the part that knows its record: ``header.py`` buffers the
header until the first ``#VER`` (vouchers are never buffered),
``vouchers.py`` reads voucher blocks, ``fields.py`` converts fields, and
``eof.py`` applies the rules over the whole file.  Plain voucher blocks are
read whole by the accelerator in ``scan.py`` where it is built.  While
reading it also keeps what ``sie check`` reports (``stats``, ``summary``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from itertools import chain
from pathlib import Path

from ekonomi.core import Record, Severity, UnknownRecord

from . import eof, scan
from .checksum import Checksum
from .encoding import FieldDecoder
from .fields import FieldReader
from .header import HeaderRecords
from .issues import IssueLog
from .labels import LABELS, missing_field
from .lexer import Field, checksum_bytes, split_fields
from .reader import LineReader
from .stats import Stats, Summary
from .vouchers import ROW_KIND, VoucherBlocks

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
# Records that carry amounts or vouchers: a missing field is an error (the
# file is not imported).  Elsewhere it only loses information: a warning.
_STRICT = frozenset({"#IB", "#UB", "#RES", "#OIB", "#OUB", "#PSALDO", "#PBUDGET", "#VER", "#TRANS", "#RTRANS", "#BTRANS"})
# Period records whose object list may be left out (the amount follows the account).
_OBJECTS_OPTIONAL = frozenset({"#PSALDO", "#PBUDGET"})
# Header records still worth reading with their trailing fields empty.
_READ_ANYWAY = frozenset({"#PROGRAM", "#ADRESS", "#ORGNR", "#KONTO", "#OBJEKT", "#DIM"})


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
        self.issues = IssueLog(self.filename)
        self.fields = FieldReader(self.decoder, self.issues)
        self.first_seen: dict[str, int] = {}  # label -> its first line
        self.label_counts: dict[str, int] = {}
        self.header = HeaderRecords(self.fields, self.issues, self.stats, self.summary, self.checksum, (self.first_seen, self.label_counts))
        self.vouchers = VoucherBlocks(self.fields, self.issues, self.stats, self.checksum)
        self.handlers = {**self.header.handlers, "#VER": self._on_ver, "#KSUMMA": self._on_ksumma}
        self.scan = scan.ScanContext(self.fields, self.stats)
        self.after_checksum: int | None = None  # the closing #KSUMMA's line
        self.lines_read = 0
        self.header_state: tuple | None = None  # record counts when the header was yielded

    @property
    def plain(self) -> bool:
        """Between vouchers, header yielded, before the closing #KSUMMA, no
        issue waiting: where voucher blocks can be read whole."""
        return self.vouchers.open is None and self.header.flushed and self.after_checksum is None and not self.issues.pending

    # -- the pass ----------------------------------------------------------------
    def records(self) -> Iterator[Record]:
        yield from self.read()
        yield from self.finish()

    def read(self, start: int = 0, end: int | None = None, line: int = 0) -> Generator[Record, None, int]:
        """Read the bytes ``[start, end)`` (line starts), ``line`` being the number of
        the line before ``start``; returns the number of the last line read.
        ``records()`` is ``read()`` of the whole file, then ``finish()``."""
        reader = self.reader
        if reader.overlong:  # an earlier part stopped at a line too long
            return self._read_end(line)
        for data in reader.pieces(start, end):
            line = yield from self._piece(data, line)
            self.checksum.flush()
        if reader.overlong:
            message = f"Line {line + 1} is longer than {reader.max_line // 1024} KB, which no SIE record is; the file is not read past it."
            self.issues.add(ERROR, "sie.line.too_long", message, line + 1)
            self.issues.truncated = True  # what was not read is not checked
        return self._read_end(line)

    def read_data(self, data: bytes, line: int = 0) -> Generator[Record, None, int]:
        """Like ``read``, for whole lines already in memory."""
        line = yield from self._piece(data, line)
        self.checksum.flush()
        return self._read_end(line)

    def _read_end(self, line: int) -> int:
        scan.flush_sums(self.scan)
        self.lines_read = line
        return line

    def flush_header(self) -> Iterator[Record]:
        """Yield the buffered header now, as the first #VER would."""
        yield from self.header.flush()
        if self.header_state is None:
            self.header_state = self._record_state()

    def finish(self) -> Iterator[Record]:
        """The end-of-file rules, after ``read()`` of the whole file."""
        if self.vouchers.open is not None:
            self.vouchers.cut_off(said=self.reader.overlong)
        yield from self.flush_header()
        eof.end_rules(self)
        for issue in self.issues.pending:
            yield issue if issue.file else issue._replace(file=self.filename)
        self.issues.pending.clear()

    def _record_state(self) -> tuple[dict[str, int], dict[tuple[str, str], tuple]]:
        labels = {k: n for k, n in self.label_counts.items() if k != "#VER"}
        return labels, {k: tuple(v) for k, v in self.issues.tallies.items()}

    def only_vouchers_since_header(self) -> bool:
        """No record but #VER (and its rows) since the header was yielded."""
        return self.header_state is not None and self._record_state() == self.header_state

    def _piece(self, data: bytes, line: int) -> Generator[Record, None, int]:
        """One piece of whole lines; ``line`` is the number before it; returns the last.

        At a #VER line start, while the state is ``plain``, the accelerator
        reads as many plain blocks as it can; the rest, up to the next #VER
        line, goes line by line."""
        ctx, checksum = self.scan, self.checksum
        pos, end = 0, len(data)
        while pos < end:
            if data.startswith(b"#VER", pos) and self.plain:
                vouchers, after, last, rows = scan.read_blocks(ctx, data, pos, line, checksum.parts if checksum.summing else None)
                if vouchers:
                    pos, line = after, last
                    yield from self._blocks_read(vouchers, rows, line)  # a list: no generator in between
                    continue
            nxt = data.find(b"\n#VER", pos)
            stop = end if nxt < 0 else nxt + 1
            lines = data[pos:stop].split(b"\n")
            if not lines[-1]:
                lines.pop()
            scan.flush_sums(ctx)  # the line path adds to the same totals, in file order
            yield from self._lines(lines, line)
            line += len(lines)
            pos = stop
        return line

    def _blocks_read(self, vouchers: list[Record], rows: int, line: int) -> list[Record]:
        """Count what the accelerator read (up to ``line``); what to yield."""
        self.stats.vouchers += len(vouchers)
        self.stats.rows += rows
        self.label_counts["#VER"] = self.label_counts.get("#VER", 0) + len(vouchers)
        self.first_seen.setdefault("#VER", vouchers[0].line)
        self.issues.line = line
        pending = self.issues.pending
        if not pending:
            return vouchers
        # Left by the last voucher's fields: they come before it.
        out = [*vouchers[:-1], *pending, vouchers[-1]]
        pending.clear()
        return out

    def _lines(self, lines: list[bytes], line: int) -> Iterator[Record]:
        """The reference reader, line by line; ``line`` is the number before the first."""
        pending = self.issues.pending
        header = self.header
        plain_period = header.plain_period
        for raw in lines:
            line += 1
            s = raw.strip()
            if not s:
                continue
            if s.startswith(b"#P") and self.vouchers.open is None and not header.flushed and self.after_checksum is None and plain_period(s, line):
                continue
            if (out := self._line(s, line)) is not None:
                yield from out
            if pending and header.flushed:
                yield from pending
                pending.clear()

    def _line(self, s: bytes, line: int) -> Iterable[Record] | None:
        """One stripped, non-empty line that no fast path took."""
        self.issues.line = line
        if s == b"{":
            self.vouchers.open_block()
            return None
        if s == b"}":
            v = self.vouchers.close_block()
            return None if v is None else [v]
        if s[0] != 0x23:  # '#'
            self.issues.add(WARNING, "sie.line.not_a_record", "This line is not a SIE record (records start with '#'); it is ignored.", line)
            return None
        fields = self._split(s, line)
        label = fields[0]
        if self.checksum.summing and label != b"#KSUMMA":
            self.checksum.parts.append(checksum_bytes(fields))
        kind = ROW_KIND.get(label)
        if kind is not None:
            self.vouchers.row(fields, kind, s)
            return None
        return self._record(label, fields)

    def _split(self, s: bytes, line: int) -> list[Field]:
        """The line's fields, lexical problems as issues."""
        fields, problems = split_fields(s)
        for p in problems:
            self.issues.add(WARNING, p.code, p.message, line, p.column)
        return fields

    def _record(self, label: bytes, fields: list[Field]) -> Iterable[Record] | None:
        name = label.decode("ascii", errors="replace") if label.isascii() else self.fields.text(label)
        self.first_seen.setdefault(name, self.issues.line)
        self.label_counts[name] = self.label_counts.get(name, 0) + 1
        if self.after_checksum is not None and name != "#KSUMMA":
            self.issues.once("after", WARNING, "sie.checksum.after_close", "Records after the closing #KSUMMA are not covered by the checksum.")
        # Any record but #VER ends a voucher block that was not closed.
        ended = self.vouchers.end(unclosed=True) if self.vouchers.open is not None and name != "#VER" else None
        out = self._handle(name, fields)
        if ended is None:
            return out
        return [ended, *(out or ())]

    def _handle(self, name: str, fields: list[Field]) -> Iterable[Record] | None:
        spec = LABELS.get(name)
        if spec is None:
            self.issues.once(name, INFO, "sie.label.unknown", f"{name} is not a SIE 4 label; its records are kept but not used.")
            text = self.fields.text
            return [UnknownRecord(name, tuple(text(f) if type(f) is bytes else tuple(text(x) for x in f) for f in fields[1:]), self.issues.line)]
        if name in _OBJECTS_OPTIONAL and (len(fields) == 4 or (len(fields) > 4 and type(fields[4]) is bytes)):
            if len(fields) > 4:  # as written by Sie4j: read as an empty list, as for #TRANS
                self.issues.tally("sie.objects.missing", "period", f"{name} has no object list ({{}}) before its amount; read as an empty one")
            fields = [*fields[:4], (), *fields[4:]]
        if len(fields) - 1 < spec.required and name != "#ORGNR":
            missing = missing_field(spec, fields[1:])
            self.issues.add(ERROR if name in _STRICT else WARNING, "sie.field.missing", f"{name} lacks its mandatory field '{missing}'.")
            if name not in _READ_ANYWAY or len(fields) < 2:
                return None
            fields = fields + [b""] * (spec.required + 1 - len(fields))
        elif len(fields) - 1 > len(spec.fields):
            self.issues.once(name, INFO, "sie.field.extra", f"{name} has more fields than SIE 4 defines; the extra ones are kept but not used.")
        return self.handlers[name](fields)

    def _on_ver(self, f: list[Field]) -> Iterable[Record] | None:
        prev = self.vouchers.end(unclosed=True) if self.vouchers.open is not None else None
        out = [] if prev is None else [prev]
        header = None if self.header.flushed else self.flush_header()
        self.vouchers.start(f)
        if header is not None:
            # Streamed, not listed: a big file's header holds a hundred
            # thousand period balances.  Nothing above changes what it yields.
            return chain(header, out)
        return out or None

    def _on_ksumma(self, f: list[Field]) -> None:
        ck, issue = self.checksum, self.issues.add
        if len(f) == 1 or f[1] == b"":
            if ck.opened_line is None:
                ck.open(self.issues.line)
            else:
                issue(WARNING, "sie.checksum.reopened", "A second opening #KSUMMA is ignored.")
            return None
        tok = f[1]
        value = int(tok) if type(tok) is bytes and tok.isdigit() and len(tok) <= 20 else None
        if ck.opened_line is None:
            issue(ERROR, "sie.checksum.no_opening", "A closing #KSUMMA without an opening #KSUMMA after #FLAGGA: the checksum cannot be verified.")
        ck.close(self.issues.line, value)
        self.after_checksum = self.issues.line
        if ck.opened_line is None:
            return None
        if value is None:
            issue(ERROR, "sie.checksum.mismatch", "The closing #KSUMMA has no number to compare.")
        elif ck.outcome == "mismatch":
            issue(
                ERROR,
                "sie.checksum.mismatch",
                f"The file's checksum (#KSUMMA {value}) does not match its content (computed {ck.computed}): "
                "it was changed or damaged after it was written.",
            )
        return None
