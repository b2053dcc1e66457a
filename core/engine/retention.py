"""How long an uploaded input stays in the file store.

An upload is copied into the file store so that the background run (or a
run started again after a crash, recovery.py) can read it.  It is kept only
while it may serve: a run that failed has nothing to run again, so its input
goes at once; a run that succeeded keeps its input for
``EKONOMI_INPUT_RETENTION_DAYS`` (30 by default), and each company's latest
successful input is kept whatever its age (it is what the books come from).
A preview's input waits for the user's "Importera" or "Avbryt" (which
remove it, web/previews.py); one never decided goes after the same days.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..books.db import writer
from . import runlog


def retention_days() -> int:
    return max(0, int(os.environ.get("EKONOMI_INPUT_RETENTION_DAYS", "30")))


def prune_inputs(engine: Engine, now: datetime | None = None) -> list[int]:
    """Remove the stored inputs no longer kept; returns their runs' ids."""
    cutoff = (now or datetime.now(timezone.utc)).replace(tzinfo=None) - timedelta(days=retention_days())
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, company_id, status, finished_at, stored_path FROM import_run "
                "WHERE stored_path IS NOT NULL AND status IN ('succeeded', 'failed', 'previewed') ORDER BY id"
            )
        ).all()
    latest = {cid: rid for rid, cid, status, _, _ in rows if status == "succeeded"}  # ordered by id: the last wins
    gone = [
        (rid, path)
        for rid, cid, status, finished, path in rows
        if status == "failed" or (latest.get(cid) != rid and _before(finished, cutoff))
    ]
    for _, path in gone:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()
    if gone:
        with writer(engine).begin() as conn:
            runlog.forget_inputs(conn, [rid for rid, _ in gone])
    return [rid for rid, _ in gone]


def _before(finished: datetime | str | None, cutoff: datetime) -> bool:
    if finished is None:
        return False
    when = finished if isinstance(finished, datetime) else datetime.fromisoformat(str(finished))
    return when.replace(tzinfo=None) < cutoff
