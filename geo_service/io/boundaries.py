"""Reading desa, kecamatan and kabupaten boundaries from files."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from geo_service.analysis.boundaries import check_boundaries
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
