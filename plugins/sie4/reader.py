"""Reading a file as numbered lines, in chunks, without holding it whole.

Lines are split on LF; a CR before it is removed with the other surrounding
blanks by the caller's ``strip``.  A UTF-8 byte-order mark is taken off the
first line and remembered.  ``progress(done, total)`` is called once per chunk
(about every megabyte).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"


class LineReader:
    """Iterates a file chunk by chunk: ``for lines in reader.chunks()`` (lists of
    lines) or ``for data in reader.pieces()`` (bytes of whole lines)."""

    def __init__(self, path: Path | str, progress: Callable[[int, int], None] | None = None) -> None:
        self.path = Path(path)
        self.progress = progress
        self.total = self.path.stat().st_size
        self.bom = False
        self.final_newline = True

    def chunks(self) -> Iterator[list[bytes]]:
        done = 0
        rest = b""
        first = True
        with open(self.path, "rb") as f:
            while True:
                data = f.read(CHUNK)
                if not data:
                    break
                done += len(data)
                if first:
                    first = False
                    if data.startswith(BOM):
                        self.bom = True
                        data = data[len(BOM):]
                if rest:
                    data = rest + data
                lines = data.split(b"\n")
                rest = lines.pop()
                if lines:
                    yield lines
                if self.progress is not None:
                    self.progress(done, self.total)
        if rest:
            self.final_newline = False
            yield [rest]

    def pieces(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of the file (all of it by default) as
        about-a-megabyte pieces of whole lines: every piece ends with LF except
        perhaps the last (a file without a final line end).  ``start`` and
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
                cut = data.rfind(b"\n") + 1
                rest = data[cut:]
                if cut:
                    yield data[:cut] if rest else data
                if self.progress is not None:
                    self.progress(done, self.total)
        if rest:
            if end is None or end >= self.total:
                self.final_newline = False
            yield rest
