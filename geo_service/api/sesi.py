"""The browser session: a signed, short-lived cookie, the CSRF tokens of the forms, and the
principal of a request's cookie.

The cookie functions are pure (bytes and dicts), like :mod:`geo_service.api.security`;
:func:`principal_from_cookie` reads the user row. Used by the web pages
(:mod:`geo_service.api.web`) and by :func:`geo_service.api.deps.get_current_user`, which
accepts the cookie for reading (GET/HEAD) so the map page, the meeting pack and field files
open in a browser.

The cookie carries the user id, the user name, the user's token version, an expiry and a
random session id; it is signed with HMAC-SHA256 under a key derived from the service's token
key. Each request re-reads the user (active? same token version?) and rebuilds the role and
scope from the database, so a deactivated user or a changed role ends the session at once.

CSRF: every form of a signed-in user carries ``csrf_token(key, sid)`` (bound to the session
id, so a new login gives new tokens); the login form, which has no session yet, uses a
double-submit cookie (``PRE_CSRF_COOKIE``) whose value the form repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geo_service.api import service
from geo_service.db import repo as R

if TYPE_CHECKING:
    from fastapi import Request
    from sqlalchemy.orm import Session

    from geo_service.api.security import Principal

COOKIE = "gs_sesi"
PRE_CSRF_COOKIE = "gs_csrf_masuk"
CSRF_FIELD = "csrf_token"
SESSION_TTL_S = 3600  # short-lived: one hour, renewed while the user keeps working
RENEW_AFTER_S = SESSION_TTL_S // 2


@dataclass(frozen=True)
class WebSession:
    """What a valid session cookie says."""

    user_id: int
    username: str
    token_version: int
    expires: int
    sid: str

    def needs_renewal(self, now: float | None = None) -> bool:
        """Whether less than half of the lifetime is left (the cookie is then re-issued)."""
        now = time.time() if now is None else now
        return self.expires - now < SESSION_TTL_S - RENEW_AFTER_S


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, f"geo_service web {purpose}".encode(), hashlib.sha256).digest()


def issue(
    key: bytes,
    *,
    user_id: int,
    username: str,
    token_version: int,
    ttl_s: int = SESSION_TTL_S,
    now: float | None = None,
    sid: str | None = None,
) -> str:
    """A signed session cookie value; a fresh random session id unless ``sid`` is given."""
    now = time.time() if now is None else now
    body = {
        "u": int(user_id),
        "n": username,
        "v": int(token_version),
        "e": int(now + ttl_s),
        "s": sid or secrets.token_hex(16),
    }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    sig = hmac.new(_derive(key, "session"), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(sig)}"


def read(value: str | None, key: bytes, *, now: float | None = None) -> WebSession | None:
    """The session of a valid, unexpired cookie; ``None`` for anything else."""
    if not value or value.count(".") != 1 or len(value) > 2048:
        return None
    payload, sig = value.split(".")
    try:
        expected = hmac.new(_derive(key, "session"), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        body = json.loads(_unb64(payload))
        session = WebSession(
            user_id=int(body["u"]),
            username=str(body["n"]),
            token_version=int(body["v"]),
            expires=int(body["e"]),
            sid=str(body["s"]),
        )
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None
    if session.expires <= (time.time() if now is None else now):
        return None
    return session


def csrf_token(key: bytes, sid: str) -> str:
    """The CSRF token of the forms of one session."""
    return _b64(hmac.new(_derive(key, "csrf"), sid.encode(), hashlib.sha256).digest())


def csrf_ok(key: bytes, sid: str, presented: str | None) -> bool:
    """Whether ``presented`` is the CSRF token of session ``sid`` (constant time)."""
    return bool(presented) and hmac.compare_digest(csrf_token(key, sid), str(presented))


def new_pre_csrf() -> str:
    """A random value for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


def pre_csrf_ok(cookie: str | None, presented: str | None) -> bool:
    """Whether the login form repeats its double-submit cookie (constant time)."""
    return bool(cookie) and bool(presented) and hmac.compare_digest(str(cookie), str(presented))


# The user's token version (bumped on deactivation, role or password change by the security
# work's migration); 0 while the column does not exist.
TOKEN_VERSION_ATTRS = ("versi_token", "token_versi", "token_version")


def session_key(request: Request) -> bytes:
    return request.app.state.token_key


def token_version(user) -> int:
    for attr in TOKEN_VERSION_ATTRS:
        value = getattr(user, attr, None)
        if value is not None:
            return int(value)
    return 0


USER_CHECK_TTL_S = 2.0  # a deactivated user or a changed role is seen within this time


class UserChecks:
    """The outcome of the user check per session, remembered for ``ttl_s`` seconds (a page
    view brings a burst of requests; the check reads two tables)."""

    def __init__(self, ttl_s: float = USER_CHECK_TTL_S, size: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[tuple, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def peek(self, key: tuple) -> Principal | None:
        """The remembered principal while fresh, else ``None`` (nothing is checked)."""
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        return None

    def get(self, key: tuple, check) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                return hit[1]
        principal = check()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (now, principal)
        return principal


def _checks(request: Request) -> UserChecks:
    checks = getattr(request.app.state, "web_user_checks", None)
    if checks is None:
        checks = request.app.state.web_user_checks = UserChecks()
    return checks


def principal_from_cookie(request: Request, session: Session) -> Principal | None:
    """The principal of the request's session cookie, or ``None`` (absent, forged, expired,
    user inactive or gone, token version changed)."""
    web = read(request.cookies.get(COOKIE), session_key(request))
    if web is None:
        return None

    def check() -> Principal | None:
        user = R.get_user(session, web.username)
        if (
            user is None
            or user.id != web.user_id
            or not user.aktif
            or token_version(user) != web.token_version
        ):
            return None
        return service.principal_of(user)

    principal = _checks(request).get((web.user_id, web.username, web.token_version), check)
    if principal is not None:
        request.state.web_session = web
    return principal
