"""The documented rate limit: ``rate_limit_per_min`` calls in any 60 s,
counted per client and endpoint (route template); refused calls do not
count, so service resumes as soon as the window has room again."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from datetime import datetime


class RateLimiter:
    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)

    def check(self, client_id: str, route: str, now: datetime, limit: int) -> int | None:
        """None when the call may go ahead (and is counted), else the
        seconds until the window has room."""
        window = self._calls[(client_id, route)]
        while window and (now - window[0]).total_seconds() >= 60:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(60 - (now - window[0]).total_seconds()))
        window.append(now)
        return None

    def clear(self) -> None:
        self._calls.clear()
