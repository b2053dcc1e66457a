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
    """Decodes fields and remembers what it decided, where, and what looked wrong."""

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}  # encoding -> first line that used it
        self.counts: dict[str, int] = {}
        self.replacement_lines = 0  # lines holding U+FFFD
        self.replacement_first: int | None = None
        self.mojibake_lines = 0
        self.mojibake_first: int | None = None
        self._last_flag_line = -1
        self._last_moji_line = -1
        self._cache: dict[bytes, tuple[str, str]] = {}
        self._prior: str | None = None
        # Set by a reader that starts mid-file: then note any decision that
        # would have gone otherwise under another prior (see check.py).
        self.speculative = False
        self.prior_dependent = False

    @property
    def prior(self) -> str:
        """The encoding most fields used so far (CP437 when nothing is known);
        on a tie the one first used, as ``max`` over ``counts`` would say."""
        return self._prior or CP437

    def _count(self, enc: str) -> None:
        counts = self.counts
        n = counts[enc] = counts.get(enc, 0) + 1
        prior = self._prior
        if prior is None:
            self._prior = enc
        elif enc != prior:
            top = counts[prior]
            if n > top or (n == top and list(counts).index(enc) < list(counts).index(prior)):
                self._prior = enc

    def recount(self) -> None:
        """Recompute ``prior`` after ``counts`` was changed from outside."""
        self._prior = max(self.counts, key=self.counts.__getitem__) if self.counts else None

    def decode(self, data: bytes, line: int) -> str:
        # A voucher text is decoded per voucher, a million times in a big
        # file: the common cases (remembered, or the prior) skip the calls.
        # _scan.c (decode_common) repeats the remembered case and the certain
        # CP437 case step for step: change them together (the differential
        # tests in tests/test_sie_fastpaths.py compare the decisions).
        hit = self._cache.get(data)  # holds non-ASCII texts only
        if hit is not None:
            enc = hit[1]
            if enc == self._prior:
                self.counts[enc] += 1  # the prior stays the prior
            else:
                self._count(enc)
            return hit[0]
        if data.isascii():
            return data.decode("ascii")
        prior = self._prior or CP437
        enc = guess(data, prior)
        # Would the other prior have decided otherwise?  (A UTF-8 prior
        # decides as CP437 does, so one more guess tells.)
        if self.speculative and enc != guess(data, CP437 if prior == CP1252 else CP1252):
            self.prior_dependent = True
        self._count(enc)
        if enc not in self.first_line:
            self.first_line[enc] = line
        if enc == CP437:
            text = _charmap_decode(data, "strict", _CP437_TABLE)[0]
        else:
            text = _cp1252(data) if enc == CP1252 else data.decode(enc)
        if enc == UTF8:
            if "\ufffd" in text and line != self._last_flag_line:
                self._last_flag_line = line
                self.replacement_lines += 1
                if self.replacement_first is None:
                    self.replacement_first = line
        if len(self._cache) < 20000 and enc == CP437:
            # Repeated texts (voucher texts, names) are decided once; only
            # plain CP437 ones, so every damaged line is still flagged.
            self._cache[data] = (text, enc)
        # CP437 decodes no byte to the characters _MOJIBAKE looks for.
        if enc != CP437 and _MOJIBAKE.search(text) and line != self._last_moji_line:
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
