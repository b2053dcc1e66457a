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

    def pieces(self) -> Iterator[bytes]:
        """The file as about-a-megabyte pieces of whole lines: every piece ends
        with LF except perhaps the last (a file without a final line end)."""
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
                cut = data.rfind(b"\n") + 1
                rest = data[cut:]
                if cut:
                    yield data[:cut] if rest else data
                if self.progress is not None:
                    self.progress(done, self.total)
        if rest:
            self.final_newline = False
            yield rest
