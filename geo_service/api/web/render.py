"""Rendering pages: the Jinja2 environment, the page language, number formatting in the page,
suppressed values, and domain errors as HTML pages."""

from __future__ import annotations

import functools
import math
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from geo_service import errors as E
from geo_service.api import cache as C
from geo_service.api import sesi as S
from geo_service.api.errors import status_for
from geo_service.api.web.auth import csrf_of
from geo_service.api.web.cookies import renew_session
from geo_service.api.web.teks import t as teks
from geo_service.i18n import column_header as header
from geo_service.i18n import fmt_number, fmt_percent, negotiate
from geo_service.i18n import teks as i18n_teks

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = C.LANG_COOKIE


def page_lang(request: Request) -> str:
    """``?lang=`` wins, then the language cookie, then ``Accept-Language``; else id."""
    query = request.query_params.get("lang")
    cookie = request.cookies.get(LANG_COOKIE)
    return negotiate(query or cookie, request.headers.get("accept-language"))


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or str(value) in (
            "<NA>",
            "nan",
        )
    except (TypeError, ValueError):
        return False


def fmt_num(value: Any, lang: str, digits: int = 0) -> str:
    """A number as people read it (:func:`geo_service.i18n.fmt_number`: 12.345 and 8,4 in
    Bahasa Indonesia, 12,345 and 8.4 in English); non-numbers as they are."""
    if is_missing(value):
        return fmt_number(None, lang)
    try:
        float(value)
    except (TypeError, ValueError):
        return str(value)
    return fmt_number(value, lang, digits)


def shown(value: Any, lang: str, *, hidden: bool = False, digits: int = 0, pct: bool = False):
    """A figure as a page shows it: 'disembunyikan' (suppressed) when the release hid it,
    never a zero."""
    if hidden:
        return teks("disembunyikan", lang)
    if pct and not is_missing(value):
        return fmt_percent(value, lang, digits)
    return fmt_num(value, lang, digits)


def base_context(request: Request, user, lang: str, **extra: Any) -> dict[str, Any]:
    def t(key: str, **kw: Any) -> str:
        return teks(key, lang, **kw)

    return {
        "request": request,
        "user": user,
        "lang": lang,
        "t": t,
        "num": lambda v, d=0: fmt_num(v, lang, d),
        "val": lambda v, hidden=False, d=0, pct=False: shown(
            v, lang, hidden=hidden, digits=d, pct=pct
        ),
        "kolom": lambda c: header(str(c), lang),
        "csrf": csrf_of(request),
        "csrf_field": S.CSRF_FIELD,
        "path": request.url.path,
        "lang_url": _lang_url(request, i18n_teks(("en", "id"), lang)),  # the other language
        # the map script formats percentages like the one formatter: 40,2 % / 40.2%
        "angka_js": {
            "desimal": fmt_number(0.5, lang, 1)[1],
            "persen": fmt_percent(0.5, lang, 1)[len(fmt_number(0.5, lang, 1)) :],
        },
        "query_with": lambda **kw: _query_with(request, **kw),
        "sort_query": lambda name: _sort_query(request, name),
        **extra,
    }


def _lang_url(request: Request, other: str) -> str:
    """This page in the other language (same filters)."""
    url = request.url.include_query_params(lang=other)
    return f"{url.path}?{url.query}"


