"""Reading desa, kecamatan and kabupaten boundaries from files."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from geopandas.io.arrow import _geopandas_to_arrow

from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.fastjoin import BoundaryIndex, build_boundary_index, build_join_table
from geo_service.errors import BoundaryError, NotFoundError

log = logging.getLogger(__name__)


class BoundaryRepairWarning(UserWarning):
    """Some desa polygons were invalid and were repaired with make_valid."""


def read_boundaries(path: str | Path, *, kode_kab: str | None = None) -> gpd.GeoDataFrame:
    """Read a desa layer (GeoJSON, GeoPackage, Shapefile or GeoParquet), checked and repaired.

    ``kode_kab`` keeps one kabupaten of a larger (e.g. the national) layer: a GeoParquet
    file is filtered while reading (only the matching row groups are decoded when the
    layer has one row group per kabupaten), other formats after reading, by ``kode_kab``
    or the code's first five characters.

    Raises
    ------
    BoundaryError
        No CRS, swapped axes, missing or bad codes, a geometry that cannot be repaired,
        unreadable file.
    NotFoundError
        The file does not exist, or ``kode_kab`` has no desa in it.
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"Berkas batas wilayah tidak ditemukan: {path}", f"Boundary file not found: {path}"
        )
    try:
        if path.suffix.lower() == ".parquet":
            raw = _read_parquet(path, kode_kab)
        else:
            raw = gpd.read_file(path)
            if kode_kab is not None:
                raw = raw[_kab_of(raw) == kode_kab]
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise BoundaryError(
            f"Berkas batas wilayah tidak dapat dibaca: {path.name}",
            f"Boundary file cannot be read: {path.name}",
            detail=str(exc),
        ) from exc
    if kode_kab is not None and raw.empty:
        raise NotFoundError(
            f"Kabupaten {kode_kab} tidak ada dalam berkas batas wilayah {path.name}",
            f"Kabupaten {kode_kab} is not in the boundary file {path.name}",
        )
    result = check_boundaries(raw)
    if result.problems:
        raise BoundaryError(" ".join(result.problems), detail=result.problems)
    if result.repaired:
        warnings.warn(
            f"{len(result.repaired)} poligon desa tidak valid diperbaiki (make_valid): "
            + ", ".join(result.repaired),
            BoundaryRepairWarning,
            stacklevel=2,
        )
    return result.desa


def _kab_of(frame: pd.DataFrame) -> pd.Series:
    if "kode_kab" in frame.columns:
        return frame["kode_kab"].astype(str)
    return frame["kode"].astype(str).str[:5]


def _read_parquet(path: Path, kode_kab: str | None) -> gpd.GeoDataFrame:
    if kode_kab is None:
        return gpd.read_parquet(path)
    names = pq.ParquetFile(path).schema_arrow.names
    if "kode_kab" in names:
        return gpd.read_parquet(path, filters=[("kode_kab", "=", kode_kab)])
    raw = gpd.read_parquet(path)
    return raw[_kab_of(raw) == kode_kab]


def boundary_files(data_dir: Path, kode_kab: str) -> dict[str, Path]:
    """The shipped desa, kecamatan and kabupaten files of ``kode_kab`` (e.g. "33.24")."""
    folder = Path(data_dir) / "boundaries"
    found = {
        lvl: sorted(folder.glob(f"{lvl}_{kode_kab}_*.geojson"))
        for lvl in ("desa", "kecamatan", "kabupaten")
    }
    if not found["desa"]:
        shipped = sorted({p.name.split("_")[1] for p in folder.glob("desa_*.geojson")})
        raise NotFoundError(
            f"Batas wilayah kabupaten {kode_kab} tidak dibundel (yang dibundel: "
            f"{', '.join(shipped)}); untuk kabupaten lain berikan lapisan nasional, "
            "mis. --boundaries indonesia_desa.parquet",
            f"No bundled boundaries for kabupaten {kode_kab} (bundled: {', '.join(shipped)}); "
            "for other kabupaten give the national layer, e.g. "
            "--boundaries indonesia_desa.parquet",
        )
    return {lvl: paths[0] for lvl, paths in found.items() if paths}


def read_outlines(path: Path | None) -> gpd.GeoDataFrame | None:
    """A kecamatan or kabupaten outline layer in EPSG:4326, or None when absent."""
    if path is None or not Path(path).exists():
        return None
    gdf = gpd.read_file(path)
    return gdf.to_crs(4326) if gdf.crs and gdf.crs.to_epsg() != 4326 else gdf


def read_bps(data_dir: Path) -> pd.DataFrame:
    """The published BPS kabupaten poverty figures shipped in ``data/``."""
    return pd.read_csv(Path(data_dir) / "bps_poverty_figures.csv", dtype={"kode": str})


def prepare_layer(
    source: str | Path,
    target: str | Path,
    *,
    index_dir: str | Path | None = None,
    on_kabupaten=None,
    h3_resolution: int | None = 8,
) -> dict:
    """Lay a (national) desa layer out for the batch: checked and repaired, sorted by code,
    one Parquet row group per kabupaten, and optionally every kabupaten's boundary index.

    A task that reads one kabupaten with a ``kode_kab`` filter then decodes only that
    kabupaten's row group (the layer as supplied is one row group: every task decoded all
    83,402 desa). Indexes are written as ``index_dir/<kode_kab>.npz``
    (:meth:`~geo_service.analysis.fastjoin.BoundaryIndex.to_bytes`) so that workers never
    build them; each carries the fingerprint of its kabupaten's desa, so an index of other
    boundaries is never used, and a block table with the H3 cells at ``h3_resolution``
    (another resolution falls back to computing H3).

    Returns what was written: number of kabupaten, desa, repaired desa, seconds.
    """
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BoundaryRepairWarning)
        layer = read_boundaries(source)
    layer = layer.sort_values("kode", kind="stable").reset_index(drop=True)
    table = _geopandas_to_arrow(layer, index=False)
    kab = layer["kode_kab"].to_numpy()
    starts = np.flatnonzero(np.r_[True, kab[1:] != kab[:-1]])
    ends = np.r_[starts[1:], len(layer)]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with pq.ParquetWriter(tmp, table.schema, compression="zstd") as writer:
        for a, b in zip(starts, ends, strict=True):
            part = table.slice(a, b - a)
            writer.write_table(part, row_group_size=max(1, b - a))
    tmp.replace(target)
    if index_dir is not None:
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        for a, b in zip(starts, ends, strict=True):
            code = str(kab[a])
            desa = layer.iloc[a:b].reset_index(drop=True)
            index = build_join_table(build_boundary_index(desa), desa, h3_resolution=h3_resolution)
            (index_dir / f"{code}.npz").write_bytes(index.to_bytes())
            if on_kabupaten is not None:
                on_kabupaten(code)
    return {
        "kabupaten": len(starts),
        "desa": len(layer),
        "diperbaiki": sum(int(str(w.message).split()[0]) for w in caught),
        "detik": round(time.perf_counter() - t0, 1),
    }


def read_index(index_dir: str | Path | None, kode_kab: str) -> BoundaryIndex | None:
    """The stored boundary index of ``kode_kab`` written by :func:`prepare_layer`, or None."""
    if index_dir is None:
        return None
    path = Path(index_dir) / f"{kode_kab}.npz"
    if not path.exists():
        return None
    try:
        return BoundaryIndex.from_bytes(path.read_bytes())
    except (ValueError, KeyError, OSError):  # another format version: build it again
        return None
