"""Telling a SIE 4 file from what else arrives under a .se name.

``what_is(head)`` names the kind of a refused file in plain words ("an HTML
page", "a SIE 5 XML file", "a binary file") so the refusal can say what the
file *is*; it returns None for SIE 4 text.
"""

from __future__ import annotations

import re

_BOM = b"\xef\xbb\xbf"
_LABEL_LINE = re.compile(rb"^[ \t]*#[A-Za-z]+", re.MULTILINE)
_SIE_LABELS = (b"#FLAGGA", b"#SIETYP", b"#PROGRAM", b"#FORMAT", b"#GEN", b"#FNAMN", b"#KONTO", b"#VER", b"#RAR", b"#ORGNR", b"#KSUMMA")
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def what_is(head: bytes) -> str | None:
    """None for a SIE 4 text file; else a short description of what it is."""
    if not head.strip():
        return "an empty file"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    if text[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "a UTF-16 text file (SIE 4 files are 8-bit text)"
    stripped = text.lstrip()
    lower = stripped[:4096].lower()
    if stripped.startswith(b"<"):
        if b"sie.se/sie5" in lower or b"<sie" in lower:
            return "a SIE 5 XML file (this reader takes SIE 4)"
        if b"<html" in lower or b"<!doctype html" in lower or b"<body" in lower:
            return "an HTML page (perhaps an error page saved under the file's name)"
        return "an XML or HTML document"
    sample = text[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 and b != 26)
    if b"\x00" in sample or controls > len(sample) // 20:
        return "a binary file"
    first = _LABEL_LINE.search(text[:4096])
    if first is None or not any(lab in text for lab in _SIE_LABELS):
        return "a text file without SIE records"
    return None


def is_sie4(head: bytes) -> bool:
    return what_is(head) is None
