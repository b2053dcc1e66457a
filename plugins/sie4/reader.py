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

from collections.abc import Callable, Iterator
from pathlib import Path

# 64 KB: the data of a piece stays in the CPU caches while it is parsed
# (benchmarks/README.md).
CHUNK = 1 << 16
BOM = b"\xef\xbb\xbf"


class LineReader:
    """Iterates a file piece by piece: ``for data in reader.pieces()``."""

    def __init__(self, path: Path | str, progress: Callable[[int, int], None] | None = None) -> None:
        self.path = Path(path)
        self.progress = progress
        self.total = self.path.stat().st_size
        self.bom = False
        self.final_newline = True

    def pieces(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of the file (all of it by default) as
        pieces of whole lines of about CHUNK bytes: every piece ends with LF except
        perhaps the last (a file without a final line end), before a #VER
        line where the piece has one.  ``start`` and
        ``end`` must be line starts; a BOM is taken off at offset 0 only."""
        done = start
        rest = b""
        stop = self.total if end is None else end
        with open(self.path, "rb") as f:
            f.seek(start)
            while done < stop:
                data = f.read(min(CHUNK, stop - done))
                if not data:
                    break
                got = len(data)
                if done == 0 and data.startswith(BOM):
                    self.bom = True
                    data = data[len(BOM):]
                done += got
                if rest:
                    data = rest + data
                cut = data.rfind(b"\n#VER") + 1 or data.rfind(b"\n") + 1
                rest = data[cut:]
                if cut:
                    yield data[:cut] if rest else data
                if self.progress is not None:
                    self.progress(done, self.total)
        if rest:
            if end is None or end >= self.total:
                self.final_newline = False
            yield rest
