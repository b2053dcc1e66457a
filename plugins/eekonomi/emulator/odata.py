"""The OData subset of the list endpoints (E.4): ``$filter`` with
``eq ne gt ge lt le``, ``and or not`` and parentheses; ``$orderby``;
``$select``.  Properties are top-level and matched without regard to case;
literals are strings (``'O''Hara'``), numbers, ``true/false/null``, bare
GUIDs, ISO dates and instants, and the legacy ``datetime'…'``.  Anything
else is a 400 with ErrorCode 2000, as the real API answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import bad_request
from .wire import parse_instant

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
COMPARE = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<str>'(?:[^']|'')*')|(?P<dt>datetime'[^']*')"
    r"|(?P<word>[0-9A-Za-z_.:+\-]+))"
)


def tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request(f"Invalid $filter near {text[pos:pos + 20]!r}", "$filter")
        out.append(m.group(m.lastgroup or "word"))
        pos = m.end()
    return out


class FilterParser:
    """Recursive descent: or → and → not → comparison | ( or )."""

    def __init__(self, text: str, fields: dict[str, str]) -> None:
        self.tokens, self.pos, self.fields = tokens(text), 0, fields

    def parse(self) -> Predicate:
        predicate = self._or()
        if self.pos != len(self.tokens):
            raise bad_request(f"Unexpected {self.tokens[self.pos]!r} in $filter", "$filter")
        return predicate

    def _next(self) -> str:
        if self.pos >= len(self.tokens):
            raise bad_request("Incomplete $filter", "$filter")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _peek(self, *words: str) -> bool:
        return self.pos < len(self.tokens) and self.tokens[self.pos].lower() in words

    def _or(self) -> Predicate:
        left = self._and()
        while self._peek("or"):
            self.pos += 1
            left = (lambda a, b: lambda r: a(r) or b(r))(left, self._and())
        return left

    def _and(self) -> Predicate:
        left = self._not()
        while self._peek("and"):
            self.pos += 1
            left = (lambda a, b: lambda r: a(r) and b(r))(left, self._not())
        return left

    def _not(self) -> Predicate:
        if self._peek("not"):
            self.pos += 1
            inner = self._not()
            return lambda r: not inner(r)
        if self._peek("("):
            self.pos += 1
            inner = self._or()
            if self._next() != ")":
                raise bad_request("Missing ) in $filter", "$filter")
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        name, op, literal = self._next(), self._next().lower(), literal_value(self._next())
        key = self.fields.get(name.lower())
        if key is None:
            raise bad_request(f"Could not find a property named '{name}'", "$filter")
        if op not in COMPARE:
            raise bad_request(f"Unknown operator '{op}' in $filter", "$filter")
        compare = COMPARE[op]

        def test(record: Record) -> bool:
            a, b = coerce(record.get(key), literal)
            if a is None or b is None:
                return compare(a, b) if op in ("eq", "ne") else False
            try:
                return bool(compare(a, b))
            except TypeError:
                raise bad_request(f"'{name}' cannot be compared with {literal!r}", "$filter") from None

        return test


def literal_value(text: str) -> Any:
    low = text.lower()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if low.startswith("datetime'"):
        text = text[9:-1]
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    instant = parse_instant(text)
    if instant is not None:
        return instant
    if re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text):
        return text.lower()
    try:
        return Decimal(text.rstrip("mMdDfFlL"))
    except InvalidOperation:
        raise bad_request(f"Invalid literal {text!r} in $filter", "$filter") from None


def coerce(value: Any, literal: Any) -> tuple[Any, Any]:
    """Bring a property's value and a literal to comparable types."""
    if isinstance(value, datetime) and isinstance(literal, date) and not isinstance(literal, datetime):
        return value, datetime(literal.year, literal.month, literal.day, tzinfo=timezone.utc)
    if isinstance(value, date) and not isinstance(value, datetime) and isinstance(literal, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc), literal
    if isinstance(value, bool) or isinstance(literal, bool):
        return value, literal
    if isinstance(value, (int, Decimal)) and isinstance(literal, Decimal):
        return Decimal(value), literal
    if isinstance(value, str) and not isinstance(literal, str) and literal is not None:
        return value, str(literal)  # e.g. Number eq 1930 on a string account number
    if isinstance(value, str) and isinstance(literal, str):
        return value.lower(), literal.lower()  # GUIDs and text compare without case
    return value, literal


def field_names(names: Iterable[str]) -> dict[str, str]:
    """A schema's property names by their lower-case form."""
    return {k.lower(): k for k in names}


def apply_filter(items: list[Record], text: str | None, fields: dict[str, str]) -> list[Record]:
    if not text:
        return items
    predicate = FilterParser(text, fields).parse()
    return [r for r in items if predicate(r)]


def apply_orderby(items: list[Record], text: str | None, fields: dict[str, str]) -> list[Record]:
    """Sort by ``Prop [asc|desc], …``, stably; nulls first."""
    if not text:
        return items
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad_request(f"Invalid $orderby {text!r}", "$orderby")
        key = fields.get(words[0].lower())
        if key is None:
            raise bad_request(f"Could not find a property named '{words[0]}'", "$orderby")
        keys.append((key, len(words) == 2 and words[1].lower() == "desc"))
    out = list(items)
    for key, desc in reversed(keys):
        out.sort(key=lambda r: (r.get(key) is not None, r.get(key) if r.get(key) is not None else 0), reverse=desc)
    return out


def apply_select(items: list[Record], text: str | None, fields: dict[str, str]) -> list[Record]:
    if not text:
        return items
    wanted = []
    for name in (n.strip() for n in text.split(",")):
        key = fields.get(name.lower())
        if key is None:
            raise bad_request(f"Could not find a property named '{name}'", "$select")
        wanted.append(key)
    return [{k: r[k] for k in wanted} for r in items]
