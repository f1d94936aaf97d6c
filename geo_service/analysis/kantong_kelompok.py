"""Groups of H3 cells behind pockets and cold spots (:mod:`.kantong`): stable ids,
connected groups, the family -> cell lookup and the summary of a group (counts, Gi*
figures, area, desa and kecamatan shares, geometry)."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo_service.analysis.aggregate import COUNT_COLUMNS
from geo_service.analysis.locate import cell_to_parent, utm_epsg

POCKET_PREFIX = "K-"
COLD_PREFIX = "D-"
OUTSIDE = "di_luar_batas"


def group_id(cells, prefix: str) -> str:
    """Stable id of a group of H3 cells: prefix + 10 hex digits of SHA-1 of the sorted ids."""
    key = ",".join(sorted(str(c) for c in cells))
    return prefix + hashlib.sha1(key.encode("ascii")).hexdigest()[:10]


def connected_groups(member: np.ndarray, adjacency: sp.spmatrix) -> np.ndarray:
    """Label of the connected group of each member cell (-1 for non-members).

    Labels are 0..g-1 in order of each group's first member (deterministic).
    """
    member = np.asarray(member, dtype=bool)
    labels = np.full(len(member), -1, dtype=np.int64)
    idx = np.flatnonzero(member)
    if not len(idx):
        return labels
    sub = sp.csr_matrix(adjacency)[idx][:, idx]
    _, comp = connected_components(sub, directed=False)
    # Renumber by first appearance so labels do not depend on scipy internals.
    _, first = np.unique(comp, return_index=True)
    order = np.argsort(first, kind="stable")
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    labels[idx] = remap[comp]
    return labels


def cell_index(h3_cells_str: pd.Series) -> pd.Index:
    """Index of uint64 H3 ids (as in ``keluarga["h3"]``) for the string ids of a cell table."""
    return pd.Index(np.array([int(c, 16) for c in h3_cells_str], dtype=np.uint64))


def summarise_groups(
    h3_gi: gpd.GeoDataFrame,
    labels: np.ndarray,
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    *,
    prefix: str,
    pct_kabupaten: float,
    sel_keluarga: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One row per group of cells, plus the desa each group overlaps.

    Parameters
    ----------
    h3_gi
        H3 cells with the contract's counts, ``h3`` (str), geometry and Gi* columns
        (``gi_z``, ``gi_p``, ``gi_q``).
    labels
        Group of each cell (-1: none), from :func:`connected_groups`.
    keluarga
        Families with ``h3`` (uint64), ``kode_desa_lokasi``, ``jumlah_art``, ``ekstrem``.
    desa
        Desa table with ``kode_desa``, ``nama_desa``, ``kode_kec``, ``nama_kec``.
    prefix
        Id prefix (``K-`` pockets, ``D-`` cold spots).
    pct_kabupaten
        Kabupaten ``pct_jiwa_ekstrem``, for the rate ratio.
    sel_keluarga
        Row of ``h3_gi`` of each family (-1: none); computed when not given.

    Returns
    -------
    groups
        GeoDataFrame, one row per group (columns in the module docstring of
        :func:`find_pockets`).
    group_desa
        Long table: group id, desa, extreme-poor families and persons, share of the group's
        extreme-poor persons (``pct_jiwa_ekstrem_kantong``).
    """
    labels = np.asarray(labels)
    n_groups = int(labels.max()) + 1 if len(labels) else 0
    if sel_keluarga is None:
        sel_keluarga = family_cell_rows(h3_gi, keluarga)
    if n_groups == 0:
        return empty_groups(h3_gi.crs), empty_group_desa()

    cells = h3_gi["h3"].to_numpy(dtype=object)
    members = [np.flatnonzero(labels == g) for g in range(n_groups)]
    ids = [group_id(cells[m], prefix) for m in members]

    z_all = h3_gi["gi_z"].to_numpy("float64")
    p_all = h3_gi["gi_p"].to_numpy("float64")
    q_all = h3_gi["gi_q"].to_numpy("float64")
    counts_all = {c: h3_gi[c].to_numpy(np.int64) for c in COUNT_COLUMNS}
    rows = []
    for gid, m in zip(ids, members, strict=True):
        z = z_all[m]
        row = {"id": gid, "n_sel": len(m), "sel_h3": ",".join(sorted(str(c) for c in cells[m]))}
        row.update({c: int(counts_all[c][m].sum()) for c in COUNT_COLUMNS})
        row["gi_z_maks"] = float(np.nanmax(np.abs(z)) * np.sign(np.nansum(z)))
        row["gi_z_rata"] = float(np.nanmean(z))
        row["gi_p_min"] = float(np.nanmin(p_all[m]))
        row["gi_q_maks"] = float(np.nanmax(q_all[m]))
        rows.append(row)
    out = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_jiwa_ekstrem"] = np.where(
            out["n_jiwa"] > 0, 100.0 * out["n_jiwa_ekstrem"] / out["n_jiwa"], np.nan
        )
        out["rasio_kabupaten"] = out["pct_jiwa_ekstrem"] / pct_kabupaten

    # Desa overlapped: where the group's geotagged extreme-poor persons are counted.
    fam_group = np.where(sel_keluarga >= 0, labels[np.maximum(sel_keluarga, 0)], -1)
    infam = fam_group >= 0
    sub = pd.DataFrame(
        {
            "g": fam_group[infam],
            "kode_desa": keluarga["kode_desa_lokasi"].to_numpy(dtype=object)[infam],
            "jiwa": keluarga["jumlah_art"].to_numpy()[infam].astype(np.int64),
            "ekstrem": keluarga["ekstrem"].to_numpy()[infam].astype(bool),
        }
    )
    sub["kode_desa"] = sub["kode_desa"].where(pd.notna(sub["kode_desa"]), OUTSIDE)
    sub["n_keluarga_ekstrem"] = sub["ekstrem"].astype(np.int64)
    sub["n_jiwa_ekstrem"] = np.where(sub["ekstrem"], sub["jiwa"], 0)
    sub["n_keluarga"] = 1
    gd = (
        sub.groupby(["g", "kode_desa"], sort=True)[
            ["n_keluarga", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
        ]
        .sum()
        .reset_index()
    )
    tot = gd.groupby("g")["n_jiwa_ekstrem"].transform("sum")
    gd["pct_jiwa_ekstrem_kantong"] = np.where(tot > 0, 100.0 * gd["n_jiwa_ekstrem"] / tot, 0.0)
    names = desa.set_index("kode_desa")[["nama_desa", "kode_kec", "nama_kec"]]
    gd = gd.join(names, on="kode_desa")
    gd["id"] = np.asarray(ids, dtype=object)[gd["g"].to_numpy()]
    gd = gd.sort_values(
        ["g", "n_jiwa_ekstrem", "n_keluarga", "kode_desa"],
        ascending=[True, False, False, True],
        kind="stable",
    )

    inside = gd[gd["kode_desa"] != OUTSIDE]
    kec = (
        inside.groupby(["g", "kode_kec", "nama_kec"], sort=True)["pct_jiwa_ekstrem_kantong"]
        .sum()
        .reset_index()
        .sort_values(
            ["g", "pct_jiwa_ekstrem_kantong", "kode_kec"],
            ascending=[True, False, True],
            kind="stable",
        )
    )
    desa_text = [""] * n_groups
    kec_text = [""] * n_groups
    main = {k: [None] * n_groups for k in ("kode_desa", "nama_desa", "kode_kec", "nama_kec")}
    for g, part in inside.groupby("g", sort=True):
        desa_text[g] = "; ".join(
            f"{n} ({k}) {v:.0f}%"
            for n, k, v in zip(
                part["nama_desa"], part["kode_desa"], part["pct_jiwa_ekstrem_kantong"], strict=True
            )
        )
        main["kode_desa"][g] = part["kode_desa"].iloc[0]
        main["nama_desa"][g] = part["nama_desa"].iloc[0]
    for g, part in kec.groupby("g", sort=True):
        kec_text[g] = "; ".join(
            f"{n} {v:.0f}%"
            for n, v in zip(part["nama_kec"], part["pct_jiwa_ekstrem_kantong"], strict=True)
        )
        main["kode_kec"][g] = part["kode_kec"].iloc[0]
        main["nama_kec"][g] = part["nama_kec"].iloc[0]
    out["kode_desa_utama"] = main["kode_desa"]
    out["nama_desa_utama"] = main["nama_desa"]
    out["kode_kec_utama"] = main["kode_kec"]
    out["nama_kec_utama"] = main["nama_kec"]
    out["desa"] = desa_text
    out["kecamatan"] = kec_text

    geoms = h3_gi.geometry.to_numpy()
    out["geometry"] = [shapely.union_all(geoms[m]) for m in members]
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=h3_gi.crs)
    if len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        area = gdf.to_crs(utm_epsg((minx + maxx) / 2, (miny + maxy) / 2)).area / 1e6
    else:
        area = []
    gdf.insert(2, "luas_km2", np.round(np.asarray(area, dtype="float64"), 3))
    gdf["_g"] = np.arange(n_groups)
    gd = gd.drop(columns="g")
    return gdf, gd


