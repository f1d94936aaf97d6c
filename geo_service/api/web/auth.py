"""Who is looking at a page: the session cookie, re-checked against the user row on every
request, and the CSRF check of the forms.

The principal is built by :func:`geo_service.api.service.principal_of`, the same function the
JSON API's token and API-key paths use, so a page has the role, scope and OPD the API would
give the same user.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from geo_service.api import service
from geo_service.api.deps import SessionDep
from geo_service.api.security import Principal
from geo_service.api.web import session as S
from geo_service.db import repo as R
from geo_service.errors import AccessDeniedError

# The user's token version (bumped on deactivation, role or password change by the security
# work's migration); 0 while the column does not exist.
TOKEN_VERSION_ATTRS = ("versi_token", "token_versi", "token_version")


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""


class CsrfError(AccessDeniedError):
    """A state-changing form arrived without its CSRF token (403)."""

    code = "csrf_ditolak"


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
    web = S.read(request.cookies.get(S.COOKIE), session_key(request))
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


def web_user(request: Request, session: SessionDep) -> Principal:
    """The signed-in user of a page; :class:`LoginRequired` otherwise."""
    principal = principal_from_cookie(request, session)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


def optional_web_user(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user, or ``None`` (public pages)."""
    principal = principal_from_cookie(request, session)
    if principal is not None:
        request.state.principal = principal
    return principal


WebUser = Annotated[Principal, Depends(web_user)]
MaybeWebUser = Annotated[Principal | None, Depends(optional_web_user)]


def csrf_of(request: Request) -> str:
    """The CSRF token for the forms of this request's session ('' without a session)."""
    web = getattr(request.state, "web_session", None)
    return S.csrf_token(session_key(request), web.sid) if web else ""


def check_csrf(request: Request, presented: str | None) -> None:
    """403 unless ``presented`` is this session's CSRF token."""
    web = getattr(request.state, "web_session", None)
    if web is None or not S.csrf_ok(session_key(request), web.sid, presented):
        raise CsrfError(
            "Formulir ditolak: token keamanan (CSRF) tidak ada atau tidak cocok. Muat ulang "
            "halaman lalu kirim lagi.",
            "Form refused: the security (CSRF) token is missing or wrong. Reload the page and "
            "send it again.",
        )


def require_roles(user: Principal, *roles: str) -> None:
    """403 unless ``user`` has one of ``roles`` (the API's role rule, for pages)."""
    from geo_service.i18n import msg

    if user.role not in roles:
        raise AccessDeniedError(msg("peran_ditolak", "id"), msg("peran_ditolak", "en"))
