"""Login throttling with exponential back-off, per account and per client (shared by the API's
``POST /auth/token`` and the web login).

Three keys are counted: the account from one client (failures), the client (the number of
*distinct* accounts it failed on: password spraying, so one attacked account does not slow
the other users behind the same address) and the account from anywhere (failures, with a
10x allowance). After ``free`` failures of a key, each
further failure doubles its wait (``base_s``, ``2 * base_s``, ... capped at ``max_s``); an
attempt while a key waits is refused *without checking the password*. Failures are forgotten
``window_s`` after the last one and a success clears the account-from-client and client
keys. The cap means nobody is locked out for good, and the account-from-client key means a
real user on another client is not slowed by an attacker of the same account until the
account-wide allowance (10x) is spent.

State is per process (one uvicorn worker, as ``geo-service serve`` runs); several workers
each throttle on their own, which multiplies the allowance by the number of workers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from geo_service.services.ratelimit import RateLimitError


class LoginThrottledError(RateLimitError):
    """Too many failed logins: wait ``retry_after_s`` seconds (HTTP 429, password unchecked)."""

    def __init__(self, wait_s: float) -> None:
        self.retry_after_s = max(1, math.ceil(wait_s))
        super().__init__(
            f"Terlalu banyak percobaan masuk yang gagal; coba lagi dalam {self.retry_after_s} "
            "detik.",
            f"Too many failed sign-in attempts; try again in {self.retry_after_s} seconds.",
        )


@dataclass
class _State:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0
    accounts: set[str] = field(default_factory=set)


class LoginThrottle:
    """Counts failed logins and says how long a login must wait (0: may try now)."""

    def __init__(
        self,
        *,
        free: int = 5,
        base_s: float = 1.0,
        max_s: float = 300.0,
        window_s: float = 900.0,
        account_factor: int = 10,
        max_keys: int = 100_000,
    ) -> None:
        self.free, self.base_s, self.max_s, self.window_s = free, base_s, max_s, window_s
        self.account_factor = account_factor
        self.max_keys = max_keys
        self._state: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, client: str) -> list[tuple[tuple[str, str], int]]:
        user = username.strip().casefold()
        return [
            (("akun_klien", f"{user}\x00{client}"), self.free),
            (("klien", client), 2 * self.free),
            (("akun", user), self.free * self.account_factor),
        ]

    def _get(self, key: tuple[str, str], now: float) -> _State:
        st = self._state.get(key)
        if st is None or now - st.last > self.window_s:
            st = _State()
            if len(self._state) >= self.max_keys:
                self._prune(now)
            self._state[key] = st
        return st

    def _prune(self, now: float) -> None:
        stale = [k for k, s in self._state.items() if now - s.last > self.window_s]
        for k in stale:
            del self._state[k]
        if len(self._state) >= self.max_keys:  # still full: drop the oldest half
            for k, _ in sorted(self._state.items(), key=lambda kv: kv[1].last)[
                : self.max_keys // 2
            ]:
                del self._state[k]

    def wait_s(self, username: str, client: str, *, now: float | None = None) -> float:
        """Seconds until a login for ``username`` from ``client`` may be checked (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [self._get(key, now).until - now for key, _ in self._keys(username, client)]
        return max(0.0, *waits)

    def failed(self, username: str, client: str, *, now: float | None = None) -> None:
        """Record a failed login (wrong password or unknown user)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            for key, free in self._keys(username, client):
                st = self._get(key, now)
                st.last = now
                if key[0] == "klien":
                    st.accounts.add(username.strip().casefold())
                    st.failures = len(st.accounts)
                else:
                    st.failures += 1
                over = st.failures - free
                if over > 0:
                    st.until = now + min(self.max_s, self.base_s * 2 ** min(over - 1, 30))

    def succeeded(self, username: str, client: str) -> None:
        """A correct login clears this client's counters (not the account-wide one)."""
        with self._lock:
            for key, _ in self._keys(username, client)[:2]:
                self._state.pop(key, None)


def check_login(throttle: LoginThrottle, username: str, client: str, verify):  # type: ignore[no-untyped-def]
    """Run ``verify()`` (the password check, returning a principal or ``None``) unless the
    login must wait (:class:`LoginThrottledError`); record the outcome."""
    wait = throttle.wait_s(username, client)
    if wait > 0:
        raise LoginThrottledError(wait)
    principal = verify()
    if principal is None:
        throttle.failed(username, client)
    else:
        throttle.succeeded(username, client)
    return principal
