"""Import files: checks, SHA-256, the family file streamed in chunks (never whole), and a
boundary layer read from GeoJSON, GeoPackage, GeoParquet, Shapefile or a zipped Shapefile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo_service.analysis import schema as S
from geo_service.errors import (
    BoundaryError,
    InvalidInputError,
    NotFoundError,
)
from geo_service.io.archive import ArchiveLimits, extracted_zip, find_layer
from geo_service.settings import Settings


def check_file(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    if not path.exists():
        raise NotFoundError(
            f"Berkas {what} tidak ditemukan: {path}", f"{what.capitalize()} file not found: {path}"
        )
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(
            f"Format berkas {what} tidak dikenal: {path.name} (gunakan {', '.join(suffixes)})",
            f"Unknown {what} file format: {path.name} (use {', '.join(suffixes)})",
        )


def norm_ids(s: pd.Series) -> pd.Series:
    """Ids as the validator compares them (text, stripped, empty = missing)."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.astype("string").str.strip()
    else:
        s = s.astype("string")
    return s.mask(s == "", pd.NA)


def file_columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        return list(pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns)

    return list(pq.ParquetFile(path).schema_arrow.names)


def read_chunks(
    path: Path, chunk_rows: int, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The family file in chunks of ``chunk_rows`` rows (never the whole file at once)."""
    if path.suffix.lower() == ".csv":
        with pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            chunksize=chunk_rows,
            usecols=columns,
        ) as reader:
            yield from reader
        return

    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=columns):
        yield batch.to_pandas()


def duplicate_ids(path: Path, chunk_rows: int) -> tuple[set[str], int]:
    """Ids occurring more than once anywhere in the file, and the number of rows.

    A Parquet file with a text id column is counted by Arrow (its hash table over the id
    column, in C++, no Python string per id); any other file, or a Parquet file with an id
    that has white space at either end (stripped before comparing), by :func:`_duplicate_ids`.
    """
    if path.suffix.lower() == ".parquet":
        found = _duplicate_ids_arrow(path, chunk_rows)
        if found is not None:
            return found
    return _duplicate_ids(path, chunk_rows)


# White space that ``str.strip`` removes (Python's isspace), for RE2.
_EDGE_SPACE = r"^[\s\x0b\x1c-\x1f\x85\p{Z}]|[\s\x0b\x1c-\x1f\x85\p{Z}]$"


def _duplicate_ids_arrow(path: Path, chunk_rows: int) -> tuple[set[str], int] | None:
    pf = pq.ParquetFile(path)
    if S.ID not in pf.schema_arrow.names:
        return set(), pf.metadata.num_rows
    kind = pf.schema_arrow.field(S.ID).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    hashes, n = [], 0
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=[S.ID]):
        ids = batch.column(0)
        if pc.any(pc.match_substring_regex(ids, _EDGE_SPACE)).as_py():
            return None
        hashes.append(text_hashes(ids))  # 8 bytes per row are kept, not the ids
        n += len(ids)
    if not hashes:
        return set(), n
    every = np.sort(np.concatenate(hashes))
    repeated = np.unique(every[1:][every[1:] == every[:-1]])
    if not len(repeated):
        return set(), n
    exact: Counter[str] = Counter()  # the few ids whose hash repeats, compared exactly
    batches = pf.iter_batches(batch_size=chunk_rows, columns=[S.ID])
    for batch, h in zip(batches, hashes, strict=True):
        hit = pa.array(np.isin(h, repeated))
        exact.update(v for v in batch.column(0).filter(hit).to_pylist() if v)
    return {k for k, v in exact.items() if v > 1}, n


_MIX = np.uint64(0x9E3779B97F4A7C15)


def text_hashes(ids: pa.Array) -> np.ndarray:
    """A 64-bit hash of every value of an Arrow text array by array operations, no Python
    per value (texts of one length: 8 bytes at a time; else byte-wise); 0 for null and
    empty. Equal texts hash equal; different ones collide rarely (callers compare exactly)."""
    arr = ids.cast(pa.large_binary())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = (
        np.frombuffer(arr.buffers()[2], dtype=np.uint8)
        if arr.buffers()[2]
        else np.zeros(0, np.uint8)
    )
    starts, ends = offsets[:-1], offsets[1:]
    lengths = ends - starts
    out = np.zeros(n, dtype=np.uint64)
    full = lengths > 0
    if not full.any():
        return out
    lo, hi = int(offsets[0]), int(offsets[-1])
    width = int(lengths.max())
    if int(lengths.min()) == width:  # ids of one length (the usual case): 8 bytes at a time
        words = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
        words[:, :width] = data[lo:hi].reshape(n, width)
        with np.errstate(over="ignore"):
            for j, w in enumerate(words.view(np.uint64).T):
                out = (out ^ w) * _MIX + np.uint64(j + 1)
        out[out == 0] = 1
    else:
        out = _byte_hashes(data[lo:hi], starts - lo, lengths)
    if ids.null_count:
        out[ids.is_null().to_numpy(zero_copy_only=False)] = 0
    return out


def _byte_hashes(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Texts of any length: a polynomial over the bytes, summed per text (``reduceat``)."""
    out = np.zeros(len(starts), dtype=np.uint64)
    full = lengths > 0
    position = np.arange(len(data), dtype=np.int64) - np.repeat(starts[full], lengths[full])
    powers = np.cumprod(np.full(int(lengths.max()), _MIX, dtype=np.uint64))
    with np.errstate(over="ignore"):
        terms = (data.astype(np.uint64) + np.uint64(1)) * powers[position]
        out[full] = np.add.reduceat(terms, starts[full].astype(np.intp))
        out[full] ^= lengths[full].astype(np.uint64)
    return out


def _duplicate_ids(path: Path, chunk_rows: int) -> tuple[set[str], int]:
    """The general case: pass 1 hashes every id (8 bytes each); only ids whose hash repeats
    are compared exactly in a second pass over the id column."""
    hashes = []
    n = 0
    for chunk in read_chunks(path, chunk_rows, [S.ID]):
        n += len(chunk)
        ids = norm_ids(chunk[S.ID]).dropna()
        hashes.append(pd.util.hash_array(ids.to_numpy(dtype=object)))
    if not hashes:
        return set(), n
    all_hashes = np.concatenate(hashes)
    uniq, counts = np.unique(all_hashes, return_counts=True)
    repeated = uniq[counts > 1]
    if not len(repeated):
        return set(), n
    exact: Counter[str] = Counter()
    for chunk in read_chunks(path, chunk_rows, [S.ID]):
        ids = norm_ids(chunk[S.ID]).dropna()
        hit = np.isin(pd.util.hash_array(ids.to_numpy(dtype=object)), repeated)
        exact.update(ids[hit].tolist())
    return {k for k, v in exact.items() if v > 1}, n


BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".parquet")


