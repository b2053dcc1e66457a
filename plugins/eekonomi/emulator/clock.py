"""The emulator's clock: a fixed start that moves with real time, plus
whatever the tests add.  Everything that expires (codes, tokens, temporary
URLs, rate windows) and every timestamp the emulator writes reads it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

# The default seed's books end on 2026-11-30; the clock starts the next day,
# whatever the machine's date, so the seed and its payment states are the same everywhere.
DEFAULT_START = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.set(start)

    def set(self, instant: datetime) -> None:
        self._start = instant.astimezone(timezone.utc)
        self._mono = time.monotonic()
        self._offset = 0.0

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._mono + self._offset)

    def today(self):  # noqa: ANN201 - a date
        return self.now().date()
