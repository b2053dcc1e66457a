"""The staging file of a SQLite import, and the process that can write it.

A staging file is a plain SQLite database with the bulk tables, no indexes,
no journal: nothing in it needs to survive a crash, it only has to be
copied into the main database at commit (target.StagedTarget).

For big inputs the rows are written by a separate process with its own
interpreter lock, so reading the input (main process) and binding rows into
SQLite (this process) run on two cores instead of taking turns.  Only this
module and the standard library are loaded there.
"""

from __future__ import annotations

import sqlite3
from multiprocessing.connection import Connection as Pipe
from typing import Any

from .bulk import TABLE_COLS


def open_stage(path: str) -> sqlite3.Connection:
    """Create the staging file's tables and open its one transaction."""
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-32768"):
        con.execute(f"PRAGMA {pragma}")
    for table, cols in TABLE_COLS.items():
        con.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
    con.execute("BEGIN")
    return con


def insert(con: sqlite3.Connection, table: str, cols: Any, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" * len(cols))
    con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def serve(path: str, pipe: Pipe) -> None:
    """The writer process: batches in, "ok" or the error out on "sync",
    None to commit and stop.  After an error it keeps reading (and dropping)
    so the sender never blocks; the import fails at its next sync."""
    con = open_stage(path)
    error: str | None = None
    while True:
        try:
            msg = pipe.recv()
        except EOFError:  # the importing process went away: nothing to keep
            con.close()
            return
        if msg is None:
            break
        if msg == "sync":
            pipe.send(error or "ok")
            continue
        if error is None:
            try:
                insert(con, *msg)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
    if error is None:
        con.execute("COMMIT")
    con.close()
    pipe.send("closed")
