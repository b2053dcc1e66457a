"""Imports that a stopped process left behind, settled when a process starts.

A process that runs imports (``ekonomi serve``, a worker, a CLI import) may
be killed mid-import: its runs would stay 'running' or 'queued', and a page
would poll them for ever.  Before it takes new work, a starting process
settles the runs of this host whose process is gone: one that was running is
failed with the reason (its rows never landed: the transaction died with the
process) and its staging files are removed; one still queued is claimed and
run again where its input is stored (or it needs none: a sync), failed
where it is not.  A process that
does not run queued imports (the CLI) leaves those to the next server.  Runs
of live processes, and of other hosts, are left to them, and to the sweep
under the company's lock (pipeline._import).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from ..books.db import writer
from . import runlog
from .target import remove_stage_files

log = logging.getLogger(__name__)

INPUT_GONE = "Interrupted before it started, and its input is no longer stored: upload the file again."


@dataclass
class Settled:
    failed: list[int] = field(default_factory=list)  # ended as interrupted
    claimed: list[int] = field(default_factory=list)  # this process runs them again


def settle_orphans(engine: Engine, *, rerun_queued: bool) -> Settled:
    """Settle this host's runs whose process is gone; ``rerun_queued``: claim
    the queued ones that can run again (the caller then runs ``claimed``)."""
    done = Settled()
    with writer(engine).begin() as conn:
        for rid, status, worker, stored, had_file in runlog.orphans(conn):
            if status == "running":
                runlog.fail_interrupted(conn, [rid], runlog.INTERRUPTED)
                done.failed.append(rid)
            elif not rerun_queued:
                continue
            elif not had_file or (stored and Path(stored).is_file()):  # a sync needs no input: it fetches again
                if runlog.claim(conn, rid, worker):
                    done.claimed.append(rid)
            else:
                runlog.fail_interrupted(conn, [rid], INPUT_GONE)
                done.failed.append(rid)
    for rid in done.failed:
        remove_stage_files(engine, rid)
    if done.failed or done.claimed:
        log.warning("imports left by a stopped process: %s failed, %s run again", done.failed, done.claimed)
    return done
