"""Rate limiting shared by the public routes: a sliding window per caller key, in memory."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from geo_service.errors import GeoServiceError
from geo_service.settings import RateLimitSettings


class RateLimitError(GeoServiceError):
    """Too many reports from the same caller in a short time (HTTP 429)."""

    code = "terlalu_sering"


class RateLimiter:
    """Sliding-window limits per key, e.g. ``{3600: 5, 86400: 20}`` (seconds: events)."""

    def __init__(
        self, limits: Mapping[int, int] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(limits or RateLimitSettings().laporan())
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` and say whether it is within every limit."""
        now = self.clock()
        longest = max(self.limits)
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and now - q[0] >= longest:
                q.popleft()
            for window, limit in self.limits.items():
                if sum(1 for t in q if now - t < window) >= limit:
                    return False
            q.append(now)
            return True
