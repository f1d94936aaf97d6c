"""Uploads that cannot exhaust memory or disk: a body-size guard (ASGI middleware), streaming to
a temporary file, and zip archives checked from their directory before anything is extracted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from geo_service.errors import TooLargeError
from geo_service.i18n import msg, negotiate, teks
from geo_service.io.upload_limits import ShapeLimits, StreamGuard, kind_of

CHUNK = 1 << 20


class BodySizeLimit:
    """ASGI middleware: refuse request bodies above ``max_bytes`` with 413.

    A ``Content-Length`` above the limit is refused before a single body byte is read; a body
    without one (chunked) is counted as it streams and cut off at the limit. A client that
    sends no body bytes for ``read_timeout_s`` (slow loris) gets 408 and the connection is
    closed (uvicorn itself times out only idle keep-alive connections).
    """

    def __init__(self, app, max_bytes: int, read_timeout_s: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        lang = negotiate(_query_lang(scope), headers.get(b"accept-language", b"").decode("latin-1"))
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send, lang)
                return
        received = 0
        exceeded = False
        timed_out = False
        started = False

        async def guarded_receive():
            nonlocal received, exceeded, timed_out
            if exceeded or timed_out:
                return {"type": "http.disconnect"}
            try:
                message = await asyncio.wait_for(receive(), timeout=self.read_timeout_s)
            except TimeoutError:
                timed_out = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if exceeded or timed_out:
                if not started and message["type"] == "http.response.start":
                    started = True
                    await self._refuse(send, lang, timeout=timed_out)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)
        if (exceeded or timed_out) and not started:
            await self._refuse(send, lang, timeout=timed_out)

    async def _refuse(self, send, lang: str, *, timeout: bool = False) -> None:
        if timeout:
            text = teks(
                (
                    f"Unggahan terlalu lambat: tidak ada data selama {self.read_timeout_s:g} detik.",
                    f"Upload too slow: no data for {self.read_timeout_s:g} seconds.",
                ),
                lang,
            )
            payload: dict[str, object] = {"kode": "waktu_habis", "pesan": text, "detail": None}
        else:
            payload = {
                "kode": "terlalu_besar",
                "pesan": msg("terlalu_besar", lang, max=self.max_bytes),
                "detail": {"maks_byte": self.max_bytes},
            }
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 408 if timeout else 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _query_lang(scope) -> str | None:
    qs = scope.get("query_string", b"").decode("latin-1")
    for part in qs.split("&"):
        if part.startswith("lang="):
            return part[5:]
    return None


@dataclass(frozen=True)
class SavedUpload:
    path: Path
    filename: str
    size: int
    sha256: str


@contextmanager
def saved_upload(
    upload: UploadFile,
    *,
    max_bytes: int,
    workdir: Path | None = None,
    limits: ShapeLimits | None = None,
) -> Iterator[SavedUpload]:
    """Copy an upload to a private temporary folder in chunks; the folder is removed afterwards
    (on every path; a crash leaves it to :func:`clean_upload_dir` at the next start).

    CSV and GeoJSON uploads are checked while they stream (:mod:`geo_service.io.upload_limits`:
    header width, field count, line length, coordinate count): a file that breaks a limit is
    refused (422) before anything parses it.

    Raises
    ------
    TooLargeError
        More than ``max_bytes`` (the partial copy is removed).
    """
    name = safe_filename(upload.filename or "unggahan")
    guard = StreamGuard(kind_of(name), limits)
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    # The pid in the name lets a restart find the uploads of a dead process.
    tmp = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-", dir=workdir))
    try:
        path = tmp / name
        digest = hashlib.sha256()
        size = 0
        with open(path, "wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(
                        msg("terlalu_besar", "id", max=max_bytes),
                        msg("terlalu_besar", "en", max=max_bytes),
                        detail={"maks_byte": max_bytes},
                    )
                guard.feed(chunk)
                digest.update(chunk)
                out.write(chunk)
        yield SavedUpload(path=path, filename=name, size=size, sha256=digest.hexdigest())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


UPLOAD_PREFIX = "geo-upload-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_upload_dir(folder: Path | None = None) -> int:
    """Remove the upload folders of processes that no longer run (a crash or kill -9 mid-
    upload); folders of live processes (other workers, other services) are left alone.
    Returns how many were removed."""
    folder = Path(tempfile.gettempdir()) if folder is None else folder
    if not folder.exists():
        return 0
    n = 0
    for child in folder.glob(f"{UPLOAD_PREFIX}*"):
        pid = child.name[len(UPLOAD_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
            n += 1
    return n


def safe_filename(name: str) -> str:
    """The last path component of ``name`` with only safe characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")
    return cleaned[:120] or "unggahan"
