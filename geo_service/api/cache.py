"""Rendered responses of finished runs, kept in memory.

A finished run never changes, so a body built for (run id, URL, viewer) can be served again
as it is. The key carries the viewer's role, kabupaten scope, OPD and language, so a
suppressed view is never served to another role. Exports (CSV, XLSX, PDF) are not cached:
each of them writes an audit row.

Each kept body is compressed once (gzip) and named by an entity tag (a hash of the body):
a client that accepts gzip gets the compressed bytes as they are (the gzip middleware leaves
an encoded answer alone), a client that sends ``If-None-Match`` with the tag gets ``304``
and no body. Nothing is serialised or compressed again per request.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from geo_service.api import sesi as S
from geo_service.api.security import Principal, api_key_prefix, verify_token
from geo_service.db.models import Pengguna
from geo_service.i18n import request_lang

CACHED_FORMATS = ("json", "geojson", None)
GZIP_MIN_BYTES = 1000  # as the gzip middleware: smaller bodies go out as they are
GZIP_LEVEL = 6  # once per body, so the smaller output is worth the CPU (level 1 per request
# cost ~20 ms for the 1.76 MB Kendal map page)


def _compressible(media_type: str | None) -> bool:
    media = (media_type or "").split(";")[0].strip().lower()
    return media.startswith("text/") or media.endswith(("json", "xml", "javascript", "vector-tile"))


# Headers of the built answer that the kept body carries (the rest describe one encoding).
_NOT_KEPT = {"content-length", "content-type", "content-encoding", "etag", "vary", "set-cookie"}


def _this_caller_refreshes(
    refreshing: dict[tuple, float], key: tuple, age: float, now: float, ttl_s: float
) -> bool:
    """For a stale entry (``age`` ≥ ``ttl_s``): whether this caller refreshes it. One caller
    per ``ttl_s`` does (marked in ``refreshing``) while the others keep the stale value; past
    three ``ttl_s`` every caller does."""
    if age >= 3 * ttl_s or now - refreshing.get(key, -1e9) >= ttl_s:
        refreshing[key] = now
        return True
    return False


@dataclass(frozen=True)
class CachedBody:
    """A finished body with its gzip form (``None`` when not worth it) and entity tag."""

    body: bytes
    media_type: str | None
    gzip: bytes | None
    etag: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        body: bytes,
        media_type: str | None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> CachedBody:
        packed = None
        if len(body) >= GZIP_MIN_BYTES and _compressible(media_type):
            packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
            if len(packed) >= len(body):
                packed = None
        tag = hashlib.blake2b(body, digest_size=12).hexdigest()
        kept = tuple((k, v) for k, v in (headers or {}).items() if k.lower() not in _NOT_KEPT)
        return cls(body, media_type, packed, f'"{tag}"', status, kept)

    @property
    def nbytes(self) -> int:
        return len(self.body) + len(self.gzip or b"")

    def matches(self, if_none_match: str | None) -> bool:
        """Whether an ``If-None-Match`` header names this body (either encoding)."""
        if not if_none_match:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self._gzip_tag in tags

    @property
    def _gzip_tag(self) -> str:
        return self.etag[:-1] + '-gz"'

    def response(
        self, request_headers: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Response:
        """This body for a request: ``304`` when the client has it, gzip when accepted."""
        extra = {**dict(self.headers), "Vary": "Accept-Encoding", **(headers or {})}
        packed = self.gzip is not None and "gzip" in request_headers.get("accept-encoding", "")
        extra["ETag"] = self._gzip_tag if packed else self.etag
        if self.status == 200 and self.matches(request_headers.get("if-none-match")):
            return Response(status_code=304, headers=extra)
        if packed:
            extra["Content-Encoding"] = "gzip"
            return Response(
                self.gzip, status_code=self.status, media_type=self.media_type, headers=extra
            )
        return Response(
            self.body, status_code=self.status, media_type=self.media_type, headers=extra
        )


class ResponseCache:
    """A thread-safe LRU of response bodies (plain and gzip), bounded in bytes."""

    def __init__(self, max_bytes: int = 256 * 1024**2) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._builds: dict[tuple, threading.Lock] = {}
        self.hits = self.misses = 0

    def building(self, key: tuple) -> threading.Lock:
        """The lock under which ``key``'s body is built (a fresh process under load would
        otherwise build the same 2 MB map page once per waiting request)."""
        with self._lock:
            if len(self._builds) > 10_000:
                self._builds.clear()
            return self._builds.setdefault(key, threading.Lock())

    def entry(self, key: tuple) -> CachedBody | None:
        """The kept body of ``key`` (counted as a hit or a miss)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return item

    def get(self, key: tuple, request_headers: Mapping[str, str] | None = None) -> Response | None:
        """The kept response of ``key`` for a request with these headers, else ``None``."""
        item = self.entry(key)
        return None if item is None else item.response(request_headers or {})

    def put(self, key: tuple, response: Response) -> CachedBody | None:
        """Keep a 200 answer's body (with its gzip form); returns what was kept."""
        body = bytes(response.body)
        if response.status_code != 200 or len(body) > self.max_bytes // 4:
            return None
        item = CachedBody.of(body, response.media_type, response.status_code, response.headers)
        self.keep(key, item)
        return item

    def keep(self, key: tuple, item: CachedBody) -> None:
        """Keep an already built body under ``key`` (the web map layers)."""
        if item.nbytes > self.max_bytes // 2:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = item
            self._bytes += item.nbytes
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes


