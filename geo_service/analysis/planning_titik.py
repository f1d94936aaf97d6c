"""Hot-spot stage of the planning run (:mod:`.planning`, steps 1-3): empirical-Bayes rates
and Gi* on H3 cells (descriptive layer, cold spots) and the Kulldorff scan for the pockets;
the Gi* helpers shared with the desa layer."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis import gistar as G
from geo_service.analysis.kantong import family_cell_rows, find_cold_spots, pockets_from_scan
from geo_service.analysis.pipeline import IndicatorResult
from geo_service.analysis.planning_params import PlanningParams
from geo_service.analysis.scan import scan
from geo_service.analysis.smoothing import eb_global, eb_local, eb_standardised, effective_n


@dataclass(frozen=True)
class HotSpots:
    """Hot-spot stage on H3 cells: cells with Gi* columns and ``kantong_id``, pockets (scan
    clusters), the desa they overlap, cold spots (Gi*), the cell row of each family (-1:
    none), and the scan's critical LLR and null maxima (for the record)."""

    h3: gpd.GeoDataFrame
    pockets: gpd.GeoDataFrame
    pocket_desa: pd.DataFrame
    cold_spots: gpd.GeoDataFrame
    family_cell: np.ndarray
    scan_llr_kritis: float = float("nan")


def detect_pockets(
    result: IndicatorResult,
    params: PlanningParams | None = None,
    *,
    seed: int | np.random.SeedSequence,
) -> HotSpots:
    """Steps 1-3 only: EB rates and Gi* on H3 cells (descriptive layer, cold spots), the
    Kulldorff scan for the pockets. :func:`compute_planning` calls this with the first
    stream spawned from its seed; the Gi* permutations and the scan replicates get streams
    of their own spawned from it.
    """
    params = params or PlanningParams()
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    s_gi, s_scan = ss.spawn(2)
    fam = result.keluarga
    kab_pct = float(result.kabupaten["pct_jiwa_ekstrem"].iloc[0])
    h3 = result.h3.copy().reset_index(drop=True)
    cells = h3["h3"].tolist()
    adjacency = G.h3_neighbours(cells, k=1)
    lon, lat = G.cell_centres(cells)
    if params.h3_jarak_m:
        w_cells = G.distance_band_neighbours(lon, lat, params.h3_jarak_m)
    elif params.h3_k == 1:
        w_cells = adjacency
    else:
        w_cells = G.h3_neighbours(cells, k=params.h3_k)
    sel = family_cell_rows(h3, fam)
    jiwa = fam["jumlah_art"].to_numpy("float64")
    n_eff = effective_n(h3["n_jiwa"].to_numpy(), sum_by(sel, jiwa**2, len(h3)))
    h3["pct_jiwa_ekstrem_eb"] = 100 * eb_global(h3["n_jiwa_ekstrem"], h3["n_jiwa"], n_eff=n_eff)
    h3 = with_gi(h3, gi_values(h3, n_eff, w_cells, params.nilai_gi), w_cells, params, s_gi)
    names = result.desa[["kode_desa", "nama_desa", "kode_kec", "nama_kec"]]
    found = scan(
        lon,
        lat,
        sel,
        fam["jumlah_art"].to_numpy(),
        fam["ekstrem"].to_numpy(dtype=bool),
        model=params.scan_model,
        radius_max_m=params.scan_radius_m,
        share_max=params.scan_share_max,
        replicates=params.scan_replicates,
        alpha=params.alpha,
        stability=params.scan_stabilitas,
        seed=s_scan,
    )
    pockets, pocket_desa, cell_pocket = pockets_from_scan(
        h3,
        found.clusters,
        found.cells,
        fam,
        names,
        pct_kabupaten=kab_pct,
        alpha=params.alpha,
        min_jiwa_ekstrem=params.min_jiwa_ekstrem,
        min_rasio=params.min_rasio,
        sel_keluarga=sel,
    )
    cold = find_cold_spots(h3, adjacency, fam, names, kab_pct, sel=sel)
    h3["kantong_id"] = cell_pocket
    h3 = h3[[c for c in h3.columns if c != "geometry"] + ["geometry"]]
    return HotSpots(
        h3=h3,
        pockets=pockets,
        pocket_desa=pocket_desa,
        cold_spots=cold,
        family_cell=sel,
        scan_llr_kritis=float(found.llr_kritis),
    )


def sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    ok = index >= 0
    return np.bincount(index[ok], weights=values[ok], minlength=n)


def gi_values(frame: pd.DataFrame, n_eff: np.ndarray, neighbours, how: str) -> np.ndarray:
    events = frame["n_jiwa_ekstrem"].to_numpy("float64")
    pop = frame["n_jiwa"].to_numpy("float64")
    if how == "eb_global":
        return eb_global(events, pop, n_eff=n_eff)
    if how == "eb_lokal":
        return eb_local(events, pop, neighbours, n_eff=n_eff)
    if how == "eb_standar":
        return eb_standardised(events, pop, n_eff=n_eff)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pop > 0, events / pop, np.nan)


def with_gi(frame, values, neighbours, params: PlanningParams, seed) -> pd.DataFrame:
    gi = G.gi_star(
        values,
        neighbours,
        permutations=params.permutations,
        permutations_max=params.permutations_max,
        refine_below=max(0.1, 2 * params.alpha),
        seed=seed,
        conditional=params.permutasi_kondisional,
    )
    frame["gi_nilai"] = values
    stats = gi.frame()
    for c in stats.columns:
        frame[c] = stats[c].to_numpy()
    kelas, p_side, q = G.classify_one_sided(gi.z, gi.p_panas, gi.p_dingin, params.alpha)
    frame["gi_p"] = p_side  # one-sided, in the direction of gi_z
    frame["gi_q"] = q
    frame["gi_kelas"] = kelas
    if "geometry" in frame.columns:  # keep geometry last
        frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    return frame


__all__ = ["HotSpots", "detect_pockets", "gi_values", "sum_by", "with_gi"]
