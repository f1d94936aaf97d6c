"""HTTP Basic for GIS clients (QGIS "Basic" authentication, GDAL ``GDAL_HTTP_USERPWD``).

QGIS 3.22 (Debian stable) has no "API Header" authentication method; its Basic method and
GDAL's send the user name and password with every request. Off by default
(``GEO_BASIC_AUTH``; used by :mod:`geo_service.api.deps`):

- ``off``: Basic credentials are refused (API key header or Bearer token only);
- ``https``: accepted only on HTTPS requests (behind a TLS proxy, run uvicorn with
  ``--proxy-headers`` so the scheme is the client's);
- ``always``: also on plain HTTP — for a service bound to 127.0.0.1 only.

Every request would otherwise pay for a scrypt check (tens of milliseconds), so a correct
pair is remembered for ``ttl_s`` seconds under its SHA-256 (never in clear); a wrong pair is
never remembered. The remembered principal is still checked against the user row on every
request (active, token version, role and scope), as Bearer tokens are, so a deactivated user
loses access at the next request.
"""

from __future__ import annotations

import hashlib
import threading
import time

from fastapi import Request
from fastapi.security import HTTPBasicCredentials
from sqlalchemy.orm import Session

from geo_service.api import service
from geo_service.api.security import Principal
from geo_service.services.login_throttle import LoginThrottle, check_login

MODES = ("off", "https", "always")


def basic_allowed(request: Request, mode: str) -> bool:
    return mode == "always" or (mode == "https" and request.url.scheme == "https")


class BasicCache:
    """Correct (user, password) pairs seen lately, by SHA-256 of both."""

    def __init__(self, ttl_s: float = 60.0, size: int = 1024) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(creds: HTTPBasicCredentials) -> str:
        return hashlib.sha256(f"{creds.username}\x00{creds.password}".encode()).hexdigest()

    def get(self, creds: HTTPBasicCredentials) -> Principal | None:
        key = self._key(creds)
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            return item[1]

    def put(self, creds: HTTPBasicCredentials, principal: Principal) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[self._key(creds)] = (time.monotonic() + self.ttl_s, principal)


def principal_for_basic(
    request: Request, session: Session, creds: HTTPBasicCredentials, throttle: LoginThrottle
) -> Principal | None:
    """The principal of correct Basic credentials: the same check and the same login
    throttle as ``POST /auth/token`` (wrong passwords slow the next tries down, 429)."""
    cache = getattr(request.app.state, "basic_cache", None)
    if cache is None:
        cache = request.app.state.basic_cache = BasicCache()
    principal = cache.get(creds)
    if principal is None:
        client = request.client.host if request.client else "-"
        principal = check_login(
            throttle,
            creds.username,
            client,
            lambda: service.authenticate(session, creds.username, creds.password),
        )
        if principal is not None:
            cache.put(creds, principal)
    if principal is not None:
        principal = service.current_principal(session, principal)
    return principal
