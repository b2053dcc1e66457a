"""The import's one switch between its C accelerators and their Python twins.

core/engine/_rows.c packs rows and runs the ledger rules' row loop,
core/engine/_stage.c binds packed batches into SQLite; _native.py is both in
Python, with the same API and results.  Everything else imports from here
and never asks which one runs.
"""

try:
    from ._rows import VoucherPacker, copy_row, ledger_rows, pack_row
    from ._stage import Stage, StageError
except ImportError:  # not built (no compiler, or no sqlite3.h): the same, slower
    from ._native import Stage, StageError, VoucherPacker, copy_row, ledger_rows, pack_row  # type: ignore[assignment]

__all__ = ["Stage", "StageError", "VoucherPacker", "copy_row", "ledger_rows", "pack_row"]
