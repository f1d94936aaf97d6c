"""Shape limits of an uploaded file, checked on the bytes while they stream in (before
pandas, pyarrow or GDAL build anything from them).

A CSV's header width and field count and every line's length, and a GeoJSON's number of
coordinate arrays (an upper bound of its vertices), are counted chunk by chunk; the first
chunk that breaks a limit stops the upload with :class:`~geo_service.errors.InvalidInputError`
(422). Red-team finding: one 89 MB CSV line with 10 million columns took the server past
19 GB in pandas; a 2-million-vertex GeoJSON kept 600 MB after its 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int

SEPARATORS = (b",", b";", b"\t", b"|")


@dataclass(frozen=True)
class ShapeLimits:
    header_bytes: int = 64 * 1024
    fields: int = 1_000
    line_bytes: int = 1 << 20
    # '[' characters of a GeoJSON: one per position plus a few per ring/part. Kendal's
    # 286 desa have 27,000; a province of 8,500 desa about 800,000.
    coordinate_arrays: int = 2_000_000


def kind_of(filename: str) -> str | None:
    """``"table"`` (CSV/TXT), ``"geojson"`` or ``None`` (no streaming check)."""
    name = filename.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return "table"
    if name.endswith((".geojson", ".json")):
        return "geojson"
    return None


def _refuse(id_text: str, en_text: str, **detail) -> InvalidInputError:
    return InvalidInputError(id_text, en_text, detail=detail)


class StreamGuard:
    """Feed it the upload's chunks in order; raises on the first broken limit."""

    def __init__(self, kind: str | None, limits: ShapeLimits | None = None) -> None:
        self.kind = kind
        self.limits = limits or ShapeLimits()
        self.in_header = True
        self.header_len = 0
        self.fields = 1
        self.line_len = 0
        self.arrays = 0

    def feed(self, chunk: bytes) -> None:
        if self.kind == "table":
            self._table(chunk)
        elif self.kind == "geojson":
            self.arrays += chunk.count(b"[")
            if self.arrays > self.limits.coordinate_arrays:
                raise _refuse(
                    f"Geometri terlalu rinci: lebih dari {fmt_int(self.limits.coordinate_arrays)} "
                    "titik koordinat.",
                    f"Geometry too detailed: more than {self.limits.coordinate_arrays:,} "
                    "coordinate positions.",
                    maks_titik=self.limits.coordinate_arrays,
                )

    def _table(self, chunk: bytes) -> None:
        lim = self.limits
        parts = chunk.split(b"\n")
        last = len(parts) - 1
        for i, part in enumerate(parts):
            self.line_len += len(part)
            if self.in_header:
                self.header_len += len(part)
                self.fields += sum(part.count(s) for s in SEPARATORS)
                if self.header_len > lim.header_bytes or self.fields > lim.fields:
                    raise _refuse(
                        f"Baris judul terlalu lebar (maks. {fmt_int(lim.fields)} kolom, "
                        f"{fmt_int(lim.header_bytes)} byte).",
                        f"Header row too wide (max {lim.fields:,} columns, "
                        f"{lim.header_bytes:,} bytes).",
                        maks_kolom=lim.fields,
                        maks_byte_judul=lim.header_bytes,
                    )
            if self.line_len > lim.line_bytes:
                raise _refuse(
                    f"Baris terlalu panjang (maks. {lim.line_bytes:,} byte per baris).",
                    f"Line too long (max {lim.line_bytes:,} bytes per line).",
                    maks_byte_baris=lim.line_bytes,
                )
            if i < last:
                self.in_header = False
                self.line_len = 0
