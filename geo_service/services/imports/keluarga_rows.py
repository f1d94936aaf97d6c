"""One chunk of a family file on its way to the database: duplicates across chunks, the
quarantine rows of ``--partial``, the location of the valid rows (cached per kabupaten).

Pure preparation (pandas/numpy/Arrow, no writes): :mod:`.keluarga` runs it for the next
chunk while the previous one is being loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from geo_service.analysis import locate as L
from geo_service.analysis import schema as S
from geo_service.analysis._util import jsonable
from geo_service.analysis.fastjoin import h3_cells_threaded
from geo_service.analysis.locate import cells_to_str, locate_keluarga
from geo_service.analysis.validate import ValidationResult
from geo_service.db.repo import Scope, boundary_index, desa_of_kabupaten
from geo_service.io.import_files import norm_ids


def cross_chunk_duplicates(
    chunk: pd.DataFrame, result: ValidationResult, dup_ids: set[str], offset: int, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Add ``id_keluarga_ganda`` for ids repeated in other chunks (the validator sees one)."""
    if not dup_ids or S.ID not in chunk.columns:
        return result.valid, result.problems, result.rejected
    ids = norm_ids(chunk[S.ID])
    baris = pd.Series(np.arange(len(chunk), dtype=np.int64) + offset + 2, index=chunk.index)
    flagged = set(
        result.problems.loc[result.problems["kode_alasan"] == "id_keluarga_ganda", "baris"]
        .dropna()
        .astype(int)
    )
    need = ids.isin(dup_ids).fillna(False).astype(bool) & ~baris.isin(flagged)
    if not need.any():
        return result.valid, result.problems, result.rejected
    extra = pd.DataFrame(
        {
            "baris": baris[need].astype("Int64"),
            S.ID: ids[need],
            "kolom": S.ID,
            "nilai": ids[need].astype("string"),
            "kode_alasan": "id_keluarga_ganda",
            "keterangan": S.reason_text("id_keluarga_ganda", lang),
        }
    )
    problems = pd.concat([result.problems, extra], ignore_index=True)
    problems = problems.sort_values(["baris", "kode_alasan"], kind="stable").reset_index(drop=True)
    already = set(result.rejected["baris"].astype(int))
    new_rows = need & ~baris.isin(already)
    rejected = result.rejected
    if new_rows.any():
        add = chunk.loc[new_rows].copy()
        add.insert(0, "baris", baris[new_rows])
        rejected = pd.concat([rejected, add]).sort_values("baris", kind="stable")
    valid = result.valid[~result.valid["baris"].isin(set(baris[need]))]
    return valid, problems, rejected


def in_key_order(rows: pd.DataFrame) -> pd.DataFrame:
    """A chunk's stored rows sorted by located desa, then by the unique key (kode_kab,
    id_keluarga; one periode per file), byte order as both databases compare these ASCII
    codes. SQLite's index builds after a large load then read their keys in (nearly)
    sorted runs: 1M families into SpatiaLite, unique index 1.7 -> 0.7 s CPU and the
    ``kode_desa_lokasi`` index kept at ~0.25 s (sorting by the unique key alone: 0.4 s and
    1.0 s, a file in desa order loses its order); PostgreSQL's builds gain nothing from it.
    The rows' storage order (and their serial ids) within a chunk follows these keys
    instead of the file; the file row stays in ``baris``, by which families are read
    back."""
    if len(rows) < 2:
        return rows
    cols = ("kode_desa_lokasi", "kode_kab", S.ID)
    keys = pa.table({c: _arrow_text(rows[c]) for c in cols})
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in cols])
    return rows.take(order.to_numpy()).reset_index(drop=True)


def _arrow_text(col: pd.Series) -> pa.Array | pa.ChunkedArray:
    arrow = getattr(col.array, "_pa_array", None)
    return arrow if arrow is not None else pa.array(col.to_numpy(dtype=object), pa.string())


