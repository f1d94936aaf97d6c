"""Counts and person-based rates per desa, kecamatan, kabupaten and H3 cell."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis.locate import cell_to_parent, cells_to_str

COUNT_COLUMNS = ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
INDICATOR_COLUMNS = [*COUNT_COLUMNS, "pct_jiwa_ekstrem"]


def is_ekstrem(keluarga: pd.DataFrame, *, garis_ekstrem: float | None = None) -> np.ndarray:
    """Whether each family is extreme poor.

    By default ``desil == 1``. With ``garis_ekstrem`` (Rp/person/month), a family with known
    ``pengeluaran_kapita`` is extreme poor when below it; one without falls back to desil 1.
    """
    desil1 = keluarga["desil"].to_numpy() == 1
    if garis_ekstrem is None:
        return desil1
    peng = keluarga["pengeluaran_kapita"].to_numpy(dtype="float64")
    return np.where(np.isnan(peng), desil1, peng < garis_ekstrem)


def _counts(keys: pd.Series | np.ndarray, jiwa: np.ndarray, ekstrem: np.ndarray) -> pd.DataFrame:
    """Counts per key (sorted keys as the index), by ``np.unique`` and ``np.bincount``."""
    uniq, inv = np.unique(np.asarray(keys), return_inverse=True)
    return pd.DataFrame(_sums(inv, len(uniq), jiwa, ekstrem), index=pd.Index(uniq, name="key"))


def _sums(pos: np.ndarray, n: int, jiwa: np.ndarray, ekstrem: np.ndarray) -> dict:
    """The four counts of groups ``0..n-1`` (``pos`` per family, all valid)."""
    jiwa = np.asarray(jiwa, dtype=np.int64)
    ekstrem = np.asarray(ekstrem, dtype=bool)
    return {
        "n_keluarga": np.bincount(pos, minlength=n).astype(np.int64),
        "n_jiwa": np.bincount(pos, weights=jiwa, minlength=n).astype(np.int64),
        "n_keluarga_ekstrem": np.bincount(pos, weights=ekstrem, minlength=n).astype(np.int64),
        "n_jiwa_ekstrem": np.bincount(pos, weights=jiwa * ekstrem, minlength=n).astype(np.int64),
    }


def _with_rate(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for c in COUNT_COLUMNS:
        frame[c] = frame[c].fillna(0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["pct_jiwa_ekstrem"] = np.where(
            frame["n_jiwa"] > 0, 100.0 * frame["n_jiwa_ekstrem"] / frame["n_jiwa"], np.nan
        )
    return frame


def desa_indicators(
    keluarga: pd.DataFrame, ekstrem: np.ndarray, desa: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Indicators for every desa of ``desa`` (zero where no family is counted).

    ``keluarga`` carries the location result (``kode_desa_lokasi``, ``lokasi_tidak_sesuai``)
    and ``lat``; families ``di_luar_batas`` are counted in no desa. Families are matched
    to desa by one hash lookup of their codes and counted with ``np.bincount``.
    """
    n_desa = len(desa)
    pos = pd.Index(desa["kode"].to_numpy()).get_indexer(keluarga["kode_desa_lokasi"])
    inside = pos >= 0
    p = pos[inside]
    sums = _sums(p, n_desa, keluarga["jumlah_art"].to_numpy()[inside], ekstrem[inside])
    sums["n_keluarga_geotag"] = np.bincount(
        p, weights=keluarga["lat"].notna().to_numpy()[inside], minlength=n_desa
    ).astype(np.int64)
    sums["n_lokasi_tidak_sesuai"] = np.bincount(
        p,
        weights=keluarga["lokasi_tidak_sesuai"].to_numpy(dtype=bool)[inside],
        minlength=n_desa,
    ).astype(np.int64)
    cols = ["kode", "nama", "kode_kec", "nama_kec", "kode_kab", "nama_kab"]
    out = desa[[c for c in cols if c in desa.columns] + ["geometry"]].copy()
    joined = _with_rate(pd.DataFrame(sums, index=out.index))
    out = pd.concat([out.drop(columns="geometry"), joined, out[["geometry"]]], axis=1)
    out = out.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    return gpd.GeoDataFrame(out, geometry="geometry", crs=desa.crs).sort_values("kode_desa")


