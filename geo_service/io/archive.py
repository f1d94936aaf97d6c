"""Safe reading of zip archives (zipped Shapefiles): every member is checked before anything
is written, extraction goes to a temporary folder that is always removed.

Refused before extraction: absolute paths, ``..`` components, drive letters, symbolic
links, encrypted members, too many files, too many bytes uncompressed, and compression
ratios typical of zip bombs. While extracting, the bytes actually written are counted too,
so a member whose header lies about its size is stopped as well.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo_service.errors import InvalidInputError, TooLargeError
from geo_service.settings import ImportSettings, Settings

# Below this many uncompressed bytes a high ratio is harmless (a small .prj compresses well).
RATIO_FLOOR_BYTES = 1024 * 1024
_COPY_BLOCK = 1024 * 1024
LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
NESTED_ARCHIVES = (".zip", ".gz", ".7z", ".rar", ".tar")


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits for one archive (defaults: those of :class:`ImportSettings`)."""

    max_bytes: int = ImportSettings.model_fields["archive_max_bytes"].default
    max_ratio: float = ImportSettings.model_fields["archive_max_ratio"].default
    max_files: int = ImportSettings.model_fields["archive_max_files"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        s = settings.imports
        return cls(s.archive_max_bytes, s.archive_max_ratio, s.archive_max_files)


def _unsafe(name: str) -> str | None:
    """Why a member name is unsafe to extract, or None."""
    norm = name.replace("\\", "/")
    if "\x00" in norm:
        return "nama berisi karakter NUL"
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "jalur absolut"
    if ".." in PurePosixPath(norm).parts:
        return "jalur keluar folder (..)"
    return None


def check_zip(path: str | Path, limits: ArchiveLimits | None = None) -> list[zipfile.ZipInfo]:
    """Check every member of a zip archive without extracting anything.

    Returns
    -------
    list of zipfile.ZipInfo
        The regular members (directories excluded).

    Raises
    ------
    InvalidInputError
        Not a zip file, unsafe member names, symbolic links, encrypted members.
    TooLargeError
        Too many members, too many bytes uncompressed, or a zip-bomb compression ratio.
    """
    limits = limits or ArchiveLimits()
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise InvalidInputError(
            f"Berkas {path.name} bukan arsip zip yang sah.",
            f"{path.name} is not a valid zip archive.",
        )
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise TooLargeError(
            f"Arsip {path.name} berisi {len(infos):,} berkas (maksimal {limits.max_files:,}).",
            f"Archive {path.name} holds {len(infos):,} files (at most {limits.max_files:,}).",
        )
    total = 0
    total_packed = 0
    members = []
    for info in infos:
        why = _unsafe(info.filename)
        if why is None and stat.S_ISLNK(info.external_attr >> 16):
            why = "tautan simbolik (symlink)"
        if why is None and info.flag_bits & 0x1:
            why = "berkas terenkripsi"
        if why is None and info.filename.lower().endswith(NESTED_ARCHIVES):
            why = "arsip di dalam arsip"
        if why:
            raise InvalidInputError(
                f"Arsip {path.name} ditolak: anggota '{info.filename}' adalah {why}. "
                "Tidak ada berkas yang diekstrak.",
                f"Archive {path.name} refused: member '{info.filename}' is unsafe. "
                "Nothing was extracted.",
            )
        if info.is_dir():
            continue
        total += info.file_size
        total_packed += info.compress_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _bomb(path, info.file_size, info.compress_size, limits)
        members.append(info)
    if total > limits.max_bytes:
        raise TooLargeError(
            f"Arsip {path.name} berisi {total:,} byte setelah diekstrak "
            f"(maksimal {limits.max_bytes:,}).",
            f"Archive {path.name} expands to {total:,} bytes (at most {limits.max_bytes:,}).",
        )
    if total > RATIO_FLOOR_BYTES and total > limits.max_ratio * max(total_packed, 1):
        raise _bomb(path, total, total_packed, limits)
    return members


def _bomb(path: Path, size: int, packed: int, limits: ArchiveLimits) -> TooLargeError:
    ratio = size / max(packed, 1)
    return TooLargeError(
        f"Arsip {path.name} ditolak: rasio kompresi {ratio:,.0f}:1 melebihi batas "
        f"{limits.max_ratio:,.0f}:1 (kemungkinan zip bomb). Tidak ada berkas yang diekstrak.",
        f"Archive {path.name} refused: compression ratio {ratio:,.0f}:1 exceeds "
        f"{limits.max_ratio:,.0f}:1 (likely a zip bomb). Nothing was extracted.",
    )


@contextmanager
def extracted_zip(
    path: str | Path, *, limits: ArchiveLimits | None = None, tmp_root: str | Path | None = None
) -> Iterator[Path]:
    """Extract a checked zip archive into a temporary folder, removed when the block ends.

    The checks of :func:`check_zip` run first; nothing is written if any fails.
    """
    limits = limits or ArchiveLimits()
    members = check_zip(path, limits)
    tmp = Path(tempfile.mkdtemp(prefix="geo-service-zip-", dir=tmp_root))
    try:
        root = tmp.resolve()
        written = 0
        with zipfile.ZipFile(path) as zf:
            for info in members:
                target = (root / info.filename.replace("\\", "/")).resolve()
                if not target.is_relative_to(root):  # defence in depth; check_zip refused it
                    raise InvalidInputError(
                        f"Jalur tidak aman dalam arsip: {info.filename}",
                        f"Unsafe path in archive: {info.filename}",
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                member_written = 0
                with zf.open(info) as src, open(target, "wb") as dst:
                    while block := src.read(_COPY_BLOCK):
                        member_written += len(block)
                        written += len(block)
                        if member_written > info.file_size or written > limits.max_bytes:
                            raise TooLargeError(
                                f"Arsip {Path(path).name} ditolak: isi '{info.filename}' lebih "
                                "besar dari yang tercatat di arsip.",
                                f"Archive {Path(path).name} refused: '{info.filename}' is "
                                "larger than its header says.",
                            )
                        dst.write(block)
        yield tmp
    except zipfile.BadZipFile as exc:
        raise InvalidInputError(
            f"Arsip {Path(path).name} rusak: {exc}", f"Archive {Path(path).name} is corrupt: {exc}"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def find_layer(folder: str | Path) -> Path:
    """The one spatial layer in an extracted archive (.shp, .gpkg or .geojson).

    Raises
    ------
    InvalidInputError
        None, or more than one of the same preference, found.
    """
    folder = Path(folder)
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("._") and "__MACOSX" not in p.parts
    ]
    for suffix in LAYER_SUFFIXES:
        found = sorted(p for p in files if p.suffix.lower() == suffix)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found[:5])
            raise InvalidInputError(
                f"Arsip berisi lebih dari satu lapisan {suffix}: {names}. Kirim satu lapisan desa.",
                f"The archive holds more than one {suffix} layer: {names}. Send one desa layer.",
            )
    raise InvalidInputError(
        "Arsip tidak berisi lapisan batas wilayah (.shp, .gpkg atau .geojson).",
        "The archive holds no boundary layer (.shp, .gpkg or .geojson).",
    )
