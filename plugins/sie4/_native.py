"""The pure-Python twin of ``_scan.c``: it reads no block, so the reader goes
line by line, which is what the C reader repeats (see scan.py)."""

from __future__ import annotations

from typing import Any


def new_state() -> None:
    return None


def read_blocks(ctx: Any, data: bytes, pos: int, line: int, parts: list[bytes] | None) -> tuple[list, int, int, int]:
    return [], pos, line, 0


def flush_sums(ctx: Any) -> None:
    return None
