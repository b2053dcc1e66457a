"""#KSUMMA (spec §10): CRC-32 over every record between the opening and the
closing ``#KSUMMA``, each record being its label and its fields' contents with
nothing between them (no separators, quotes, braces or line ends).

``zlib.crc32`` is exactly the spec's CRC (polynomial EDB88320, preset and final
inversion).  The sum is computed on the raw bytes as read, so a file a writer
summed in UTF-8 verifies too.  Parts are collected per chunk and hashed in one
call, which keeps the per-line cost to a list append.
"""

from __future__ import annotations

import zlib

ABSENT, OK, MISMATCH, TRUNCATED = "absent", "ok", "mismatch", "truncated"


class Checksum:
    """Tracks one file's #KSUMMA: opened where, the running CRC, the outcome."""

    def __init__(self) -> None:
        self.opened_line: int | None = None
        self.closed_line: int | None = None
        self.declared: int | None = None
        self.computed: int | None = None
        self.summing = False
        self.parts: list[bytes] = []
        self._crc = 0
        self.length = 0  # bytes hashed so far

    def open(self, line: int) -> None:
        self.opened_line = line
        self.summing = True

    def flush(self) -> None:
        """Hash what was collected so far (call once per chunk)."""
        if self.parts:
            data = b"".join(self.parts)
            self._crc = zlib.crc32(data, self._crc)
            self.length += len(data)
            self.parts.clear()

    def append_crc(self, crc: int, length: int) -> None:
        """Continue the sum as if ``length`` more bytes whose own CRC is ``crc``
        had been hashed here (the other half of a file read in two)."""
        self.flush()
        self._crc = crc32_combine(self._crc, crc, length)
        self.length += length

    def close(self, line: int, declared: int | None) -> None:
        self.flush()
        self.summing = False
        self.closed_line = line
        self.declared = declared
        self.computed = self._crc

    @property
    def outcome(self) -> str:
        if self.opened_line is None and self.closed_line is None:
            return ABSENT
        if self.closed_line is None:
            return TRUNCATED
        if self.opened_line is None or self.declared is None:
            return MISMATCH
        return OK if (self.declared & 0xFFFFFFFF) == self.computed else MISMATCH


def _gf2_times(mat: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from crc32(A), crc32(B) and len(B): zlib's crc32_combine
    (the GF(2) matrix method: apply len2 zero bytes to crc1 by repeated
    squaring of the one-zero-bit operator), which zlib does not export to Python."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2
