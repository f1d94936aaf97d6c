"""Rendered responses of finished runs, kept in memory.

A finished run never changes, so a body built for (run id, URL, viewer) can be served again
as it is. The key carries the viewer's role, kabupaten scope, OPD and language, so a
suppressed view is never served to another role. Exports (CSV, XLSX, PDF) are not cached:
each of them writes an audit row.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from .security import Principal

CACHED_FORMATS = ("json", "geojson", None)


class ResponseCache:
    """A thread-safe LRU of response bodies, bounded in bytes."""

    def __init__(self, max_bytes: int = 256 * 1024**2) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[bytes, str, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Response | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        body, media_type, status = item
        return Response(body, media_type=media_type, status_code=status)

    def put(self, key: tuple, response: Response) -> None:
        body = bytes(response.body)
        if response.status_code != 200 or len(body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._items[key] = (body, response.media_type, response.status_code)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _, (dropped, _, _) = self._items.popitem(last=False)
                self._bytes -= len(dropped)


def cached(request: Request, user: Principal, run_id: int, lang: str,
           build: Callable[[], Response]) -> Response:
    """``build()``'s response for this run, URL and viewer, from the cache when present."""
    cache: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    if cache is None or request.query_params.get("format") not in CACHED_FORMATS:
        return build()
    key = (run_id, request.url.path, tuple(sorted(request.query_params.multi_items())),
           user.role, tuple(sorted(user.kabupaten)), user.kode_opd, lang)
    hit = cache.get(key)
    if hit is not None:
        return hit
    response = build()
    cache.put(key, response)
    return response
