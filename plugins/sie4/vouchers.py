"""The voucher block, line by line: ``#VER``, ``{``, its rows, ``}``.

Row kinds (spec §11 #RTRANS/#BTRANS): every ``#TRANS`` is POSTED and is what
counts; an ``#RTRANS`` (ADDED) is paired with the ``#TRANS`` that follows it
even where its date or signature differ; ``#BTRANS`` rows are REMOVED.  Both
are kept as correction history only.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ekonomi.core import RowKind, Severity, Voucher, VoucherRow

from .checksum import Checksum
from .fields import FieldReader, ObjectList
from .issues import IssueLog
from .labels import LABELS, missing_field
from .lexer import Field
from .stats import Stats

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
POSTED, ADDED, REMOVED = RowKind.POSTED, RowKind.ADDED, RowKind.REMOVED
ROW_KIND = {b"#TRANS": POSTED, b"#RTRANS": ADDED, b"#BTRANS": REMOVED}
_NAME = {POSTED: "#TRANS", ADDED: "#RTRANS", REMOVED: "#BTRANS"}
_ZERO = Decimal(0)
_new = tuple.__new__
# A simple object list as _scan.c's parse_objects takes it; group 1 is its key there.
SIMPLE_OBJECTS = re.compile(rb'\{((?:[ \t]*[0-9]{1,9}[ \t]+"[^"\\\s{}\x00-\x1f\x7f]*")*)[ \t]*\}')


class _Voucher:
    """A #VER being read: its head and the rows seen so far."""

    __slots__ = ("series", "number", "date", "text", "regdate", "sign", "line", "rows", "block", "pending_twin", "valid")

    def __init__(self, line: int) -> None:
        self.line = line
        self.rows: list[VoucherRow] = []
        self.block = False  # its '{' was seen
        self.pending_twin: VoucherRow | None = None  # an #RTRANS waiting for its #TRANS
        self.valid = True


