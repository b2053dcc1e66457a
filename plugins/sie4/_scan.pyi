# The C block reader (_scan.c), switched in by scan.py; _native.py is its twin.
from ekonomi.core import Voucher

from .scan import ScanContext

def new_state() -> object:
    """The C reader's own state for one reader (ScanContext.state): lookup slots and öre sums."""

def read_blocks(ctx: ScanContext, data: bytes, pos: int, line: int, parts: list[bytes] | None) -> tuple[list[Voucher], int, int, int]:
    """Read consecutive plain voucher blocks from ``data[pos:]`` (a line start;
    ``line`` is the number of the line before it).  Returns the vouchers, the
    position after the last block read, the number of its '}' line and the
    number of rows read.  ``parts`` (while #KSUMMA sums) gets each block's
    checksum bytes.  Stops before anything else, or after a block whose
    reading added to ``ctx.issues``."""

def flush_sums(ctx: ScanContext) -> None:
    """Add the öre sums kept in ``ctx.state`` to ``ctx.stats`` (debit, credit, movements)."""
