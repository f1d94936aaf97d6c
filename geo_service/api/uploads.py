"""Uploads that cannot exhaust memory or disk: a body-size guard (ASGI middleware), streaming to
a temporary file, and zip archives checked from their directory before anything is extracted.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from geo_service.errors import InvalidInputError, TooLargeError
from geo_service.i18n import msg, negotiate

CHUNK = 1 << 20


class BodySizeLimit:
    """ASGI middleware: refuse request bodies above ``max_bytes`` with 413.

    A ``Content-Length`` above the limit is refused before a single body byte is read; a body
    without one (chunked) is counted as it streams and cut off at the limit.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        started = False

        async def guarded_receive():
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if exceeded:
                if not started and message["type"] == "http.response.start":
                    started = True
                    await self._refuse(send, lang)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(send, lang)

    async def _refuse(self, send, lang: str) -> None:
        body = json.dumps(
            {
                "kode": "terlalu_besar",
                "pesan": msg("terlalu_besar", lang, max=self.max_bytes),
                "detail": {"maks_byte": self.max_bytes},
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
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
    upload: UploadFile, *, max_bytes: int, workdir: Path | None = None
) -> Iterator[SavedUpload]:
    """Copy an upload to a private temporary folder in chunks; the folder is removed afterwards.

    Raises
    ------
    TooLargeError
        More than ``max_bytes`` (the partial copy is removed).
    """
    name = safe_filename(upload.filename or "unggahan")
    tmp = Path(tempfile.mkdtemp(prefix="geo-upload-", dir=workdir))
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
                digest.update(chunk)
                out.write(chunk)
        yield SavedUpload(path=path, filename=name, size=size, sha256=digest.hexdigest())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def safe_filename(name: str) -> str:
    """The last path component of ``name`` with only safe characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")
    return cleaned[:120] or "unggahan"


def check_zip(path: Path, *, max_total_bytes: int, max_ratio: float, max_files: int) -> list[str]:
    """Check a zip archive from its central directory only (nothing is extracted).

    Refuses absolute paths, ``..`` components, backslashes, symbolic links, nested archives,
    too many members, a too large total uncompressed size, and compression ratios typical
    of zip bombs. Returns the member names.

    Raises
    ------
    InvalidInputError
        Unsafe member names or an unreadable archive.
    TooLargeError
        Size, ratio or member count above the limits.
    """

    def refuse(kind, why_id: str, why_en: str, detail=None):
        raise kind(
            msg("zip_tidak_aman", "id", why=why_id),
            msg("zip_tidak_aman", "en", why=why_en),
            detail=detail,
        )

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        refuse(InvalidInputError, "bukan arsip zip yang sah", "not a valid zip archive", str(exc))
    if len(infos) > max_files:
        refuse(TooLargeError, f"lebih dari {max_files} berkas", f"more than {max_files} files")
    total = 0
    names = []
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in parts
            or (len(name) > 1 and name[1] == ":")
        ):
            refuse(
                InvalidInputError,
                f"jalur tidak aman '{name}'",
                f"unsafe path '{name}'",
                {"berkas": name},
            )
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            refuse(
                InvalidInputError,
                f"tautan simbolik '{name}'",
                f"symbolic link '{name}'",
                {"berkas": name},
            )
        if name.lower().endswith((".zip", ".gz", ".7z", ".rar", ".tar")):
            refuse(
                InvalidInputError,
                f"arsip di dalam arsip '{name}'",
                f"archive inside the archive '{name}'",
                {"berkas": name},
            )
        total += info.file_size
        if info.file_size > 0 and info.file_size > max_ratio * max(info.compress_size, 1):
            refuse(
                TooLargeError,
                f"rasio kompresi '{name}' terlalu tinggi (bom zip)",
                f"compression ratio of '{name}' too high (zip bomb)",
                {"berkas": name},
            )
        names.append(name)
    if total > max_total_bytes:
        refuse(
            TooLargeError,
            f"isi {total} byte melebihi {max_total_bytes}",
            f"content of {total} bytes exceeds {max_total_bytes}",
        )
    return names