class RunLookup:
    """The newest finished run per (kabupaten, periode, scope), remembered for ``ttl_s``.

    A run finished meanwhile (by this process or another) is seen after at most ``ttl_s``.
    """

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._items: dict[tuple, tuple[float, int]] = {}
        self._refreshing: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def peek(self, key: tuple) -> int | None:
        """The remembered run id while fresh. Once stale (up to three ``ttl_s``), one caller
        gets ``None`` (it goes to the database and refreshes the entry) while the others
        still get the remembered id, so a refresh never sends every request at once."""
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            age = now - item[0]
            if age < self.ttl_s:
                return item[1]
            if _this_caller_refreshes(self._refreshing, key, age, now, self.ttl_s):
                return None
            return item[1]

    def run_id(self, key: tuple, lookup: Callable[[], int]) -> int:
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
        if item is not None and now - item[0] < self.ttl_s:
            return item[1]
        run_id = lookup()
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
                self._refreshing.clear()
            self._items[key] = (now, run_id)
        return run_id


def newest_run_id(
    request: Request, user: Principal, kode_kab: str, periode: str | None, lookup: Callable[[], int]
) -> int:
    """``lookup()`` (the newest finished run id in the caller's scope), briefly remembered."""
    runs: RunLookup | None = getattr(request.app.state, "run_lookup", None)
    if runs is None:
        return lookup()
    return runs.run_id(_run_key(kode_kab, periode, user), lookup)


def _run_key(kode_kab: str, periode: str | None, user: Principal) -> tuple:
    return (kode_kab, periode, tuple(sorted(user.kabupaten)))


def _key(run_id: int, request: Request, user: Principal, lang: str) -> tuple:
    return (
        run_id,
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        user.role,
        tuple(sorted(user.kabupaten)),
        user.kode_opd,
        lang,
    )


def cached(
    request: Request, user: Principal, run_id: int, lang: str, build: Callable[[], Response]
) -> Response:
    """``build()``'s response for this run, URL and viewer, from the cache when present."""
    cache: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    if cache is None or request.query_params.get("format") not in CACHED_FORMATS:
        return build()
    key = _key(run_id, request, user, lang)
    hit = cache.get(key, request.headers)
    if hit is not None:
        return hit
    with cache.building(key):  # one build per key; the others wait for its body
        kept = cache.entry(key)
        if kept is None:
            response = build()
            kept = cache.put(key, response)
            if kept is None:
                return response
    return kept.response(request.headers)


_CACHED_PATH = re.compile(
    r"^/kabupaten/(\d{2}\.\d{2})/(?:indikator/(?:desa|kecamatan|kabupaten|h3)"
    r"|kantong|prioritas|target-opd|cakupan|peta)$"
)


_PARAM = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":1", "named": ":uid"}


def _token_sql(engine) -> str:
    """The user check as driver SQL (built once per engine: no statement construction,
    compilation or result wrapping per request)."""
    sql = getattr(engine, "_gs_token_sql", None)
    if sql is None:
        param = _PARAM.get(engine.dialect.paramstyle, "?")
        cols = f"{Pengguna.aktif.name}, {Pengguna.versi_token.name}"
        sql = f"SELECT {cols} FROM {Pengguna.__tablename__} WHERE {Pengguna.id.name} = {param}"
        engine._gs_token_sql = sql
    return sql


def _token_current(state, user: Principal) -> bool:
    """Whether the token's user is still active with the same token version (one primary-key
    read of two columns on a pooled driver connection, ~10 us on SQLite; issue 12: a token
    stops working within one request)."""
    engine = getattr(state, "engine", None)
    if engine is None:
        return False
    sql = _token_sql(engine)
    params: tuple | dict = {"uid": user.user_id} if sql.endswith(":uid") else (user.user_id,)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool (rolled back there)
    return bool(row is not None and row[0] and int(row[1] or 0) == user.versi)


_WEB_MAP_PATH = re.compile(r"^/kabupaten/(\d{2}\.\d{2})/hal/peta/(\d+)\.json$")


def web_map_key(kode_kab: str, run_id: int, user: Principal) -> tuple:
    """Where the web map layers of a run, as ``user`` may see them, are kept in the response
    cache (put there by the page route after every check passed)."""
    return ("web_peta", kode_kab, run_id, user.role, user.kode_opd, tuple(sorted(user.kabupaten)))


