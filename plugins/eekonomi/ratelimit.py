"""The installation's side of eEkonomi's rate limit: 600 calls a minute per
client id and endpoint (research notes 1.6), counted over every company this
installation syncs.  A moving window from ``limits``; in Redis when
``EKONOMI_RATELIMIT_STORAGE_URL`` is set, so the web process and every
worker count together, otherwise in this process's memory."""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable

from limits import RateLimitItemPerSecond
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

STORAGE_ENV = "EKONOMI_RATELIMIT_STORAGE_URL"
PER_MINUTE = 600
# The window is kept a little longer than the service's minute: a call is
# stamped here when it is sent and there when it arrives, and that delay
# varies (measured: 61 calls in one of the service's minutes at a 60 s window).
WINDOW_S = 62


class ClockedMemoryStorage(Storage, MovingWindowSupport):
    """A moving-window store in memory on a given clock.  ``limits``' own
    memory storage reads ``time.time()`` itself, which would make the wait
    untestable without sleeping through a real minute."""

    STORAGE_SCHEME = None

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.lock = threading.Lock()
        self.events: dict[str, list[float]] = {}  # per key, times of calls, oldest first

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _window(self, key: str, expiry: float) -> list[float]:
        events = self.events.setdefault(key, [])
        del events[: bisect.bisect_right(events, self.clock() - expiry)]
        return events

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self.lock:
            events = self._window(key, expiry)
            if len(events) + amount > limit:
                return False
            events.extend([self.clock()] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with self.lock:
            events = self._window(key, expiry)
            return (events[0] if events else self.clock()), len(events)

    # the rest of limits' Storage interface; the moving window uses none of it
    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        raise NotImplementedError

    def get(self, key: str) -> int:
        return len(self.events.get(key, []))

    def get_expiry(self, key: str) -> float:
        return self.clock()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self.lock:
            count = len(self.events)
            self.events.clear()
            return count

    def clear(self, key: str) -> None:
        with self.lock:
            self.events.pop(key, None)


class RateLimit:
    """At most ``per_minute`` calls a minute per (client id, endpoint).
    ``acquire`` sleeps until a call is allowed; it never refuses.  ``clock``
    drives the in-memory window; in Redis ``limits`` stamps calls with
    ``time.time()`` and the clock only measures the wait."""

    def __init__(self, per_minute: int = PER_MINUTE, storage_url: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 *, client_id: str | None = None) -> None:
        self.item = RateLimitItemPerSecond(per_minute, WINDOW_S)
        self.storage: Storage = storage_from_string(storage_url) if storage_url else ClockedMemoryStorage(clock)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.sleep = sleep
        self.clock = clock
        # the service counts per client id, so two client ids must not share a count
        self.client_id = client_id if client_id is not None else os.environ.get("EKONOMI_EEKONOMI_CLIENT_ID", "")

    def acquire(self, endpoint: str, *, client_id: str | None = None) -> None:
        key = ("eekonomi", client_id if client_id is not None else self.client_id, endpoint)
        while not self.limiter.hit(self.item, *key):
            reset, _ = self.limiter.get_window_stats(self.item, *key)
            # a short floor: another process may take the slot first, then we wait again
            self.sleep(max(reset - self.clock(), 0.05))


_shared: RateLimit | None = None
_shared_lock = threading.Lock()


def shared() -> RateLimit:
    """The process's one limiter, made on first use from the environment."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RateLimit(storage_url=os.environ.get(STORAGE_ENV) or None)
        return _shared
