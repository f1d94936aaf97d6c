"""What each role may see of a run's tables: suppression for opd/publik, no family-level fields.

Pure functions over frames (the routes fetch, these shape, the formats serialise).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo_service.analysis.disclosure import (
    is_suppressed_role,
    suppress_flat,
)
from geo_service.api.security import Principal
from geo_service.services.release import release_indicators

# Columns that describe single families; never shown to opd or publik.
FAMILY_LEVEL_FIELDS = frozenset(
    {
        "id_keluarga",
        "lat",
        "lon",
        "nik",
        "nama_kepala_keluarga",
        "alamat",
        "pengeluaran_kapita",
        "daftar_keluarga",
        "id_keluarga_kandidat",
        "kandidat_uji_petik",
        "keluarga",
    }
)
COUNT_PREFIXES = ("n_", "jumlah_")
RATE_PREFIXES = ("pct_", "persen_", "porsi_", "share_", "rasio_", "celah_", "intensitas_")


def strip_family_fields(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop every column holding family-level data."""
    drop = [c for c in frame.columns if c in FAMILY_LEVEL_FIELDS or "id_keluarga" in c]
    return frame.drop(columns=drop)


@dataclass(frozen=True)
class IndicatorView:
    desa: pd.DataFrame
    kecamatan: pd.DataFrame
    kabupaten: pd.DataFrame
    suppressed_k: int | None


def indicator_view(desa: pd.DataFrame, user: Principal, k: int) -> IndicatorView:
    """Desa, kecamatan and kabupaten indicators as ``user`` may see them.

    For opd and publik the three come from one release
    (:func:`geo_service.services.release.release_indicators`), so no hidden value can be
    recovered by subtracting published ones. Planning tables of those roles come from
    :func:`geo_service.services.release.released` only.
    """
    from geo_service.analysis.aggregate import roll_up

    if not is_suppressed_role(user.role):
        return IndicatorView(
            desa=desa,
            kecamatan=roll_up(_plain(desa), "kecamatan"),
            kabupaten=roll_up(_plain(desa), "kabupaten"),
            suppressed_k=None,
        )
    areas, kec, kab = release_indicators(desa, k)
    return IndicatorView(desa=areas, kecamatan=kec, kabupaten=kab, suppressed_k=k)


def _plain(desa: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(desa.drop(columns="geometry", errors="ignore"))


def h3_view(cells: pd.DataFrame, user: Principal, k: int) -> pd.DataFrame:
    """H3 cells as ``user`` may see them (suppressed against their grand total for opd/publik)."""
    if not is_suppressed_role(user.role):
        return cells
    rel = suppress_flat(cells, k=k)
    out = rel.areas
    if isinstance(cells, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=cells.crs)
    return strip_family_fields(
        out.drop(columns=[c for c in ("kode_desa_utama",) if c in out.columns])
    )