def roll_up(desa_ind: pd.DataFrame, level: str) -> pd.DataFrame:
    """Kecamatan (``level="kecamatan"``) or kabupaten totals from desa indicators."""
    if level == "kecamatan":
        key, names = "kode_kec", ["kode_kec", "nama_kec", "kode_kab", "nama_kab"]
    elif level == "kabupaten":
        key, names = "kode_kab", ["kode_kab", "nama_kab"]
    else:
        raise ValueError("level must be 'kecamatan' or 'kabupaten'")
    sums = ["n_desa", *COUNT_COLUMNS, "n_keluarga_geotag", "n_lokasi_tidak_sesuai"]
    frame = desa_ind.assign(n_desa=1)
    total = frame.groupby(key, sort=True)[sums].sum()
    labels = frame[names].drop_duplicates(key).set_index(key)
    return _with_rate(labels.join(total)).reset_index()


def h3_indicators(
    keluarga: pd.DataFrame,
    ekstrem: np.ndarray,
    cells: np.ndarray,
    *,
    resolution: int | None = None,
) -> gpd.GeoDataFrame:
    """Indicators per H3 cell for every geotagged family (including those outside boundaries).

    ``cells`` are uint64 H3 cells at the finest resolution computed (0 = no geotag); give
    ``resolution`` to aggregate at a coarser one (parents by bit operations).
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if resolution is not None:
        cells = cell_to_parent(cells, resolution)
    has = cells != 0
    uniq, cell_pos = np.unique(cells[has], return_inverse=True)
    counts = _with_rate(
        pd.DataFrame(
            _sums(cell_pos, len(uniq), keluarga["jumlah_art"].to_numpy()[has], ekstrem[has])
        )
    )
    ids = cells_to_str(uniq)
    # The desa holding most of the cell's families (ties: lowest code), without a per-cell
    # loop: one count per (cell, desa) pair, sorted.
    kode, kode_pos = _sorted_codes(keluarga["kode_desa_lokasi"].to_numpy()[has])
    located = kode_pos >= 0
    pair = cell_pos[located].astype(np.int64) * max(len(kode), 1) + kode_pos[located]
    pairs, n_pair = np.unique(pair, return_counts=True)
    p_cell, p_kode = pairs // max(len(kode), 1), pairs % max(len(kode), 1)
    dominant = pd.array([pd.NA] * len(uniq), dtype="string")
    if len(pairs):
        best = np.lexsort((p_kode, -n_pair, p_cell))
        first = best[np.r_[True, p_cell[best][1:] != p_cell[best][:-1]]]
        dominant[p_cell[first]] = kode[p_kode[first]]
    out = gpd.GeoDataFrame(
        {
            "h3": ids,
            "resolusi": h3.get_resolution(ids[0]) if len(ids) else resolution,
            **{c: counts[c].to_numpy() for c in INDICATOR_COLUMNS},
            "kode_desa_utama": dominant.to_numpy(),
        },
        geometry=_hexagons(ids),
        crs=4326,
    )
    return out


def _sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct codes and each value's position among them (-1 for missing)."""
    pos, uniq = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.asarray(uniq, dtype=object), pos


def _hexagons(ids: np.ndarray) -> np.ndarray:
    """Polygons of H3 cells (lon, lat), built in one call from their boundary rings."""
    rings = [h3.cell_to_boundary(c) for c in ids]
    if not rings:
        return np.empty(0, dtype=object)
    sizes = np.fromiter((len(r) + 1 for r in rings), dtype=np.int64, count=len(rings))
    latlng = np.concatenate([np.asarray(r + (r[0],), dtype="float64") for r in rings])
    ring_of = np.repeat(np.arange(len(rings)), sizes)
    return np.asarray(shapely.polygons(shapely.linearrings(latlng[:, ::-1], indices=ring_of)))