def _cookie(scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _web_map_hit(scope, state, match: re.Match) -> Response | None:
    """The web map layers for a valid session cookie whose user was checked within the
    session check's few seconds and who already got this run's layers through the page
    route; anything else goes to the route."""
    found = _session_user(scope, state)
    if found is None or match.group(1) not in found[1].kabupaten:
        return None
    item = state.response_cache.entry(web_map_key(match.group(1), int(match.group(2)), found[1]))
    return None if item is None else item.response(Request(scope).headers)


LANG_COOKIE = "gs_bahasa"  # the pages' language cookie (geo_service.api.web.render)
_OVERVIEW_PATH = re.compile(r"^/kabupaten/(\d{2}\.\d{2})$")


def page_key(scope, user: Principal) -> tuple | None:
    """What a shared page answer depends on besides its session: URL, the raw language
    inputs (cookie, ``Accept-Language``) and the viewer; ``None`` with ``?lang=`` (that
    answer sets the language cookie)."""
    request = Request(scope)
    if "lang" in request.query_params:
        return None
    return (
        scope["path"],
        scope.get("query_string", b""),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        user.username,
        user.role,
        user.kode_opd,
        tuple(sorted(user.kabupaten)),
    )


class FreshPages:
    """Shared page answers (the web overview) kept ``ttl_s`` seconds with a placeholder for
    the session's CSRF token, answered again before routing. What such a page shows is
    itself remembered for a few seconds by the route (runs list, periodes: 3 s, newest run:
    5 s), so this adds about ``ttl_s`` (at most three while a refresh is under way) to how
    long a new run takes to appear."""

    def __init__(self, ttl_s: float = 1.0, size: int = 1024) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[tuple, tuple[float, str, str, tuple[tuple[str, str], ...]]] = {}
        self._refreshing: dict[tuple, float] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def put(self, key: tuple, html: str, placeholder: str, headers: Mapping[str, str]) -> None:
        kept = tuple((k, v) for k, v in headers.items() if k.lower() not in _NOT_KEPT)
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
                self._refreshing.clear()
            self._items[key] = (time.monotonic(), html, placeholder, kept)
            self._refreshing.pop(key, None)

    def get(self, key: tuple, csrf: str) -> Response | None:
        """The kept page with ``csrf`` put in while fresh. Once stale (up to three ``ttl_s``),
        one caller gets ``None`` (the route renders and puts it again) while the others
        still get the kept page, so an expiry never sends every waiting request to the
        route at once."""
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            age = now - item[0]
            if age >= self.ttl_s and _this_caller_refreshes(
                self._refreshing, key, age, now, self.ttl_s
            ):
                return None
            self.hits += 1
        return HTMLResponse(item[1].replace(item[2], csrf), headers=dict(item[3]))


def _session_user(scope, state) -> tuple[S.WebSession, Principal] | None:
    """The session of the request's cookie and its user, when the user was checked within
    the session check's few seconds (:class:`geo_service.api.sesi.UserChecks`)."""
    checks = getattr(state, "web_user_checks", None)
    token_key = getattr(state, "token_key", None)
    if checks is None or token_key is None:
        return None
    web = S.read(_cookie(scope, S.COOKIE), token_key)
    if web is None:
        return None
    user = checks.peek((web.user_id, web.username, web.token_version))
    return None if user is None else (web, user)


def _overview_hit(scope, state, match: re.Match) -> Response | None:
    """The overview page rendered for this viewer within the last second, with this
    session's CSRF token; not when the session cookie is due for renewal."""
    pages: FreshPages | None = getattr(state, "fresh_pages", None)
    found = None if pages is None else _session_user(scope, state)
    if pages is None or found is None or found[0].needs_renewal():
        return None
    web, user = found
    if match.group(1) not in user.kabupaten:
        return None
    key = page_key(scope, user)
    return None if key is None else pages.get(key, S.csrf_token(state.token_key, web.sid))


class CachedResultsMiddleware:
    """Serve a cached result before routing, dependencies and the database.

    Only for a valid bearer token whose viewer already has this exact URL cached for the
    newest run (remembered by :class:`RunLookup`); everything else goes to the app, which
    does every check and fills the cache. A hit implies the same viewer passed the same
    checks for the same URL and run.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            hit = self._hit(scope)
            if hit is not None:
                await hit(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _hit(scope) -> Response | None:
        state = getattr(scope.get("app"), "state", None)
        if state is None or not hasattr(state, "response_cache"):
            return None
        match = _CACHED_PATH.match(scope["path"])
        if match is None:
            web = _WEB_MAP_PATH.match(scope["path"])
            if web is not None:
                return _web_map_hit(scope, state, web)
            page = _OVERVIEW_PATH.match(scope["path"])
            return None if page is None else _overview_hit(scope, state, page)
        request = Request(scope)
        if request.query_params.get("format") not in CACHED_FORMATS:
            return None
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth[:7].lower() == "bearer " else ""
        if not token or api_key_prefix(token):
            return None
        user = verify_token(token, state.token_key)
        if user is None or match.group(1) not in user.kabupaten:
            return None
        if not _token_current(state, user):
            return None  # the app answers 401 (deactivated, role/scope changed, revoked)
        run_id = state.run_lookup.peek(
            _run_key(match.group(1), request.query_params.get("periode"), user)
        )
        if run_id is None:
            return None
        return state.response_cache.get(
            _key(run_id, request, user, request_lang(request)), request.headers
        )
