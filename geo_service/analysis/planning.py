"""Planning stage in one call: pockets, cold spots, priority desa, needs per OPD, coverage.

``compute_planning(result, params, seed=...)`` takes the indicators of
:func:`~geo_service.analysis.pipeline.compute_indicators` and returns a
:class:`PlanningResult`. Same input, parameters and seed give identical output; the seed
drives only the scan replicates, the Gi* permutations and the bootstraps (independent
streams spawned from it), so another seed changes only p-values and rank intervals, within Monte Carlo error.

Steps
-----
1. Person-based extreme-poverty rate per H3 cell, stabilised by empirical Bayes
   (:mod:`.smoothing`; default global Marshall with Kish effective sizes).
2. Gi* on the cells as the descriptive hot-spot layer (map colours, cell classes):
   neighbours the ring of adjacent cells or a distance band, pseudo p-values by conditional
   permutation, one-sided for hot and for cold, Benjamini-Hochberg at ``alpha`` on each side
   (:mod:`.gistar`). Cold spots are connected significant cold cells.
3. Pockets: Kulldorff's spatial scan (Bernoulli on persons, family-level random labelling,
   circles of cells up to ``scan_radius_m`` and ``scan_share_max``), significant clusters
   with enough extreme-poor persons and a rate well above the kabupaten's (:mod:`.scan`,
   :mod:`.kantong`); see ``docs/metode_kantong.md``.
4. The same Gi* on desa (queen contiguity) for the desa map.
5. Priority desa: quadrant, composite score, bootstrap rank interval, reason
   (:mod:`.priorities`).
6. Needs per desa and pocket, OPD targets, programme coverage (:mod:`.needs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis import gistar as G
from geo_service.analysis.kebutuhan import needs_by, opd_targets, programme_coverage
from geo_service.analysis.pipeline import IndicatorResult
from geo_service.analysis.planning_metode import method_table
from geo_service.analysis.planning_params import GI_VALUES, PlanningParams
from geo_service.analysis.planning_titik import (
    HotSpots,
    detect_pockets,
    gi_values,
    sum_by,
    with_gi,
)
from geo_service.analysis.prioritas import compute_priorities
from geo_service.analysis.smoothing import eb_global, effective_n


@dataclass(frozen=True)
class PlanningResult:
    """Everything the planning stage produces (frames ready to export).

    Attributes
    ----------
    h3
        H3 cells (``IndicatorResult.h3``) plus ``pct_jiwa_ekstrem_eb``, ``gi_nilai``,
        ``gi_z``, ``gi_z_sim``, ``gi_p_panas``, ``gi_p_dingin``, ``gi_p``, ``gi_q``,
        ``gi_kelas``, ``n_tetangga``, ``gi_n_permutasi``, ``kantong_id``.
    desa
        Desa indicators plus the same Gi* columns (queen contiguity).
    pockets
        Pockets (:func:`~.kantong.pockets_from_scan`: scan clusters with relative risk,
        observed and expected extreme-poor persons, LLR, p-value, stability), geometry =
        union of cells.
    pocket_desa
        Pocket x desa: share of each pocket's extreme-poor persons per desa.
    cold_spots
        Cold spots, never mixed into pockets.
    priorities
        Priority desa (:func:`~.priorities.compute_priorities`).
    needs_desa, needs_pocket
        Share of extreme-poor families with each need, per desa / pocket.
    opd_targets
        Per OPD and programme, the target desa with family counts (empty without a
        programme table).
    coverage_desa, coverage_pocket
        Exclusion and inclusion errors of PKH, BPNT, PBI-JK.
    summary
        Counts and kabupaten values of the run.
    """

    params: PlanningParams
    seed: int
    h3: gpd.GeoDataFrame
    desa: gpd.GeoDataFrame
    pockets: gpd.GeoDataFrame
    pocket_desa: pd.DataFrame
    cold_spots: gpd.GeoDataFrame
    priorities: pd.DataFrame
    needs_desa: pd.DataFrame
    needs_pocket: pd.DataFrame
    opd_targets: pd.DataFrame
    coverage_desa: pd.DataFrame
    coverage_pocket: pd.DataFrame
    summary: dict

    def record(self) -> dict:
        """Parameters, seed and summary, to be written next to the outputs."""
        return {"seed": self.seed, "parameter": self.params.record(), "ringkasan": self.summary}


def compute_planning(
    result: IndicatorResult,
    params: PlanningParams | None = None,
    *,
    seed: int,
    programmes: pd.DataFrame | None = None,
    lang: str = "id",
    on_step=None,
) -> PlanningResult:
    """Pockets, cold spots, priority desa, needs, OPD targets and coverage.

    Parameters
    ----------
    result
        Indicators of the same run (``compute_indicators``).
    params
        Planning parameters (defaults documented in :class:`PlanningParams`).
    seed
        Seed of the permutations and the bootstrap.
    programmes
        Need -> OPD/programme table (``io.reference.read_opd_programmes``); without it
        ``opd_targets`` is empty.
    lang
        Language of labels and reasons ("id" or "en").
    on_step
        Called with a step name before each step (progress display): ``kantong``,
        ``desa_gi``, ``prioritas``, ``kebutuhan``.
    """
    params = params or PlanningParams()
    step = on_step or (lambda name: None)
    streams = np.random.SeedSequence(int(seed)).spawn(3)
    fam = result.keluarga
    kab_pct = float(result.kabupaten["pct_jiwa_ekstrem"].iloc[0])

    step("kantong")
    hot = detect_pockets(result, params, seed=streams[0])
    h3, pockets, pocket_desa, cold = hot.h3, hot.pockets, hot.pocket_desa, hot.cold_spots
    sel, cell_pocket = hot.family_cell, h3["kantong_id"].to_numpy(dtype=object)
    names = result.desa[["kode_desa", "nama_desa", "kode_kec", "nama_kec"]]

    step("desa_gi")
    desa = result.desa.copy().reset_index(drop=True)
    d_idx = pd.Index(desa["kode_desa"].astype(str)).get_indexer(
        fam["kode_desa_lokasi"].astype(object).where(fam["kode_desa_lokasi"].notna(), None)
    )
    d_eff = effective_n(
        desa["n_jiwa"].to_numpy(),
        sum_by(d_idx, fam["jumlah_art"].to_numpy("float64") ** 2, len(desa)),
    )
    desa["pct_jiwa_ekstrem_eb"] = 100 * eb_global(
        desa["n_jiwa_ekstrem"], desa["n_jiwa"], n_eff=d_eff
    )
    geographic = desa.crs is None or desa.crs.is_geographic
    w_desa = G.queen_neighbours(
        desa.geometry.to_numpy(), tolerance_m=params.desa_toleransi_m, crs_is_geographic=geographic
    )
    has_people = desa["n_jiwa"].to_numpy() > 0
    desa_values = np.where(has_people, gi_values(desa, d_eff, w_desa, params.nilai_gi), np.nan)
    desa = with_gi(desa, desa_values, w_desa, params, streams[1])
    desa = gpd.GeoDataFrame(desa, geometry="geometry", crs=result.desa.crs)

    step("prioritas")
    pocket_of_family = np.full(len(fam), None, dtype=object)
    located = sel >= 0
    pocket_of_family[located] = cell_pocket[sel[located]]
    in_pocket = pd.notna(pocket_of_family)
    priorities = compute_priorities(
        fam,
        result.desa,
        in_pocket=in_pocket,
        pocket_of_family=pocket_of_family,
        bobot=params.bobot,
        garis_kemiskinan=_poverty_line(result, params),
        bootstrap=params.bootstrap,
        n_teratas=params.n_teratas,
        interval=params.interval,
        seed=streams[2],
        lang=lang,
        pockets=pockets,
    )

    step("kebutuhan")
    kode_lokasi = (
        fam["kode_desa_lokasi"]
        .astype(object)
        .where(fam["kode_desa_lokasi"].notna(), None)
        .to_numpy()
    )
    needs_desa = _named(needs_by(fam, kode_lokasi, "kode_desa"), names)
    needs_pocket = needs_by(fam, pocket_of_family, "kantong_id")
    coverage_desa = _named(programme_coverage(fam, kode_lokasi, "kode_desa"), names)
    coverage_pocket = programme_coverage(fam, pocket_of_family, "kantong_id")
    targets = (
        opd_targets(
            needs_desa,
            programmes,
            names,
            min_keluarga=params.min_keluarga_target,
            priorities=priorities,
            lang=lang,
        )
        if programmes is not None
        else _empty_targets()
    )

    summary = {
        "pct_jiwa_ekstrem_kabupaten": kab_pct,
        "n_sel": len(h3),
        "n_sel_diuji": int(np.isfinite(h3["gi_p"]).sum()),
        "n_sel_panas": int((h3["gi_kelas"] == G.PANAS).sum()),
        "n_sel_dingin": int((h3["gi_kelas"] == G.DINGIN).sum()),
        "n_kantong": len(pockets),
        "n_jiwa_ekstrem_di_kantong": int(pockets["n_jiwa_ekstrem"].sum()),
        "n_titik_dingin": len(cold),
        "n_desa": len(desa),
        "n_desa_panas": int((desa["gi_kelas"] == G.PANAS).sum()),
        "n_desa_dingin": int((desa["gi_kelas"] == G.DINGIN).sum()),
        "n_desa_tanpa_tetangga": int(((desa["n_tetangga"] == 0) & has_people).sum()),
        "n_desa_teratas_kokoh": int((priorities["status_teratas"] == "teratas_kokoh").sum()),
        "garis_kemiskinan_p1_p2": _poverty_line(result, params),
        "scan_llr_kritis": (
            round(hot.scan_llr_kritis, 4) if np.isfinite(hot.scan_llr_kritis) else None
        ),
        "metode": {
            "kantong": (
                f"statistik pindai Kulldorff ({params.scan_model}, jiwa), lingkaran sel H3 "
                f"hingga {params.scan_radius_m:g} m dan {100 * params.scan_share_max:g}% jiwa, "
                f"pelabelan acak keluarga {params.scan_replicates} kali, p Gumbel di bawah "
                f"1/{params.scan_replicates + 1}, klaster sekunder tanpa tumpang tindih, "
                f"p <= {params.alpha}"
            ),
            "penghalusan": "empirical Bayes global (Marshall), ukuran efektif Kish",
            "statistik": "Getis-Ord Gi* (bobot biner, termasuk sel sendiri)",
            "inferensi": (
                "permutasi kondisional" if params.permutasi_kondisional else "permutasi total"
            )
            + f", {params.permutations} kali, hingga {params.permutations_max} kali untuk "
            f"p <= {max(0.1, 2 * params.alpha)}",
            "koreksi": f"satu sisi (panas, dingin terpisah), Benjamini-Hochberg FDR {params.alpha}",
            "tetangga_h3": (
                f"jarak {params.h3_jarak_m} m" if params.h3_jarak_m else f"cincin k={params.h3_k}"
            ),
            "tetangga_desa": f"queen, toleransi {params.desa_toleransi_m} m",
        },
    }
    return PlanningResult(
        params=params,
        seed=int(seed),
        h3=h3,
        desa=desa,
        pockets=pockets,
        pocket_desa=pocket_desa,
        cold_spots=cold,
        priorities=priorities,
        needs_desa=needs_desa,
        needs_pocket=needs_pocket,
        opd_targets=targets,
        coverage_desa=coverage_desa,
        coverage_pocket=coverage_pocket,
        summary=summary,
    )


def _poverty_line(result: IndicatorResult, params: PlanningParams) -> float | None:
    return params.garis_kemiskinan or getattr(result.params, "garis_ekstrem", None)


def _named(frame: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    out = names.merge(frame, on="kode_desa", how="right")
    return out.sort_values("kode_desa", kind="stable").reset_index(drop=True)


def _empty_targets() -> pd.DataFrame:
    cols = [
        "opd",
        "program",
        "kebutuhan",
        "nama_kebutuhan",
        "urutan",
        "kode_desa",
        "nama_desa",
        "kode_kec",
        "nama_kec",
        "n_keluarga_sasaran",
        "n_keluarga_ekstrem",
        "pct_keluarga_sasaran",
        "peringkat",
        "status_teratas",
    ]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


__all__ = [  # the split parts keep their old import path
    "GI_VALUES",
    "HotSpots",
    "PlanningParams",
    "PlanningResult",
    "compute_planning",
    "detect_pockets",
    "method_table",
]
