"""Reading a file in pieces of whole lines, without holding it whole.

Pieces end at an LF, where they can just before a ``#VER`` line, so that a
voucher block lies whole in one piece (the block readers take it at once;
cut in two, both halves would go line by line); the caller splits them into lines (a CR before the LF is
removed with the other surrounding blanks by its ``strip``) or matches whole
voucher blocks in them.  A UTF-8 byte-order mark is taken off the
first line and remembered.  ``progress(done, total)`` is called once per chunk
(every 64 KB; the caller's progress throttles).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

# 64 KB: the data of a piece stays in the CPU caches while it is parsed
# (benchmarks/README.md).
CHUNK = 1 << 16
BOM = b"\xef\xbb\xbf"
HOLD = 4 * CHUNK  # the most of a voucher block held back so that it lies whole in one piece


def max_line() -> int:
    """The longest line read, in bytes (``EKONOMI_SIE_MAX_LINE_KB``, 1 MB by
    default): a SIE record is a few hundred bytes, and a longer line would be
    held whole in memory."""
    return max(64, int(os.environ.get("EKONOMI_SIE_MAX_LINE_KB", "1024"))) * 1024


class LineReader:
    """Iterates a file piece by piece: ``for data in reader.pieces()``.
    A line longer than ``max_line()`` ends the read: ``overlong`` is then set
    and nothing from that line on is given."""

    def __init__(self, path: Path | str, progress: Callable[[int, int], None] | None = None) -> None:
        self.path = Path(path)
        self.progress = progress
        self.total = self.path.stat().st_size
        self.bom = False
        self.final_newline = True
        self.max_line = max_line()
        self.overlong = False

    def pieces(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of the file (all of it by default) as
        pieces of whole lines of about CHUNK bytes: every piece ends with LF except
        perhaps the last (a file without a final line end), before a #VER
        line where the piece has one.  ``start`` and
        ``end`` must be line starts; a BOM is taken off at offset 0 only.
        Each byte is copied a bounded number of times, whatever the lines' lengths."""
        done = start
        held: list[bytes] = []  # read, not yet given: whole lines, then the line being read
        partial = 0  # bytes of the line being read
        stop = self.total if end is None else end
        with open(self.path, "rb") as f:
            f.seek(start)
            while done < stop and not self.overlong:
                data = f.read(min(CHUNK, stop - done))
                if not data:
                    break
                got = len(data)
                if done == 0 and data.startswith(BOM):
                    self.bom = True
                    data = data[len(BOM):]
                done += got
                held.append(data)
                last_lf = data.rfind(b"\n")
                partial = partial + len(data) if last_lf < 0 else len(data) - last_lf - 1
                if partial > self.max_line:
                    self.overlong = True
                    whole = b"".join(held)
                    held = []
                    if (lf := whole.rfind(b"\n")) >= 0:
                        yield whole[: lf + 1]  # the lines before it
                elif last_lf >= 0:
                    data = b"".join(held) if len(held) > 1 else data
                    at_lf = len(data) - len(held[-1]) + last_lf + 1
                    cut = data.rfind(b"\n#VER") + 1
                    if not cut or at_lf - cut > HOLD:  # a block too big to hold goes line by line
                        cut = at_lf
                    held = [data[cut:]] if cut < len(data) else []
                    yield data[:cut] if held else data
                if self.progress is not None:
                    self.progress(done, self.total)
        if held:
            if end is None or end >= self.total:
                self.final_newline = False
            yield b"".join(held)