def _query_with(request: Request, **changes: Any) -> str:
    """This page's query string with ``changes`` (a value of None drops the key)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    items += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlencode(items)


def _sort_query(request: Request, name: str) -> str:
    """Sort by ``name``; a second click on the same column turns the order round."""
    same = request.query_params.get("urut", "peringkat") == name
    arah = request.query_params.get("arah", "naik")
    turned = ("turun" if arah == "naik" else "naik") if same else "naik"
    return _query_with(request, urut=name, arah=turned, unduh=None)


def fragment(request: Request, name: str, user, lang: str, *, run_id: int, **extra: Any):
    """A part of a page that depends only on the run, the viewer, the language and the URL
    (a long table), rendered once and kept with the run's released tables. It must not use
    the session (CSRF token, user name)."""

    # lazy: import cycle, web.data imports this module at its top
    from geo_service.api.web.data import cache_of, viewer

    key = (
        "html",
        name,
        run_id,
        lang,
        *viewer(user),
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
    )

    def build() -> str:
        ctx = base_context(request, user, lang, **extra)
        ctx["csrf"] = ""  # never cached with a session's token
        return templates.get_template(name).render(ctx)

    return Markup(cache_of(request).get(key, build))


def render(
    request: Request,
    name: str,
    user,
    lang: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """A page; renews the session cookie when half its lifetime is gone and remembers an
    explicit ``?lang=``."""
    response = templates.TemplateResponse(
        request, name, base_context(request, user, lang, **extra), status_code=status_code
    )
    finish(request, response)
    return response


# Stands for the session's CSRF token in a page rendered for many requests (random per
# process, never sent: every answer gets its own session's token in its place).
CSRF_PLACEHOLDER = "csrf-" + secrets.token_hex(16)


class PageCache:
    """Rendered pages for a few seconds, per key and the very objects they show.

    An entry is used only while it is younger than ``ttl_s`` and was rendered from the same
    objects (identity) as the ones the route holds now: the briefly remembered answers
    (runs, periodes) are exactly what a fresh render would show.
    """

    def __init__(self, ttl_s: float = 3.0, size: int = 512) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[tuple, tuple[float, tuple, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, deps: tuple, build: Callable[[], str]) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if (
            hit is not None
            and now - hit[0] < self.ttl_s
            and len(hit[1]) == len(deps)
            and all(a is b for a, b in zip(hit[1], deps, strict=True))
        ):
            return hit[2]
        html = build()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (now, deps, html)
        return html


def render_shared(
    request: Request, name: str, user, lang: str, *, deps: tuple, **extra: Any
) -> HTMLResponse:
    """:func:`render` for a page read by many at once: the HTML is rendered once per
    (page, user, language, URL) and the objects in ``deps`` (everything the page shows that
    is not fixed by the run in ``extra``), kept a few seconds, and sent with this session's
    CSRF token put in."""
    cache = getattr(request.app.state, "web_pages", None)
    if cache is None:
        cache = request.app.state.web_pages = PageCache()
    key = (
        name,
        lang,
        getattr(user, "username", None),
        getattr(user, "role", None),
        getattr(user, "kode_opd", None),
        tuple(sorted(getattr(user, "kabupaten", ()) or ())),
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
    )

    def build() -> str:
        ctx = base_context(request, user, lang, **extra)
        ctx["csrf"] = CSRF_PLACEHOLDER
        return templates.get_template(name).render(ctx)

    shared = cache.get(key, deps, build)
    response = HTMLResponse(shared.replace(CSRF_PLACEHOLDER, csrf_of(request)))
    finish(request, response)
    fresh = getattr(request.app.state, "fresh_pages", None)
    web = getattr(request.state, "web_session", None)
    if fresh is not None and web is not None and "set-cookie" not in response.headers:
        # answered again before routing for a second (api/cache.py, FreshPages)
        page = C.page_key(request.scope, user)
        if page is not None:
            fresh.put(page, shared, CSRF_PLACEHOLDER, response.headers)
    return response


def finish(request: Request, response: Response) -> Response:
    """Security headers, language cookie and session renewal for any page response."""

    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    )
    query = request.query_params.get("lang")
    if query in ("id", "en"):
        response.set_cookie(LANG_COOKIE, query, max_age=365 * 86400, samesite="lax")
    renew_session(request, response)
    return response


def error_page(request: Request, exc: E.GeoServiceError, lang: str) -> HTMLResponse:
    """A domain error as a page, with the status the JSON API gives for it."""
    status = status_for(exc)
    user = getattr(request.state, "principal", None)
    return render(
        request,
        "galat.html",
        user,
        lang,
        status_code=status,
        status=status,
        pesan=exc.text(lang),
    )


def html_errors(route):
    """Turn domain errors raised in a page route into error pages (same status as the API)."""

    @functools.wraps(route)
    def wrapper(*args, **kwargs):
        request: Request = kwargs["request"]
        try:
            return route(*args, **kwargs)
        except E.GeoServiceError as exc:
            return error_page(request, exc, page_lang(request))

    return wrapper


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
