"""The browser session: a signed, short-lived cookie and the CSRF tokens of the forms.

Pure functions over bytes and dicts (no HTTP, no database), like :mod:`geo_service.api.security`.

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
import time
from dataclasses import dataclass

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
