"""Failed-login throttling for the login form, behind a small interface.

The service-wide throttle (:mod:`geo_service.services.login_throttle`, shared with
``POST /auth/token``) is used when it is there; this in-process one stands in otherwise.
Both answer ``wait_s``, ``failed`` and ``succeeded``, so whichever the app holds in
``app.state.login_throttle`` serves the API and the pages alike.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Protocol

try:  # the service-wide throttle (security work); the stand-in below until it is there
    from geo_service.services.login_throttle import LoginThrottle as ServiceThrottle
except ImportError:  # pragma: no cover - depends on the other module being present
    ServiceThrottle = None  # type: ignore[assignment,misc]


class LoginThrottle(Protocol):
    def wait_s(self, username: str, client: str) -> float:
        """Seconds to wait before another try (0: a try is allowed now)."""

    def failed(self, username: str, client: str) -> None: ...

    def succeeded(self, username: str, client: str) -> None: ...


class MemoryLoginThrottle:
    """At most ``per_account`` failures per user name and ``per_address`` per client address
    within ``window_s`` seconds (sliding window, this process only)."""

    def __init__(
        self, *, per_account: int = 5, per_address: int = 20, window_s: int = 900, clock=None
    ) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window_s = window_s
        self._clock = clock or time.monotonic
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def wait_s(self, username: str, client: str, **_) -> float:
        return float(self.retry_after(username, client) or 0)

    def retry_after(self, username: str, address: str) -> int | None:
        now = self._clock()
        with self._lock:
            waits = []
            for key, limit in (
                (("akun", username.casefold()), self.per_account),
                (("alamat", address), self.per_address),
            ):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(int(q[0] + self.window_s - now) + 1)
            return max(waits) if waits else None

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (("akun", username.casefold()), ("alamat", address)):
                self._recent(key, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._fails.pop(("akun", username.casefold()), None)


def throttle_of(app) -> LoginThrottle:
    """The app's login throttle (one per app, shared with the API's token login)."""
    found = getattr(app.state, "login_throttle", None)
    if found is None:
        found = ServiceThrottle() if ServiceThrottle is not None else MemoryLoginThrottle()
        app.state.login_throttle = found
    return found


def retry_after(throttle: LoginThrottle, username: str, client: str) -> int | None:
    """Whole seconds to wait (for ``Retry-After``), or ``None`` when a try is allowed."""
    wait = throttle.wait_s(username, client)
    return max(1, math.ceil(wait)) if wait > 0 else None
