"""Reading desa, kecamatan and kabupaten boundaries from files."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo_service.analysis.boundaries import check_boundaries
from geo_service.errors import BoundaryError, NotFoundError

log = logging.getLogger(__name__)


class BoundaryRepairWarning(UserWarning):
    """Some desa polygons were invalid and were repaired with make_valid."""


def read_boundaries(path: str | Path) -> gpd.GeoDataFrame:
    """Read a desa layer (GeoJSON, GeoPackage, Shapefile or GeoParquet), checked and repaired.

    Raises
    ------
    BoundaryError
        No CRS, swapped axes, missing or bad codes, unreadable file.
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"Berkas batas wilayah tidak ditemukan: {path}", f"Boundary file not found: {path}"
        )
    try:
        if path.suffix.lower() == ".parquet":
            raw = gpd.read_parquet(path)
        else:
            raw = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise BoundaryError(
            f"Berkas batas wilayah tidak dapat dibaca: {path.name}",
            f"Boundary file cannot be read: {path.name}",
            detail=str(exc),
        ) from exc
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
            f"Batas wilayah kabupaten {kode_kab} tidak tersedia; "
            f"yang tersedia: {', '.join(shipped)}",
            f"No boundaries for kabupaten {kode_kab}; available: {', '.join(shipped)}",
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
