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

    def open(self, line: int) -> None:
        self.opened_line = line
        self.summing = True

    def flush(self) -> None:
        """Hash what was collected so far (call once per chunk)."""
        if self.parts:
            self._crc = zlib.crc32(b"".join(self.parts), self._crc)
            self.parts.clear()

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