@contextmanager
def boundary_layer(path: Path, limits: ArchiveLimits) -> Iterator[Path]:
    if path.suffix.lower() == ".zip":
        with extracted_zip(path, limits=limits) as folder:
            yield find_layer(folder)
    else:
        yield path


def read_boundary_file(
    path: str | Path, *, settings: Settings | None = None
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a desa layer (GeoJSON, GeoPackage, GeoParquet, Shapefile or zipped Shapefile)
    and return it raw with its original CRS text.

    Raises
    ------
    BoundaryError
        A Shapefile without ``.prj``, no CRS at all, or an unreadable file.
    """
    limits = ArchiveLimits.from_settings(settings) if settings else ArchiveLimits()
    path = Path(path)
    with boundary_layer(path, limits) as layer:
        if layer.suffix.lower() == ".shp":
            stem = layer.with_suffix("")
            prj = [
                p
                for p in layer.parent.iterdir()
                if p.stem == stem.name and p.suffix.lower() == ".prj"
            ]
            if not prj:
                raise BoundaryError(
                    f"Shapefile {layer.name} tidak punya berkas .prj (sistem koordinat), jadi "
                    "letaknya tidak dapat dipastikan. Sertakan berkas .prj dalam zip, atau "
                    "kirim GeoPackage/GeoJSON.",
                    f"Shapefile {layer.name} has no .prj file (coordinate system), so where it "
                    "lies cannot be known. Include the .prj in the zip, or send GeoPackage/"
                    "GeoJSON.",
                )
        try:
            raw = (
                gpd.read_parquet(layer)
                if layer.suffix.lower() == ".parquet"
                else gpd.read_file(layer)
            )
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
            raise BoundaryError(
                f"Berkas batas wilayah tidak dapat dibaca: {path.name}",
                f"Boundary file cannot be read: {path.name}",
                detail=str(exc),
            ) from exc
    if raw.crs is None:
        raise BoundaryError(
            f"Berkas batas wilayah {path.name} tidak punya CRS (sistem koordinat).",
            f"Boundary file {path.name} has no CRS (coordinate system).",
        )
    return raw, raw.crs.to_string()