def quarantine_frame(rejected: pd.DataFrame, problems: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    codes = (
        problems.dropna(subset=["baris"])
        .groupby("baris")["kode_alasan"]
        .agg(lambda s: ",".join(sorted(set(s))))
    )
    raw = rejected.drop(columns="baris")
    data = [
        json.dumps(
            {k: _plain(v) for k, v in zip(raw.columns, row, strict=True)}, ensure_ascii=False
        )
        for row in raw.itertuples(index=False, name=None)
    ]
    ids = (
        norm_ids(rejected[S.ID])
        if S.ID in rejected.columns
        else pd.Series(pd.NA, index=rejected.index, dtype="string")
    )
    return pd.DataFrame(
        {
            "batch_id": batch_id,
            "baris": rejected["baris"].astype("int64").to_numpy(),
            "id_keluarga": ids.to_numpy(dtype=object),
            "kode_alasan": rejected["baris"].map(codes).fillna("").to_numpy(dtype=object),
            "data": data,
        }
    )


def _plain(v: Any) -> Any:
    """A problem row's value for JSON: plain numbers and text, anything else as text."""
    v = jsonable(v)
    return v if v is None or isinstance(v, str | int | float | bool) else str(v)


class Locator:
    """Locates families among the desa of their registered kabupaten (cached per kabupaten).

    For a file of at least ``FAST_JOIN_MIN_POINTS`` rows the kabupaten's stored boundary
    index is used (built and stored once per boundary version when missing), otherwise the
    R-tree path; both give the same answer. ``run`` executes the few database reads (the
    first chunk of each kabupaten) on the thread that owns the connection.
    """

    def __init__(
        self,
        conn: Connection,
        max_distance_m: float,
        h3_resolution: int,
        n_rows: int = 0,
        run: Callable[[Callable[[], Any]], Any] | None = None,
    ) -> None:
        self.conn = conn
        self.max_distance_m = max_distance_m
        self.h3_resolution = h3_resolution
        self.n_rows = n_rows
        self.run: Callable[[Callable[[], Any]], Any] = run or (lambda fn: fn())
        self._desa: dict[str, gpd.GeoDataFrame] = {}
        self._index: dict[str, Any] = {}

    def _read(self, kode_kab: str) -> tuple[gpd.GeoDataFrame, Any]:
        desa = desa_of_kabupaten(self.conn, kode_kab, scope=Scope.all())
        index = (
            boundary_index(
                self.conn,
                kode_kab,
                desa,
                scope=Scope.all(),
                build_from=self.n_rows,
                h3_resolution=self.h3_resolution,
            )
            if self.n_rows >= L.FAST_JOIN_MIN_POINTS and len(desa)
            else None
        )
        return desa, index

    def _for(self, kode_kab: str) -> tuple[gpd.GeoDataFrame, Any]:
        if kode_kab not in self._desa:
            desa, index = self.run(lambda: self._read(kode_kab))
            self._desa[kode_kab], self._index[kode_kab] = desa, index
        return self._desa[kode_kab], self._index[kode_kab]

    def locate(self, fam: pd.DataFrame) -> pd.DataFrame:
        lat, lon = fam["lat"].to_numpy(dtype="float64"), fam["lon"].to_numpy(dtype="float64")
        cells = np.zeros(len(fam), dtype=np.uint64)
        done = np.zeros(len(fam), dtype=bool)
        parts = []
        groups = fam.groupby(fam[S.KODE_DESA].str[:5], sort=True).indices
        for kode_kab, rows in sorted(groups.items()):
            desa, index = self._for(str(kode_kab))
            group = fam.iloc[rows]
            parts.append(
                locate_keluarga(group, desa, max_distance_m=self.max_distance_m, index=index)
            )
            # The stored index's block table answers most cells (h3ronpy the rest).
            cells[rows] = h3_cells_threaded(lat[rows], lon[rows], self.h3_resolution, index=index)
            done[rows] = True
        rest = np.flatnonzero(~done)  # rows without a kabupaten code: H3 all the same
        cells[rest] = h3_cells_threaded(lat[rest], lon[rest], self.h3_resolution)
        loc = pd.concat(parts).reindex(fam.index) if parts else pd.DataFrame(index=fam.index)
        loc["h3"] = h3_hex(cells)
        return loc


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def h3_hex(cells: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """H3 cells as the hex text h3-py writes (``format(cell, "x")``), missing for 0, built by
    array operations into an Arrow string array (no Python string per cell): every valid
    cell (mode 1, reserved bit 0) is 15 hex digits."""
    cells = np.asarray(cells, dtype=np.uint64)
    if np.any(cells >> np.uint64(60)):  # not a cell index: the general way
        hexes = cells_to_str(cells)
        hexes[cells == 0] = None
        return hexes
    raw = cells.astype(">u8").view(np.uint8).reshape(-1, 8)
    digits = np.empty((len(cells), 16), dtype=np.uint8)
    digits[:, 0::2], digits[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 15]
    valid = pa.py_buffer(np.packbits(cells != 0, bitorder="little"))
    text = pa.py_buffer(np.ascontiguousarray(digits[:, 1:]))
    arr = pa.Array.from_buffers(pa.binary(15), len(cells), [valid, text]).cast(pa.string())
    return pd.arrays.ArrowStringArray(arr)
