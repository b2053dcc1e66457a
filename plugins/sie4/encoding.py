"""Deciding how the bytes of a SIE file are text.

The spec says CP437 (``#FORMAT PC8``), but real files are also UTF-8, CP1252
or ISO-8859-15, and Visma/SPCS put CP1252 Windows paths inside CP437 files.
So ``#FORMAT`` is never trusted: each non-ASCII field is decided from its own
bytes, and the file's encoding is the set of decisions made (``cp437+cp1252``
for a mixed file).  ASCII fields need no decision.
"""

from __future__ import annotations

import re
from codecs import charmap_decode as _charmap_decode

CP437, UTF8, CP1252 = "cp437", "utf-8", "cp1252"

# CP437 puts its letters (å ä ö Å Ä Ö é ü …) at 0x80-0xA5; CP1252/Latin-1 puts
# its letters at 0xC0-0xFF, where CP437 has box drawing and Greek.
_CP437_LETTERS = re.compile(rb"[\x80-\xa5]")
_LATIN_LETTERS = re.compile(rb"[\xc0-\xff]")
# What CP437 letters look like when CP437 bytes were once read as CP1252
# (ä→„ å→† ö→” Ä→Ž Ö→™ é→‚): "Ink”p tj„nster".
_MOJIBAKE = re.compile("[A-Za-z][\u201e\u2020\u201d\u017d\u2122\u201a][a-z]|[\u201e\u2020\u201d][a-z]{2}")


# CP1252 with its five undefined bytes taken as Latin-1, so decoding never fails.
_CP1252_TABLE = {i: bytes([i]).decode(CP1252, errors="replace") for i in range(0x80, 0xA0)}
_CP1252_TABLE.update({b: b for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)})


# What bytes.decode("cp437") does, without its Python-level codec frame.
_CP437_TABLE = bytes(range(256)).decode(CP437)


def _cp1252(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252_TABLE)


def guess(data: bytes, prior: str = CP437) -> str:
    """The encoding of one field (or line) of non-ASCII bytes."""
    if max(data) < 0xC0:
        # No byte >= 0xC0: cannot be UTF-8 (no lead byte), has no Latin-1 letter.
        return CP437 if prior != CP1252 or _CP437_LETTERS.search(data) else CP1252
    try:
        data.decode(UTF8)
        return UTF8
    except UnicodeDecodeError:
        pass
    dos = len(_CP437_LETTERS.findall(data))
    latin = len(_LATIN_LETTERS.findall(data))
    if dos > latin:
        return CP437
    if latin > dos:
        return CP1252
    return prior if prior != UTF8 else CP437


class FieldDecoder:
    """Decodes fields and remembers what it decided, where, and what looked wrong.

    The C block reader (``_scan.c``) decides the common cases itself, as
    ``decode`` would: a text in ``remembered`` while the prior is CP437, and a
    text that is CP437 for certain (prior CP437, not ``speculative``, no byte
    >= 0xC0), which it remembers as ``decode`` does (up to ``REMEMBER``
    texts).  It counts those decisions with ``note``; anything else goes to
    ``decode``.
    """

    REMEMBER = 20000

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}  # encoding -> first line that used it
        self.counts: dict[str, int] = {}
        self.prior = CP437  # the encoding most fields used so far; on a tie the one first used
        self.remembered: dict[bytes, str] = {}  # CP437 texts decided before
        self.replacement_lines = 0  # lines holding U+FFFD
        self.replacement_first: int | None = None
        self.mojibake_lines = 0
        self.mojibake_first: int | None = None
        self._last_flag_line = -1
        self._last_moji_line = -1
        # Set by a reader that starts mid-file: then note any decision that
        # would have gone otherwise under another prior (see halves.py).
        self.speculative = False
        self.prior_dependent = False

    def note(self, enc: str, line: int, n: int = 1) -> None:
        """Count ``n`` decisions for ``enc``, the first of them on ``line``."""
        counts = self.counts
        if enc == self.prior and enc in counts:
            counts[enc] += n  # the prior stays the prior
            return
        self.first_line.setdefault(enc, line)
        counts[enc] = counts.get(enc, 0) + n
        self.recount()

    def recount(self) -> None:
        """Recompute ``prior`` after ``counts`` changed (``max`` keeps the first of equals)."""
        self.prior = max(self.counts, key=self.counts.__getitem__) if self.counts else CP437

    def decode(self, data: bytes, line: int) -> str:
        # A voucher text is decoded per voucher, a million times in a big
        # file: the common cases (remembered, or the prior) skip the calls.
        text = self.remembered.get(data)  # holds non-ASCII texts only
        if text is not None:
            self.note(CP437, line)
            return text
        if data.isascii():
            return data.decode("ascii")
        prior = self.prior
        enc = guess(data, prior)
        # Would the other prior have decided otherwise?  (A UTF-8 prior
        # decides as CP437 does, so one more guess tells.)
        if self.speculative and enc != guess(data, CP437 if prior == CP1252 else CP1252):
            self.prior_dependent = True
        self.note(enc, line)
        if enc == CP437:
            text = _charmap_decode(data, "strict", _CP437_TABLE)[0]
            if len(self.remembered) < self.REMEMBER:
                # Repeated texts (voucher texts, names) are decided once; only
                # plain CP437 ones, so every damaged line is still flagged.
                self.remembered[data] = text
            return text  # CP437 decodes no byte to U+FFFD or to what _MOJIBAKE looks for
        text = _cp1252(data) if enc == CP1252 else data.decode(enc)
        if enc == UTF8 and "\ufffd" in text and line != self._last_flag_line:
            self._last_flag_line = line
            self.replacement_lines += 1
            if self.replacement_first is None:
                self.replacement_first = line
        if _MOJIBAKE.search(text) and line != self._last_moji_line:
            self._last_moji_line = line
            self.mojibake_lines += 1
            if self.mojibake_first is None:
                self.mojibake_first = line
        return text

    def name(self) -> str:
        """The contract name: ``cp437``, ``utf-8``, ``cp1252`` or two joined by ``+``."""
        if not self.counts:
            return CP437  # pure ASCII is valid CP437
        used = sorted(self.counts, key=lambda e: (-self.counts[e], e))
        return "+".join(used)