class VoucherBlocks:
    """The voucher being read (``open``, None between vouchers) and its rules."""

    def __init__(self, fields: FieldReader, issues: IssueLog, stats: Stats, checksum: Checksum) -> None:
        self.fields = fields
        self.issues = issues
        self.stats = stats
        self.checksum = checksum
        self.open: _Voucher | None = None

    def start(self, f: list[Field]) -> None:
        """A #VER line (the previous voucher ended)."""
        text = self.fields.text
        self.stats.vouchers += 1
        v = self.open = _Voucher(self.issues.line)
        v.series = text(f[1])
        v.number = text(f[2])
        v.date = self.fields.date(f[3], "voucher date")
        v.valid = v.date is not None
        v.text = text(f[4]) if len(f) > 4 else ""
        v.regdate = self.fields.date(f[5], "registration date", required=False) if len(f) > 5 else None
        v.sign = (text(f[6]) or None) if len(f) > 6 else None

    def open_block(self) -> None:
        v = self.open
        if v is None or v.block:
            self.issues.add(ERROR, "sie.block.stray_open", "A '{' that does not follow a #VER.")
            return
        v.block = True

    def close_block(self) -> Voucher | None:
        v = self.open
        if v is None or not v.block:
            self.issues.add(ERROR, "sie.block.stray_close", "A '}' that closes no #VER block.")
            return None
        return self.end(unclosed=False)

    def end(self, unclosed: bool) -> Voucher | None:
        """The open voucher ends: its record, None if it is not valid."""
        v = self.open
        assert v is not None
        self.open = None
        if not v.block:
            self.issues.add(ERROR, "sie.block.missing", "This #VER has no { } block with its rows.", v.line)
        elif unclosed:
            self.issues.add(ERROR, "sie.block.unclosed", "This #VER's block has no closing '}'.", v.line)
        elif not v.rows:
            self.issues.add(WARNING, "sie.voucher.empty", "This #VER has no rows.", v.line)
        if v.pending_twin is not None:
            self._twin_missing(v.pending_twin)
        if not v.valid:
            return None
        return _new(Voucher, (v.series, v.number, v.date, v.text, tuple(v.rows), v.regdate, v.sign, None, v.line))

    def cut_off(self, said: bool = False) -> None:
        """The read ends inside the open voucher: it is left out, and the
        error says why (its rows are not all there to be checked), unless
        one was ``said`` already."""
        v = self.open
        assert v is not None
        self.open = None
        self.issues.truncated = True
        if said:
            return
        message = f"The file ends inside the voucher on line {v.line}: it looks truncated (cut off before its end)."
        self.issues.add(ERROR, "sie.file.truncated", message, v.line)

    def _twin_missing(self, added: VoucherRow) -> None:
        message = "This #RTRANS is not followed by its #TRANS twin; as the spec says, only #TRANS rows are posted, so this added row is history only."
        self.issues.add(WARNING, "sie.rtrans.no_twin", message, added.line)

    def _post(self, acc: str, amount: Decimal) -> None:
        st = self.stats
        st.rows += 1
        if amount > 0:
            st.debit += amount
        else:
            st.credit += amount
        st.movements[acc] = st.movements.get(acc, _ZERO) + amount

    def row(self, f: list[Field], kind: RowKind, raw: bytes) -> None:
        """A #TRANS, #RTRANS or #BTRANS line ``raw``, split into fields ``f``."""
        v = self.open
        name = _NAME[kind]
        if v is None or not v.block:
            self.issues.add(ERROR, "sie.block.row_outside", f"{name} outside a #VER block; the row is ignored.")
            return
        row = self._row_record(f, kind, name, raw)
        if row is None:
            v.valid = False
            return
        if kind is POSTED:
            self._post(row.account, row.amount)
            twin, v.pending_twin = v.pending_twin, None
            if twin is not None and (twin.account, twin.amount, twin.objects) != (row.account, row.amount, row.objects):
                self.issues.add(
                    WARNING,
                    "sie.rtrans.twin_differs",
                    f"The #TRANS after an #RTRANS should repeat it; account, objects or amount differ "
                    f"(#RTRANS {twin.account} {twin.amount}, #TRANS {row.account} {row.amount}).",
                )
        else:
            if kind is ADDED:
                self.stats.added_rows += 1
            else:
                self.stats.removed_rows += 1
            if v.pending_twin is not None:
                self._twin_missing(v.pending_twin)
            v.pending_twin = row if kind is ADDED else None
        v.rows.append(row)

    def _row_record(self, f: list[Field], kind: RowKind, name: str, raw: bytes) -> VoucherRow | None:
        """The row's record; None (with an issue) if a mandatory field is missing or wrong."""
        fields, issue = self.fields, self.issues.add
        n = len(f)
        if n > 2 and type(f[2]) is bytes:
            issue(WARNING, "sie.objects.missing", f"{name} has no object list ({{}}) before its amount; read as an empty one.")
            f = [f[0], f[1], (), *f[2:]]
            n += 1
        if n < 4:
            issue(ERROR, "sie.field.missing", f"{name} lacks its mandatory field '{missing_field(LABELS[name], f[1:])}'.")
            return None
        if n > 8:
            self.issues.once(name, INFO, "sie.field.extra", f"{name} has more fields than SIE 4 defines; the extra ones are kept but not used.")
        acc = fields.account(f[1])
        objs = self._objects(f[2], raw)
        amount = fields.amount(f[3], "amount")
        if acc is None or amount is None:
            return None
        day, text, qty, sign = self._extras(f, 4)
        return VoucherRow(acc, amount, objs, day, text, qty, kind, sign, self.issues.line)

    def _objects(self, value: Field, raw: bytes) -> ObjectList:
        """A row's object list.  A simple one is read by its raw inside, and
        remembered, as the C block reader reads it: both decode its ids alike."""
        if type(value) is not bytes and (m := SIMPLE_OBJECTS.search(raw)) is not None:
            return (self.fields.objects.get(m.group(1)) or self.fields.object_list(m.group(1), self.issues.line))[0]
        return self.fields.object_refs(value) if value else ()

    def _extras(self, f: list[Field], i: int) -> tuple:
        """A row's optional fields from ``f[i]`` on: date, text, quantity, signature."""
        fields, n = self.fields, len(f)
        day = fields.date(f[i], "transaction date", required=False) if n > i and f[i] else None
        text = (fields.text(f[i + 1]) or None) if n > i + 1 else None
        qty = fields.quantity(f[i + 2]) if n > i + 2 else None
        return day, text, qty, (fields.text(f[i + 3]) or None) if n > i + 3 else None
