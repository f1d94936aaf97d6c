"""What each role may see of a run's tables: suppression for opd/publik, no family-level fields.

Pure functions over frames (the routes fetch, these shape, the formats serialise).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis.disclosure import (
    SUPPRESSED_FLAG,
    UNPROTECTED_COLUMNS,
    Release,
    is_small,
    is_suppressed_role,
    suppress_flat,
    suppress_hierarchy,
)
from geo_service.api.security import Principal

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

    For opd and publik the three come from one release (:func:`suppress_hierarchy`), so no
    hidden value can be recovered by subtracting published ones.
    """
    from geo_service.analysis.aggregate import roll_up

    if not is_suppressed_role(user.role):
        return IndicatorView(
            desa=desa,
            kecamatan=roll_up(_plain(desa), "kecamatan"),
            kabupaten=roll_up(_plain(desa), "kabupaten"),
            suppressed_k=None,
        )
    labels = desa[["kode_kec", "nama_kec", "kode_kab", "nama_kab"]].drop_duplicates("kode_kec")
    rel: Release = suppress_hierarchy(
        desa, group="kode_kec", k=k, group_labels=labels.set_index("kode_kec")
    )
    areas = rel.areas
    if isinstance(desa, gpd.GeoDataFrame):
        areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=desa.crs)
    kab = rel.total.assign(kode_kab=desa["kode_kab"].iloc[0], nama_kab=desa["nama_kab"].iloc[0])
    kab = kab[
        ["kode_kab", "nama_kab", *[c for c in kab.columns if c not in ("kode_kab", "nama_kab")]]
    ]
    return IndicatorView(
        desa=strip_family_fields(areas), kecamatan=rel.groups, kabupaten=kab, suppressed_k=k
    )


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


# Text columns that spell out shares of small groups (e.g. "Balok 1%" of a pocket).
SHARE_TEXT_COLUMNS = frozenset({"desa", "kecamatan", "kuadran_keterangan_detail"})
KEPT_RATES = frozenset({"pct_jiwa_ekstrem"})


def planning_view(
    frame: pd.DataFrame, user: Principal, k: int, desa_view: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A planning table (priorities, OPD targets, coverage, pockets) as ``user`` may see it.

    For opd and publik:

    - family-level fields and share-of-pocket texts are dropped;
    - desa counts and the desa rate come from the desa release (hidden there, hidden here);
    - rates of sub-groups (``pct_eksklusi_*``, ...) are dropped: with a published base
      they would give back a small count;
    - every other count ``c`` is hidden when ``c`` is in ``1..k-1`` or when ``w - c`` is for
      another published count ``w >= c`` of the row (a complement); a row with a hidden count
      also loses its reason text and score.
    """
    if not is_suppressed_role(user.role):
        return frame
    out = strip_family_fields(frame).copy()
    drop = [
        c
        for c in out.columns
        if c in UNPROTECTED_COLUMNS
        or c in SHARE_TEXT_COLUMNS
        or (c.startswith(RATE_PREFIXES) and c not in KEPT_RATES)
    ]
    out = out.drop(columns=drop)
    hidden = np.zeros(len(out), dtype=bool)
    released_cols: list[str] = []
    if desa_view is not None and "kode_desa" in out.columns:
        released = (
            desa_view.drop(columns="geometry", errors="ignore")
            .drop_duplicates("kode_desa")
            .set_index("kode_desa")
        )
        released_cols = [
            c for c in released.columns if c.startswith(COUNT_PREFIXES) or c in KEPT_RATES
        ]
        released_cols = [c for c in released_cols if c in out.columns]
        if SUPPRESSED_FLAG in released.columns:
            hidden |= out["kode_desa"].map(released[SUPPRESSED_FLAG]).fillna(True).to_numpy(bool)
        for c in released_cols:
            out[c] = out["kode_desa"].map(released[c])
    counts = [
        c
        for c in out.columns
        if c.startswith(COUNT_PREFIXES)
        and c not in released_cols
        and pd.api.types.is_numeric_dtype(out[c])
    ]
    values = {
        c: pd.to_numeric(out[c], errors="coerce").to_numpy(dtype="float64")
        for c in [*counts, *[r for r in released_cols if r.startswith(COUNT_PREFIXES)]]
    }
    cell_hidden = {c: is_small(np.nan_to_num(values[c]), k) for c in counts}
    for c in counts:
        for w, wv in values.items():
            if w == c:
                continue
            diff = wv - values[c]
            cell_hidden[c] |= np.isfinite(diff) & (diff >= 0) & is_small(np.nan_to_num(diff), k)
    any_cell = np.zeros(len(out), dtype=bool)
    for c in counts:
        col = out[c].astype(object)
        col[cell_hidden[c] | hidden] = None
        out[c] = col
        any_cell |= cell_hidden[c]
    for c in released_cols:
        col = out[c].astype(object)
        col[hidden] = None
        out[c] = col
    for c in ("alasan", "skor"):
        if c in out.columns:
            col = out[c].astype(object)
            col[hidden | any_cell] = None
            out[c] = col
    out[SUPPRESSED_FLAG] = hidden | any_cell
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in out.columns:
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)
    return out
