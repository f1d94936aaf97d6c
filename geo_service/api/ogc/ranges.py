"""HEAD and byte ranges for every GET route, so GDAL's ``/vsicurl/`` (and QGIS through it) can
read a GeoJSON download: it asks ``HEAD`` for the size, then ``Range: bytes=a-b``.

A pure ASGI middleware:

- ``HEAD`` runs the ``GET`` route and sends its status and headers (with the body's
  ``Content-Length``) without the body;
- ``GET`` with one ``Range: bytes=a-b`` (or ``a-``, ``-n``) on a 200 answer gives ``206`` with
  ``Content-Range``, or ``416`` when the range is outside the body; several ranges are
  answered with the whole body (allowed by RFC 9110);
- both ask the route for the identity encoding (no gzip), so the offsets are offsets of the
  document itself; every other request passes through untouched (streams stay streams).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None | Literal[False]:
    """``(start, end)`` inclusive of one satisfiable byte range; ``None`` when the header is
    not a single byte range (serve the whole body); ``False`` when unsatisfiable (416)."""
    m = _RANGE.match(header.strip())
    if m is None:
        return None
    first, last = m.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        n = int(last)
        if n == 0:
            return False
        return max(size - n, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


class HeadAndRange:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"]]
        rng = next((v.decode("latin-1") for k, v in headers if k == b"range"), None)
        head = scope["method"] == "HEAD"
        if not head and rng is None:
            await self.app(scope, receive, self._accept_ranges(send))
            return
        inner = dict(scope)
        inner["method"] = "GET"
        inner["headers"] = [(k, v) for k, v in headers if k not in (b"accept-encoding", b"range")]
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, collect)
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        out_headers = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"content-length", b"accept-ranges")
        ]
        out_headers.append((b"accept-ranges", b"bytes"))
        chosen = parse_range(rng, len(body)) if rng is not None and status == 200 else None
        if chosen is False:
            status, body = 416, b""
            out_headers = [(k, v) for k, v in out_headers if k.lower() != b"content-type"]
            size = len(b"".join(chunks))
            out_headers.append((b"content-range", f"bytes */{size}".encode()))
        elif chosen is not None:
            a, b = chosen
            total = len(body)
            status, body = 206, body[a : b + 1]
            out_headers.append((b"content-range", f"bytes {a}-{b}/{total}".encode()))
        out_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    @staticmethod
    def _accept_ranges(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                hdrs = list(message.get("headers", []))
                if not any(k.lower() == b"content-encoding" for k, _ in hdrs):
                    hdrs.append((b"accept-ranges", b"bytes"))
                    message = dict(message, headers=hdrs)
            await send(message)

        return wrapped
