"""core/engine/_rows.c: the import's row loops and row packing (twin: _native.py)."""

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

def pack_row(batch: bytearray, row: tuple[Any, ...], /) -> None: ...
def copy_row(batch: bytearray, row: tuple[Any, ...], /) -> None: ...
def ledger_rows(
    rows: Sequence[Any], posted_kind: Any, zero: Decimal, accounts: Any, undeclared: set[str], /
) -> tuple[Decimal, Decimal, list[tuple[str, int | None]]]: ...

class VoucherPacker:
    def __init__(
        self,
        cid: int,
        accounts: Any,
        unknown: set[str],
        objects_json: dict[Any, str],
        dumps: Callable[[Any], str],
        kind_text: dict[Any, str],
        hundred: Decimal,
        posted: Any,
        *,
        copy: bool = False,
    ) -> None: ...
    def pack(
        self, v: Any, vid: int, fid: int, import_id: int, content_hash: str | None, vbatch: bytearray, rbatch: bytearray, /
    ) -> tuple[int, int]: ...
