"""Poverty pockets (kantong kemiskinan) from the spatial scan, cold spots from Gi*.

A pocket (:func:`pockets_from_scan`, the method of every run) is a cluster of the
Kulldorff scan (:mod:`.scan`): a circle of H3 cells with a significantly elevated share of
extreme-poor persons (``p <= alpha``, family-wise over all circles), no cell shared with a
stronger cluster, at least ``min_jiwa_ekstrem`` extreme-poor persons and a rate at least
``min_rasio`` times the kabupaten rate. Pockets are numbered by decreasing LLR.

:func:`find_pockets` is the former method (connected significant Gi* hot cells), kept for
the power study and for cold spots: cold spots are connected groups of significant cold
Gi* cells, reported separately and never mixed into pockets.

Ids are stable: derived from the sorted cell ids, so the same group of cells gets the same id
in every run (``K-`` for pockets, ``D-`` for cold spots, then 10 hex digits of a SHA-1).
Counts cover geotagged families only (families without a geotag have no cell).
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo_service.analysis.kantong_kelompok import (
    COLD_PREFIX,
    OUTSIDE,
    POCKET_PREFIX,
    cell_index,
    connected_groups,
    family_cell_rows,
    group_id,
    summarise_groups,
)


def find_pockets(
    h3_gi: gpd.GeoDataFrame,
    adjacency: sp.spmatrix,
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    *,
    pct_kabupaten: float,
    min_jiwa_ekstrem: int = 100,
    min_rasio: float = 1.5,
    kelas_col: str = "gi_kelas",
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, np.ndarray]:
    """Pockets and cold spots from significant Gi* classes of H3 cells.

    Parameters
    ----------
    h3_gi
        H3 cells (contract counts, ``h3`` str, geometry) with ``gi_z``, ``gi_p``, ``gi_q``
        and the class column (``panas`` / ``dingin`` / ...).
    adjacency
        H3 adjacency of the cells (ring of 6), as from ``gistar.h3_neighbours(cells)``.
    keluarga
        Families with ``h3`` (uint64), ``kode_desa_lokasi``, ``jumlah_art``, ``ekstrem``.
    desa
        Desa names: ``kode_desa``, ``nama_desa``, ``kode_kec``, ``nama_kec``.
    pct_kabupaten
        Kabupaten person rate of extreme poverty (percent).
    min_jiwa_ekstrem
        A group of hot cells is a pocket only with at least this many extreme-poor persons.
    min_rasio
        ... and a rate at least this many times the kabupaten rate.
    kelas_col
        Column of ``h3_gi`` with the Gi* class.

    Returns
    -------
    pockets
        One row per pocket, ordered by extreme-poor persons (``nomor`` 1, 2, ...):
        ``kantong_id``, ``nomor``, ``luas_km2``, ``n_sel``, ``sel_h3`` (comma-separated),
        the contract counts and ``pct_jiwa_ekstrem``, ``rasio_kabupaten``, Gi* summary
        (``gi_z_maks``, ``gi_z_rata``, ``gi_p_min``, ``gi_q_maks``), ``desa`` and
        ``kecamatan`` (with the share of the pocket's extreme-poor persons), main desa and
        kecamatan, geometry (union of the cells).
    pocket_desa
        Long table of pocket x desa with the shares (cold spots not included).
    cold_spots
        Cold spots, same columns with ``dingin_id`` instead of ``kantong_id``.
    cell_pocket
        Per cell of ``h3_gi``, the ``kantong_id`` it belongs to (None otherwise).
    """
    sel = family_cell_rows(h3_gi, keluarga)
    kelas = h3_gi[kelas_col].to_numpy(dtype=object)
    hot_labels = connected_groups(kelas == "panas", adjacency)
    groups, group_desa = summarise_groups(
        h3_gi,
        hot_labels,
        keluarga,
        desa,
        prefix=POCKET_PREFIX,
        pct_kabupaten=pct_kabupaten,
        sel_keluarga=sel,
    )
    keep = (groups["n_jiwa_ekstrem"] >= min_jiwa_ekstrem) & (
        groups["pct_jiwa_ekstrem"] >= min_rasio * pct_kabupaten
    )
    pockets = groups[keep.to_numpy()]
    pockets = pockets.sort_values(
        ["n_jiwa_ekstrem", "id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    cell_pocket = np.full(len(h3_gi), None, dtype=object)
    for g, pid in zip(pockets["_g"], pockets["id"], strict=True):
        cell_pocket[hot_labels == g] = pid
    pocket_desa = _pocket_desa(group_desa, pockets)
    pockets = pockets.drop(columns="_g").rename(columns={"id": "kantong_id"})
    pockets.insert(1, "nomor", np.arange(1, len(pockets) + 1, dtype=np.int64))

    cold = find_cold_spots(h3_gi, adjacency, keluarga, desa, pct_kabupaten, kelas_col, sel)
    return pockets, pocket_desa, cold, cell_pocket


def find_cold_spots(
    h3_gi: gpd.GeoDataFrame,
    adjacency: sp.spmatrix,
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    pct_kabupaten: float,
    kelas_col: str = "gi_kelas",
    sel: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Cold spots: connected groups of significant cold Gi* cells (``dingin_id``, by
    persons)."""
    if sel is None:
        sel = family_cell_rows(h3_gi, keluarga)
    kelas = h3_gi[kelas_col].to_numpy(dtype=object)
    cold_labels = connected_groups(kelas == "dingin", adjacency)
    cold, _ = summarise_groups(
        h3_gi,
        cold_labels,
        keluarga,
        desa,
        prefix=COLD_PREFIX,
        pct_kabupaten=pct_kabupaten,
        sel_keluarga=sel,
    )
    cold = cold.sort_values(["n_jiwa", "id"], ascending=[False, True], kind="stable")
    cold = cold.drop(columns="_g").rename(columns={"id": "dingin_id"}).reset_index(drop=True)
    cold.insert(1, "nomor", np.arange(1, len(cold) + 1, dtype=np.int64))
    return cold


SCAN_COLUMNS = [
    "risiko_relatif",
    "n_jiwa_ekstrem_harapan",
    "llr",
    "p_value",
    "stabilitas",
    "radius_m",
    "pusat_h3",
    "pusat_lon",
    "pusat_lat",
]


def pockets_from_scan(
    h3_cells: gpd.GeoDataFrame,
    clusters: pd.DataFrame,
    cluster_cells: list[np.ndarray],
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    *,
    pct_kabupaten: float,
    alpha: float = 0.05,
    min_jiwa_ekstrem: int = 100,
    min_rasio: float = 1.5,
    sel_keluarga: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, np.ndarray]:
    """Pockets from the clusters of :func:`~.scan.scan` run on the rows of ``h3_cells``.

    Parameters
    ----------
    h3_cells
        H3 cells (contract counts, ``h3`` str, geometry, Gi* columns ``gi_z``, ``gi_p``,
        ``gi_q`` for the descriptive summary), the rows the scan ran on.
    clusters, cluster_cells
        ``ScanResult.clusters`` and ``ScanResult.cells`` (row indices of ``h3_cells``).
    keluarga, desa, pct_kabupaten, min_jiwa_ekstrem, min_rasio
        As in :func:`find_pockets`.
    alpha
        Largest p-value of a pocket.

    Returns
    -------
    pockets
        One row per pocket, by decreasing LLR (``nomor`` 1, 2, ...): the columns of
        :func:`find_pockets` plus ``risiko_relatif`` (rate inside / rate outside),
        ``n_jiwa_ekstrem_harapan`` (extreme-poor persons expected at the rate of all
        geotagged persons), ``llr``, ``p_value``, ``stabilitas`` (share of
        bootstrap resamples finding it again), ``radius_m``, ``pusat_h3`` / ``pusat_lon`` /
        ``pusat_lat`` (centre cell).
    pocket_desa
        Pocket x desa with the shares of the pocket's extreme-poor persons.
    cell_pocket
        Per row of ``h3_cells``, the ``kantong_id`` (None outside pockets).
    """
    sel = family_cell_rows(h3_cells, keluarga) if sel_keluarga is None else sel_keluarga
    labels = np.full(len(h3_cells), -1, dtype=np.int64)
    for g, cells in enumerate(cluster_cells):
        labels[np.asarray(cells, dtype=np.int64)] = g
    groups, group_desa = summarise_groups(
        h3_cells,
        labels,
        keluarga,
        desa,
        prefix=POCKET_PREFIX,
        pct_kabupaten=pct_kabupaten,
        sel_keluarga=sel,
    )
    cl = clusters.reset_index(drop=True)
    lon, lat = _centres(h3_cells["h3"].to_numpy(dtype=object)[cl["pusat"].to_numpy(np.int64)])
    extra = pd.DataFrame(
        {
            "risiko_relatif": cl["risiko_relatif"].to_numpy("float64"),
            "n_jiwa_ekstrem_harapan": cl["n_jiwa_ekstrem_harapan"].to_numpy("float64"),
            "llr": cl["llr"].to_numpy("float64"),
            "p_value": cl["p_value"].to_numpy("float64"),
            "stabilitas": cl["stabilitas"].to_numpy("float64"),
            "radius_m": np.round(cl["radius_m"].to_numpy("float64"), 1),
            "pusat_h3": h3_cells["h3"].to_numpy(dtype=object)[cl["pusat"].to_numpy(np.int64)],
            "pusat_lon": np.round(lon, 6),
            "pusat_lat": np.round(lat, 6),
        }
    )
    for c in SCAN_COLUMNS:
        groups[c] = extra[c].to_numpy()[groups["_g"].to_numpy()] if len(groups) else []
    keep = (
        (groups["p_value"] <= alpha)
        & (groups["n_jiwa_ekstrem"] >= min_jiwa_ekstrem)
        & (groups["pct_jiwa_ekstrem"] >= min_rasio * pct_kabupaten)
    ).to_numpy(dtype=bool)
    pockets = groups[keep].sort_values(["llr", "id"], ascending=[False, True], kind="stable")
    pockets = pockets.reset_index(drop=True)
    cell_pocket = np.full(len(h3_cells), None, dtype=object)
    for g, pid in zip(pockets["_g"], pockets["id"], strict=True):
        cell_pocket[labels == g] = pid
    pocket_desa = _pocket_desa(group_desa, pockets)
    pockets = pockets.drop(columns="_g").rename(columns={"id": "kantong_id"})
    pockets.insert(1, "nomor", np.arange(1, len(pockets) + 1, dtype=np.int64))
    geometry = pockets.pop("geometry")
    pockets["geometry"] = geometry
    return (
        gpd.GeoDataFrame(pockets, geometry="geometry", crs=h3_cells.crs),
        pocket_desa,
        cell_pocket,
    )


def _centres(cells) -> tuple[np.ndarray, np.ndarray]:
    if not len(cells):
        return np.empty(0), np.empty(0)
    lat, lon = np.array([h3.cell_to_latlng(str(c)) for c in cells]).reshape(-1, 2).T
    return lon, lat


def _pocket_desa(group_desa: pd.DataFrame, pockets: pd.DataFrame) -> pd.DataFrame:
    """The long pocket x desa table in pocket order (``kantong_id`` first)."""
    sub = group_desa[group_desa["id"].isin(pockets["id"])]
    order = {k: i for i, k in enumerate(pockets["id"])}
    sub = (
        sub.assign(_o=sub["id"].map(order))
        .sort_values(
            ["_o", "n_jiwa_ekstrem", "kode_desa"], ascending=[True, False, True], kind="stable"
        )
        .drop(columns="_o")
        .rename(columns={"id": "kantong_id"})
        .reset_index(drop=True)
    )
    return sub[
        [
            "kantong_id",
            "kode_desa",
            "nama_desa",
            "kode_kec",
            "nama_kec",
            "n_keluarga",
            "n_keluarga_ekstrem",
            "n_jiwa_ekstrem",
            "pct_jiwa_ekstrem_kantong",
        ]
    ]


__all__ = [  # the group helpers keep their old import path
    "COLD_PREFIX",
    "OUTSIDE",
    "POCKET_PREFIX",
    "SCAN_COLUMNS",
    "cell_index",
    "connected_groups",
    "family_cell_rows",
    "find_cold_spots",
    "find_pockets",
    "group_id",
    "pockets_from_scan",
    "summarise_groups",
]
