"""Live progress of running imports.

Kept in this process's memory for everyone in it (the web polls it for
imports on its background thread) and, where the database allows a second
writer during an import (PostgreSQL), written to the ImportRun row at most
once a second so other processes (a Celery worker's imports) show it too.
SQLite holds one write lock for the whole import, so there the row only
changes at the start and the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    status: str
    phase: str | None = None
    done: int | None = None
    total: int | None = None


_live: dict[int, Progress] = {}
_guard = threading.Lock()


def live(import_id: int) -> Progress | None:
    """The in-process progress of an import, if it runs in this process."""
    with _guard:
        return _live.get(import_id)


def _set(import_id: int, value: Progress | None) -> None:
    with _guard:
        if value is None:
            _live.pop(import_id, None)
        else:
            _live[import_id] = value


class Reporter:
    """Collects progress for one import and passes it on."""

    def __init__(
        self,
        import_id: int,
        listener: Callable[[str, int, int | None], None] | None = None,
        on_event: Callable[[Progress], None] | None = None,
        persist: Callable[[Progress], None] | None = None,
        interval_s: float = 1.0,
    ) -> None:
        """``persist`` writes the progress where other processes see it
        (runlog.write_progress), where the database allows it mid-import."""
        self.import_id = import_id
        self.listener = listener
        self.on_event = on_event
        self.persist = persist
        self.interval_s = interval_s
        self._last_write = 0.0
        self.current = Progress("queued")

    def status(self, status: str) -> None:
        self.current = Progress(status, self.current.phase, self.current.done, self.current.total)
        _set(self.import_id, self.current)
        if self.persist is not None:
            self.persist(self.current)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        self.current = Progress(self.current.status, phase, done, total)
        _set(self.import_id, self.current)
        if self.listener is not None:
            self.listener(phase, done, total)
        now = time.monotonic()
        if now - self._last_write >= self.interval_s or (total is not None and done >= total):
            self._last_write = now
            if self.persist is not None:
                self.persist(self.current)
            if self.on_event is not None:
                self.on_event(self.current)

    def close(self) -> None:
        _set(self.import_id, None)
