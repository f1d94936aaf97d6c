"""Failed-login throttling for the login form, behind a small interface.

The service-wide throttle (security work, ``geo_service.services.login_throttle``) is used
when it is installed on the app (``app.state.login_throttle``); until then this in-process
one stands in with the same three methods.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Protocol


class LoginThrottle(Protocol):
    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds to wait before another try, or ``None`` when a try is allowed."""

    def failed(self, username: str, address: str) -> None: ...

    def succeeded(self, username: str, address: str) -> None: ...


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
    """The app's login throttle (the service-wide one when installed, else this module's)."""
    found = getattr(app.state, "login_throttle", None)
    if found is None:
        found = MemoryLoginThrottle()
        app.state.login_throttle = found
    return found
