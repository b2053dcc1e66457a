"""Splitting one SIE line into fields (spec §5.3-5.10).

A line is returned as a list whose items are ``bytes`` (a field, quotes and
escapes removed) or ``tuple[bytes, ...]`` (an object list ``{1 "100" 6 "P1"}``).
Bytes stay bytes: only the fields a record uses are decoded, and the
#KSUMMA input is the fields' raw contents.

Rules: fields are separated by spaces or tabs; any field may be quoted; ``\\"``
is a quote, inside quotes or not; a lone ``\\`` is a literal (Windows paths); ``""`` is
an empty field; braces group object lists.  Bad quoting never stops the read:
an unclosed quote runs to the end of the line, a quote that cannot close a
field is kept as a character, and both are reported as ``Problem``s.

Most lines take a fast path (``bytes.split`` in C); a line with an escape or
suspicious quoting takes the careful character-by-character path.
"""

from __future__ import annotations

import re
from typing import NamedTuple

Field = bytes | tuple[bytes, ...]

_QUOTE, _BACKSLASH, _OPEN, _CLOSE = 0x22, 0x5C, 0x7B, 0x7D
_ENDS_FIELD = (0x20, 0x09, _CLOSE)
# ASCII 0-31 but tab, and 127: forbidden inside fields (spec §5.7).  The
# fields keep them (the #KSUMMA input is the bytes as written); texts drop
# them when decoded (FieldReader.text).
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BARE_QUOTE = re.compile(rb'(?<!\\)"')
_BLANKS, _UNQUOTED = re.compile(rb"[ \t]*"), re.compile(rb"[^ \t{}]*")


class Problem(NamedTuple):
    """A lexical fault: ``column`` is 1-based (bytes)."""

    column: int
    code: str
    message: str


def split_fields(line: bytes) -> tuple[list[Field], list[Problem]]:
    """Split a stripped, non-empty line into fields."""
    if (m := CONTROL.search(line)) is not None:
        # bytes.split() would also split at some control characters; only
        # spaces and tabs separate fields.
        fields, problems = _careful(line)
        at = m.start()
        message = f"A field holds a control character (byte 0x{line[at]:02X}), which SIE forbids; it is left out of the text."
        return fields, [Problem(at + 1, "sie.text.control", message), *problems]
    if b'"' not in line:
        if b"{" not in line and b"}" not in line:
            return line.split(), []
        return _group([(False, line)], line)
    if b"\\" not in line:
        parts = line.split(b'"')
        if len(parts) % 2 and _well_quoted(parts):
            return _group([(bool(i & 1), p) for i, p in enumerate(parts)], line)
    return _careful(line)


def checksum_bytes(fields: list[Field]) -> bytes:
    """The #KSUMMA input of a record: its fields' contents, nothing between."""
    return b"".join([f if type(f) is bytes else b"".join(f) for f in fields])


def _well_quoted(parts: list[bytes]) -> bool:
    # Every quote pair must sit between separators: ' "x" ', '{"1"', '"x"}', '"x"' at the end.
    for i in range(1, len(parts), 2):
        before, after = parts[i - 1], parts[i + 1]
        if not before or before[-1] not in (0x20, 0x09, _OPEN):
            return False
        if after and after[0] not in _ENDS_FIELD:
            return False
    return True


def _group(segments: list[tuple[bool, bytes]], line: bytes) -> tuple[list[Field], list[Problem]]:
    """Fields from (quoted?, bytes) segments, with braces turned into tuples."""
    out: list[Field] = []
    group: list[bytes] | None = None
    problems: list[Problem] = []
    for quoted, seg in segments:
        if quoted:
            (out if group is None else group).append(seg)
            continue
        if b"{" not in seg and b"}" not in seg:
            (out if group is None else group).extend(seg.split())
            continue
        for tok in seg.replace(b"{", b" { ").replace(b"}", b" } ").split():
            if tok == b"{":
                if group is not None:
                    problems.append(Problem(line.find(b"{") + 1, "sie.lex.nested_brace", "An object list is opened inside another one."))
                    out.append(tuple(group))
                group = []
            elif tok == b"}":
                if group is None:
                    problems.append(Problem(line.find(b"}") + 1, "sie.lex.stray_brace", "A '}' closes no object list; it is ignored."))
                else:
                    out.append(tuple(group))
                    group = None
            else:
                (out if group is None else group).append(tok)
    if group is not None:
        problems.append(Problem(line.rfind(b"{") + 1, "sie.lex.unclosed_brace", "An object list has no closing '}'; it runs to the end of the line."))
        out.append(tuple(group))
    return out, problems


