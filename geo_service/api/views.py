"""What each role may see of a run's tables: suppression for opd/publik, no family-level fields.

Pure functions over frames (the routes fetch, these shape, the formats serialise).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..analysis.disclosure import (
    SUPPRESSED_FLAG,
    UNPROTECTED_COLUMNS,
    Release,
    is_small,
    is_suppressed_role,
    suppress_flat,
    suppress_hierarchy,
)
from .security import Principal

# Columns that describe single families; never shown to opd or publik.
FAMILY_LEVEL_FIELDS = frozenset({
    "id_keluarga", "lat", "lon", "nik", "nama_kepala_keluarga", "alamat", "pengeluaran_kapita",
    "daftar_keluarga", "id_keluarga_kandidat", "kandidat_uji_petik", "keluarga",
})
COUNT_PREFIXES = ("n_", "jumlah_")
RATE_PREFIXES = ("pct_", "persen_", "porsi_", "share_", "rasio_")


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

    For opd and publik the three come from one release (:func:`suppress_hierarchy`), so no
    hidden value can be recovered by subtracting published ones.
    """
    from ..analysis.aggregate import roll_up

    if not is_suppressed_role(user.role):
        return IndicatorView(desa=desa, kecamatan=roll_up(_plain(desa), "kecamatan"),
                             kabupaten=roll_up(_plain(desa), "kabupaten"), suppressed_k=None)
    labels = desa[["kode_kec", "nama_kec", "kode_kab", "nama_kab"]].drop_duplicates("kode_kec")
    rel: Release = suppress_hierarchy(desa, group="kode_kec", k=k,
                                      group_labels=labels.set_index("kode_kec"))
    areas = rel.areas
    if isinstance(desa, gpd.GeoDataFrame):
        areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=desa.crs)
    kab = rel.total.assign(kode_kab=desa["kode_kab"].iloc[0], nama_kab=desa["nama_kab"].iloc[0])
    kab = kab[["kode_kab", "nama_kab", *[c for c in kab.columns
                                         if c not in ("kode_kab", "nama_kab")]]]
    return IndicatorView(desa=strip_family_fields(areas), kecamatan=rel.groups, kabupaten=kab,
                         suppressed_k=k)


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
    return strip_family_fields(out.drop(columns=[c for c in ("kode_desa_utama",)
                                                 if c in out.columns]))


def planning_view(frame: pd.DataFrame, user: Principal, k: int,
                  desa_view: pd.DataFrame | None = None) -> pd.DataFrame:
    """A planning table (priorities, OPD targets, coverage, pockets) as ``user`` may see it.

    For opd and publik: family-level fields dropped; desa counts replaced by the values of the
    desa release (hidden there, hidden here); every other count in ``1..k-1`` hidden, with the
    rates and the reasons of that row.
    """
    if not is_suppressed_role(user.role):
        return frame
    out = strip_family_fields(frame).copy()
    out = out.drop(columns=[c for c in UNPROTECTED_COLUMNS if c in out.columns])
    hidden = np.zeros(len(out), dtype=bool)
    if desa_view is not None and "kode_desa" in out.columns:
        released = desa_view.drop(columns="geometry", errors="ignore").set_index("kode_desa")
        shared = [c for c in released.columns if c.startswith(COUNT_PREFIXES + RATE_PREFIXES)
                  and c in out.columns]
        if SUPPRESSED_FLAG in released.columns:
            flag = out["kode_desa"].map(released[SUPPRESSED_FLAG]).fillna(True).to_numpy(bool)
            hidden |= flag
        for c in shared:
            out[c] = out["kode_desa"].map(released[c])
    counts = [c for c in out.columns if c.startswith(COUNT_PREFIXES)
              and pd.api.types.is_numeric_dtype(out[c])]
    for c in counts:
        hidden |= is_small(pd.to_numeric(out[c], errors="coerce").fillna(0).to_numpy(), k)
    hide_cols = counts + [c for c in out.columns if c.startswith(RATE_PREFIXES)] + [
        c for c in ("alasan", "skor") if c in out.columns]
    for c in hide_cols:
        out[c] = out[c].astype(object)
        out.loc[hidden, c] = None
    out[SUPPRESSED_FLAG] = hidden
    return out
