"""Plain voucher blocks read whole: the one accelerator of the reader.

``read_blocks(ctx, data, pos, line, parts)`` reads as many plain voucher
blocks (``#VER``, ``{``, ``#TRANS`` lines, ``}``) as it can from ``data[pos:]``
and gives their records; the reader reads what it leaves line by line.  It is
``_scan.c`` where that is built (``setup.py``, optional), else the twin in
``_native.py``, which reads no block: the line-by-line reader is the
reference, and the C reader gives exactly its records, issues, decoder
decisions, stats and #KSUMMA input (tests/test_sie_fastpaths.py).
"""

from __future__ import annotations

from typing import Any

from .encoding import FieldDecoder
from .fields import FieldReader
from .stats import Stats

try:
    from ._scan import flush_sums, new_state, read_blocks
except ImportError:  # not built (no C compiler)
    from ._native import flush_sums, new_state, read_blocks

__all__ = ["ScanContext", "flush_sums", "new_state", "read_blocks"]


class ScanContext:
    """What ``read_blocks`` works with, by name; one per reader.

    ``fields``: its ``accounts``, ``objects`` and ``dates`` dicts, and
    ``plain_date``, ``row_date`` and ``object_list`` for values not in them;
    ``decoder``: ``remembered``, ``REMEMBER``, ``prior``, ``speculative``,
    ``note`` and ``decode`` (see FieldDecoder); ``stats``: ``debit``,
    ``credit`` and ``movements``, which the C reader sums in öre and adds
    when ``flush_sums(ctx)`` is called; ``issues``: the list the reader
    yields from (``read_blocks`` stops after a block that added to it);
    ``state``: the C reader's own state (``new_state()``): lookup slots and
    the öre sums.
    """

    __slots__ = ("fields", "decoder", "stats", "issues", "state")

    def __init__(self, fields: FieldReader, stats: Stats) -> None:
        self.fields = fields
        self.decoder: FieldDecoder = fields.decoder
        self.stats = stats
        self.issues = fields.issues.pending
        self.state: Any = new_state()