def _closing_quote_at(line: bytes, i: int) -> bool:
    """Can the quote at ``i`` close a field (followed by a separator or the end)?"""
    return i + 1 >= len(line) or line[i + 1] in _ENDS_FIELD


def _careful(line: bytes) -> tuple[list[Field], list[Problem]]:
    out: list[Field] = []
    group: list[bytes] | None = None
    problems: list[Problem] = []
    n = len(line)
    i = 0
    while (i := _BLANKS.match(line, i).end()) < n:
        c = line[i]
        if c == _OPEN:
            if group is not None:
                problems.append(Problem(i + 1, "sie.lex.nested_brace", "An object list is opened inside another one."))
                out.append(tuple(group))
            group = []
            i += 1
            continue
        if c == _CLOSE:
            if group is None:
                problems.append(Problem(i + 1, "sie.lex.stray_brace", "A '}' closes no object list; it is ignored."))
            else:
                out.append(tuple(group))
                group = None
            i += 1
            continue
        if c == _QUOTE:
            value, i = _quoted(line, i, problems)
        else:
            start, i = i, _UNQUOTED.match(line, i).end()
            value = line[start:i]
            if b'"' in value:
                # \" is a quote in any field (§5.7); a bare one is kept as it is.
                if (bare := _BARE_QUOTE.search(value)) is not None:
                    problems.append(Problem(start + bare.start() + 1, "sie.lex.stray_quote", "A quote inside an unquoted field is kept as a character."))
                value = value.replace(b'\\"', b'"')
        (out if group is None else group).append(value)
    if group is not None:
        problems.append(Problem(line.rfind(b"{") + 1, "sie.lex.unclosed_brace", "An object list has no closing '}'; it runs to the end of the line."))
        out.append(tuple(group))
    return out, problems


def _quoted(line: bytes, start: int, problems: list[Problem]) -> tuple[bytes, int]:
    """Read the quoted field opening at ``start``; return its value and the next index."""
    buf = bytearray()
    i = start + 1
    while (q := line.find(b'"', i)) >= 0:
        if line[q - 1] == _BACKSLASH and q - 1 >= i:  # \" is a quote inside the text
            buf += line[i : q - 1]
            buf.append(_QUOTE)
            i = q + 1
            continue
        buf += line[i:q]
        if _closing_quote_at(line, q):
            return bytes(buf), q + 1
        # A quote that cannot close the field (SoftOne XE writes letters
        # as bare quotes: "F"rskott till Lind" Park").  Keep it, and let
        # the field run to the last quote on the line that can close it.
        problems.append(Problem(q + 1, "sie.lex.stray_quote", "A quote inside a text is kept as a character; the text ends at the last closing quote on the line."))
        end = _last_closing_quote(line, q + 1)
        i = q
        if end < 0:
            break
        buf += line[q:end].replace(b'\\"', b'"')
        return bytes(buf), end + 1
    problems.append(Problem(start + 1, "sie.lex.unterminated_quote", "A text has no closing quote; it is read to the end of the line."))
    buf += line[i:].replace(b'\\"', b'"')
    return bytes(buf), len(line)


def _last_closing_quote(line: bytes, after: int) -> int:
    i = len(line)
    while True:
        i = line.rfind(b'"', after, i)
        if i < 0:
            return -1
        if _closing_quote_at(line, i) and line[i - 1] != _BACKSLASH:
            return i
