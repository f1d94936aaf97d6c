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
    frame = pd.DataFrame(
        {
            "key": keys,
            "n_keluarga": 1,
            "n_jiwa": jiwa.astype(np.int64),
            "n_keluarga_ekstrem": ekstrem.astype(np.int64),
            "n_jiwa_ekstrem": np.where(ekstrem, jiwa, 0).astype(np.int64),
        }
    )
    return frame.groupby("key", sort=True)[COUNT_COLUMNS].sum()


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
    and ``lat``; families ``di_luar_batas`` are counted in no desa.
    """
    inside = keluarga["kode_desa_lokasi"].notna().to_numpy()
    sub = keluarga.loc[inside]
    counts = _counts(
        sub["kode_desa_lokasi"].to_numpy(), sub["jumlah_art"].to_numpy(), ekstrem[inside]
    )
    extra = (
        pd.DataFrame(
            {
                "key": sub["kode_desa_lokasi"].to_numpy(),
                "n_keluarga_geotag": sub["lat"].notna().to_numpy().astype(np.int64),
                "n_lokasi_tidak_sesuai": sub["lokasi_tidak_sesuai"].to_numpy().astype(np.int64),
            }
        )
        .groupby("key")
        .sum()
    )
    cols = ["kode", "nama", "kode_kec", "nama_kec", "kode_kab", "nama_kab"]
    out = desa[[c for c in cols if c in desa.columns] + ["geometry"]].copy()
    joined = out[["kode"]].join(counts.join(extra), on="kode").drop(columns="kode")
    for c in ["n_keluarga_geotag", "n_lokasi_tidak_sesuai"]:
        joined[c] = joined[c].fillna(0).astype(np.int64)
    joined = _with_rate(joined)
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
    counts = _with_rate(_counts(cells[has], keluarga["jumlah_art"].to_numpy()[has], ekstrem[has]))
    ids = cells_to_str(counts.index.to_numpy())
    geoms = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ids]
    # The desa holding most of the cell's families (ties: lowest code), without a per-cell loop.
    pairs = pd.DataFrame(
        {"key": cells[has], "kode_desa": keluarga["kode_desa_lokasi"].to_numpy()[has]}
    ).dropna()
    sizes = pairs.groupby(["key", "kode_desa"], sort=True).size().rename("n").reset_index()
    sizes = sizes.sort_values(
        ["key", "n", "kode_desa"], ascending=[True, False, True], kind="stable"
    )
    dominant = sizes.drop_duplicates("key").set_index("key")["kode_desa"]
    out = gpd.GeoDataFrame(
        {
            "h3": ids,
            "resolusi": h3.get_resolution(ids[0]) if len(ids) else resolution,
            **{c: counts[c].to_numpy() for c in INDICATOR_COLUMNS},
            "kode_desa_utama": dominant.reindex(counts.index).to_numpy(),
        },
        geometry=geoms,
        crs=4326,
    )
    return out