def family_cell_rows(h3_gi: pd.DataFrame, keluarga: pd.DataFrame) -> np.ndarray:
    """Row of ``h3_gi`` holding each family (-1: no geotag or cell not in the table)."""
    index = cell_index(h3_gi["h3"])
    fam = keluarga["h3"].to_numpy(dtype=np.uint64)
    res = _resolution(index)
    if res is not None and len(fam):
        fam = cell_to_parent(fam, res)
    pos = index.get_indexer(fam)
    pos[fam == 0] = -1
    return pos


def _resolution(index: pd.Index) -> int | None:
    if not len(index):
        return None
    return int((int(index[0]) >> 52) & 0xF)


GROUP_COLUMNS = [
    "id",
    "n_sel",
    "luas_km2",
    "sel_h3",
    *COUNT_COLUMNS,
    "gi_z_maks",
    "gi_z_rata",
    "gi_p_min",
    "gi_q_maks",
    "pct_jiwa_ekstrem",
    "rasio_kabupaten",
    "kode_desa_utama",
    "nama_desa_utama",
    "kode_kec_utama",
    "nama_kec_utama",
    "desa",
    "kecamatan",
    "_g",
]


def empty_groups(crs) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in GROUP_COLUMNS})
    for c in [
        "id",
        "sel_h3",
        "kode_desa_utama",
        "nama_desa_utama",
        "kode_kec_utama",
        "nama_kec_utama",
        "desa",
        "kecamatan",
    ]:
        frame[c] = frame[c].astype(object)
    for c in ["n_sel", *COUNT_COLUMNS, "_g"]:
        frame[c] = frame[c].astype(np.int64)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def empty_group_desa() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype=object),
            "kode_desa": pd.Series(dtype=object),
            "n_keluarga": pd.Series(dtype=np.int64),
            "n_keluarga_ekstrem": pd.Series(dtype=np.int64),
            "n_jiwa_ekstrem": pd.Series(dtype=np.int64),
            "pct_jiwa_ekstrem_kantong": pd.Series(dtype="float64"),
            "nama_desa": pd.Series(dtype=object),
            "kode_kec": pd.Series(dtype=object),
            "nama_kec": pd.Series(dtype=object),
        }
    )


__all__ = [
    "COLD_PREFIX",
    "GROUP_COLUMNS",
    "OUTSIDE",
    "POCKET_PREFIX",
    "cell_index",
    "connected_groups",
    "empty_group_desa",
    "empty_groups",
    "family_cell_rows",
    "group_id",
    "summarise_groups",
]
