"""Field conversions: a field's bytes as text, date, amount, quantity, number,
account or object list, with an issue where a field is not what it should be.

Values that repeat (accounts, dates, object lists) are converted once and
remembered; the C block reader (``_scan.c``) looks them up in the same dicts
and calls ``plain_date``, ``row_date`` and ``object_list`` for new ones.
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from ekonomi.core import Severity

from .encoding import FieldDecoder
from .issues import IssueLog
from .lexer import CONTROL, Field

ERROR, WARNING = Severity.ERROR, Severity.WARNING
ObjectList = tuple[tuple[int, str], ...]
OBJ_PAIR = re.compile(rb'([0-9]+)[ \t]+"([^"]*)"')  # in a simple object list
# An amount has at most 13 digits of kronor (|amount| < 10^13 kr): what real
# books hold, and sums of integer öre stay far inside 64 bits.
AMOUNT_DIGITS = 13
_NO_CONTROL = dict.fromkeys(c for c in range(128) if CONTROL.match(bytes([c])))  # what SIE forbids in a text


def max_field() -> int:
    """The longest text field, in bytes (``EKONOMI_SIE_MAX_FIELD_KB``, 64 KB by
    default, 4 KB at least: the C block reader leaves longer ones to Python)."""
    return max(4, int(os.environ.get("EKONOMI_SIE_MAX_FIELD_KB", "64"))) * 1024


class FieldReader:
    """Converts fields of one file; issues go to ``issues`` at its current line."""

    def __init__(self, decoder: FieldDecoder, issues: IssueLog) -> None:
        self.decoder = decoder
        self.issues = issues
        self.accounts: dict[bytes, str] = {}
        self.objects: dict[bytes, tuple[ObjectList, bytes]] = {b"": ((), b"")}  # inner bytes -> (pairs, #KSUMMA bytes)
        self.dates: dict[bytes, date | None] = {}
        self.decoded_objects = False  # an object list's ids went through the decoder
        self.max_field = max_field()
        self.dimensions_used: dict[int, int] = {}  # in object lists: dimension -> first line
        self.odd_accounts: dict[str, int] = {}  # a non-numeric account used in a voucher or balance -> first line

    def text(self, value: Field) -> str:
        if type(value) is not bytes:
            value = b" ".join(value)
        if len(value) > self.max_field:
            kb = self.max_field // 1024
            self.issues.add(ERROR, "sie.field.too_long", f"A field of {len(value) // 1024} KB is longer than the {kb} KB a SIE field may be; it is cut there.")
            value = value[: self.max_field]
        text = value.decode("ascii") if value.isascii() else self.decoder.decode(value, self.issues.line)
        return text if text.isprintable() else text.translate(_NO_CONTROL)  # the lexer warned

    def _shown(self, value: Field) -> str:
        return repr(self.text(value) if type(value) is bytes else "an object list")

    def date(self, value: Field, what: str, required: bool = True) -> date | None:
        if type(value) is bytes:
            d = self.plain_date(value) if len(value) == 8 and value.isdigit() else None
            if d is not None:
                return d
            if not value and not required:
                return None
        self.issues.add(ERROR, "sie.date.invalid", f"The {what} {self._shown(value)} is not a date (YYYYMMDD).")
        return None

    def plain_date(self, value: bytes) -> date | None:
        """``YYYYMMDD`` digits as a date, None if not a date; remembered, no issue."""
        dates = self.dates
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

    def row_date(self, value: bytes, line: int) -> date | None:
        """A row's date on ``line`` (the C reader's callback)."""
        self.issues.line = line
        return self.date(value, "transaction date", required=False)

    def amount(self, value: Field, what: str) -> Decimal | None:
        if type(value) is bytes and value:
            body = value[1:] if value[0] == 0x2D else value  # '-'
            if body.isdigit() or (body.count(b".") == 1 and body.replace(b".", b"").isdigit() and body[-1] != 0x2E):
                if len(body.split(b".")[0].lstrip(b"0")) <= AMOUNT_DIGITS:
                    return Decimal(value.decode("ascii"))
                self.issues.add(ERROR, "sie.amount.too_large", f"The {what} {self._shown(value)} is beyond what books hold (at most 13 digits of kronor).")
                return None
        self.issues.add(ERROR, "sie.amount.invalid", f"The {what} {self._shown(value)} is not an amount (like -1250.00).")
        return None

    def quantity(self, value: Field) -> Decimal | None:
        if type(value) is not bytes or not value:
            return None
        try:
            q = Decimal(value.decode("ascii", errors="replace").replace(",", "."))
        except InvalidOperation:
            q = None
        if q is None or not q.is_finite():
            self.issues.add(WARNING, "sie.quantity.invalid", f"The quantity {self.text(value)!r} is not a number; it is left out.")
            return None
        return q

    def int(self, value: Field, what: str) -> int | None:
        if type(value) is bytes:
            v = value[1:] if value[:1] == b"-" else value
            if v.isdigit() and len(v) < 10:
                return int(value)
        self.issues.add(ERROR, "sie.field.invalid", f"The {what} {self.text(value) if type(value) is bytes else '{…}'!r} is not a whole number.")
        return None

    def account(self, value: Field, used: bool = True) -> str | None:
        """An account number; one that is not numeric (as SIE requires) is
        noted where it is ``used`` (a voucher row, a balance): end_rules decide."""
        if type(value) is bytes and value:
            acc = value.decode("ascii") if value.isascii() else self.text(value)
            if used and not value.isdigit():
                self.odd_accounts.setdefault(acc, self.issues.line)
            return acc
        self.issues.add(ERROR, "sie.field.missing", "The account number is missing.")
        return None

    def object_refs(self, value: Field) -> ObjectList:
        """An object list field as (dimension, id) pairs."""
        issue = self.issues.add
        if type(value) is bytes:
            issue(ERROR, "sie.objects.invalid", f"Expected an object list in braces, found {self.text(value)!r}.")
            return ()
        if len(value) % 2:
            issue(WARNING, "sie.objects.odd", "An object list has a dimension without an object; the dangling dimension is ignored.")
        pairs = []
        for i in range(0, len(value) - 1, 2):
            dim = value[i]
            if not dim.isdigit() or len(dim) > 9:
                issue(WARNING, "sie.objects.invalid", f"{self.text(dim)!r} in an object list is not a dimension number; that pair is ignored.")
                continue
            pairs.append((int(dim), self.text(value[i + 1])))
        self.used_in(pairs, self.issues.line)
        return tuple(pairs)

    def used_in(self, pairs: ObjectList | list[tuple[int, str]], line: int) -> None:
        for d, _ in pairs:
            self.dimensions_used.setdefault(d, line)

    def object_list(self, inner: bytes, line: int) -> tuple[ObjectList, bytes]:
        """The inside of a simple object list (``1 "10" 6 "P1"``) on ``line``:
        its pairs and #KSUMMA bytes, remembered."""
        self.issues.line = line  # ids may go to the decoder, which notes the line
        if not inner.isascii():
            self.decoded_objects = True  # the cache then saves decoder decisions
        pairs = OBJ_PAIR.findall(inner)
        result = (tuple((int(d), self.text(o)) for d, o in pairs), b"".join(d + o for d, o in pairs))
        self.used_in(result[0], line)
        if len(self.objects) < 100_000:
            self.objects[inner] = result
        return result
