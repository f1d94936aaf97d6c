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

from dataclasses import asdict, dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis import gistar as G
from geo_service.analysis.kantong import family_cell_rows, find_cold_spots, pockets_from_scan
from geo_service.analysis.kebutuhan import needs_by, opd_targets, programme_coverage
from geo_service.analysis.pipeline import IndicatorResult
from geo_service.analysis.prioritas import Bobot, compute_priorities
from geo_service.analysis.scan import scan
from geo_service.analysis.smoothing import eb_global, eb_local, eb_standardised, effective_n

GI_VALUES = ("eb_global", "eb_lokal", "eb_standar", "mentah")


@dataclass(frozen=True)
class PlanningParams:
    """Parameters of the planning stage; recorded next to its outputs (:meth:`record`).

    Attributes
    ----------
    alpha
        Significance level: largest p-value of a pocket (scan, family-wise over all
        circles), and false discovery rate of the Benjamini-Hochberg correction of the Gi*
        layer (hot and cold cells each, and separately desa).
    scan_model
        ``bernoulli`` (persons of extreme-poor families among all persons; default) or
        ``poisson``.
    scan_radius_m
        Largest radius of a scan circle (centre to farthest cell centre), metres. 3 km
        suits rural kabupaten (a pocket of a few dusun) and urban ones alike, because
        ``scan_share_max`` limits circles in dense areas.
    scan_share_max
        Largest share of all geotagged persons inside one circle.
    scan_replicates
        Random-labelling replicates of the scan (p-values below ``1 / (R + 1)`` from a
        Gumbel fit, so 999 is enough).
    scan_stabilitas
        Family bootstrap resamples for each pocket's ``stabilitas`` (0: not computed).
    permutations
        Conditional permutations per cell (and per desa) in the first pass.
    permutations_max
        Permutations in all for cells whose first-pass two-sided p-value is at most
        ``max(0.1, 2 * alpha)`` (refinement; exact below that level, see
        :func:`~.gistar.gi_star`). The tests are one-sided, so BH can only reject when at
        least ``m / ((permutations + 1) * alpha)`` of ``m`` tested cells reach the smallest
        pseudo p-value ``1 / (permutations + 1)``: with about 1,500 cells, 999 permutations
        need 30 such cells, 9,999 need 3. (Pockets come from the scan, whose p-values have
        no such floor.)
    permutasi_kondisional
        True: the cell's own value stays and its neighbours are permuted (esda/GeoDa).
        False: the whole neighbourhood including the cell is permuted (null of the analytic
        Gi* moments; more power for pockets of one or two very poor cells).
    nilai_gi
        Value tested: ``eb_global`` (empirical-Bayes rate, shrunk towards the kabupaten),
        ``eb_lokal`` (shrunk towards the neighbourhood), ``eb_standar`` (Assuncao-Reis
        standardised rate) or ``mentah`` (raw rate; not recommended).
    h3_k
        Gi* neighbourhood on H3: cells within ``h3_k`` grid steps (1: ring of 6).
    h3_jarak_m
        Alternatively a distance band in metres between cell centres (overrides ``h3_k``).
    desa_toleransi_m
        Gap between desa outlines still counted as queen contiguity (digitising slivers).
    min_jiwa_ekstrem
        Smallest number of extreme-poor persons (geotagged) in a pocket.
    min_rasio
        Smallest pocket rate as a multiple of the kabupaten rate.
    bobot
        Weights of the composite priority score (:class:`~.priorities.Bobot`).
    bootstrap
        Bootstrap replicates over families for the rank intervals (0: none).
    n_teratas
        Size of the top group of priority desa.
    interval
        Coverage of the rank interval (0.90: 5th-95th percentile of bootstrap ranks).
    garis_kemiskinan
        Poverty line (Rp/person/month) for the depth P1 and severity P2 components; None
        leaves them out (their weight goes to the others).
    min_keluarga_target
        An OPD target desa has at least this many extreme-poor families with the need.
    """

    alpha: float = 0.05
    scan_model: Literal["bernoulli", "poisson"] = "bernoulli"
    scan_radius_m: float = 3000.0
    scan_share_max: float = 0.15
    scan_replicates: int = 999
    scan_stabilitas: int = 20
    permutations: int = 999
    permutations_max: int = 9999
    permutasi_kondisional: bool = True
    nilai_gi: Literal["eb_global", "eb_lokal", "eb_standar", "mentah"] = "eb_global"
    h3_k: int = 1
    h3_jarak_m: float | None = None
    desa_toleransi_m: float = 5.0
    min_jiwa_ekstrem: int = 100
    min_rasio: float = 1.5
    bobot: Bobot = field(default_factory=Bobot)
    bootstrap: int = 200
    n_teratas: int = 20
    interval: float = 0.90
    garis_kemiskinan: float | None = None
    min_keluarga_target: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must be within (0, 1)")
        if self.permutations < 1 or self.scan_replicates < 1:
            raise ValueError("permutations and scan_replicates must be at least 1")
        if self.scan_model not in ("bernoulli", "poisson"):
            raise ValueError("scan_model must be bernoulli or poisson")
        if not 0 < self.scan_share_max < 1 or self.scan_radius_m <= 0:
            raise ValueError("0 < scan_share_max < 1 and scan_radius_m > 0")
        if self.scan_stabilitas < 0:
            raise ValueError("scan_stabilitas >= 0")
        if self.nilai_gi not in GI_VALUES:
            raise ValueError(f"nilai_gi must be one of {GI_VALUES}")
        if self.h3_k < 1:
            raise ValueError("h3_k must be at least 1")
        if not 0 < self.interval < 1:
            raise ValueError("interval must be within (0, 1)")
        if self.n_teratas < 1 or self.bootstrap < 0 or self.min_jiwa_ekstrem < 0:
            raise ValueError("n_teratas >= 1, bootstrap >= 0, min_jiwa_ekstrem >= 0")

    def record(self) -> dict:
        """The parameters as plain JSON-ready values."""
        return asdict(self)


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
        _sum_by(d_idx, fam["jumlah_art"].to_numpy("float64") ** 2, len(desa)),
    )
    desa["pct_jiwa_ekstrem_eb"] = 100 * eb_global(
        desa["n_jiwa_ekstrem"], desa["n_jiwa"], n_eff=d_eff
    )
    geographic = desa.crs is None or desa.crs.is_geographic
    w_desa = G.queen_neighbours(
        desa.geometry.to_numpy(), tolerance_m=params.desa_toleransi_m, crs_is_geographic=geographic
    )
    has_people = desa["n_jiwa"].to_numpy() > 0
    desa_values = np.where(has_people, _gi_values(desa, d_eff, w_desa, params.nilai_gi), np.nan)
    desa = _with_gi(desa, desa_values, w_desa, params, streams[1])
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
    n_eff = effective_n(h3["n_jiwa"].to_numpy(), _sum_by(sel, jiwa**2, len(h3)))
    h3["pct_jiwa_ekstrem_eb"] = 100 * eb_global(h3["n_jiwa_ekstrem"], h3["n_jiwa"], n_eff=n_eff)
    h3 = _with_gi(h3, _gi_values(h3, n_eff, w_cells, params.nilai_gi), w_cells, params, s_gi)
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


def method_table(params: PlanningParams, seed: int, lang: str = "id") -> pd.DataFrame:
    """The method and parameters of a run as rows of text (for the sheet explaining a
    priority list, e.g. ``priorities.xlsx``): columns ``bagian``, ``keterangan``, ``nilai``
    (``section``, ``description``, ``value`` in English)."""
    en = lang == "en"
    b = params.bobot
    weights = ", ".join(f"{k} {v:g}" for k, v in asdict(b).items())
    rows = [
        (
            "Tingkat kemiskinan ekstrem" if not en else "Extreme-poverty rate",
            "Persentase jiwa dalam keluarga miskin ekstrem (desil 1) terhadap seluruh jiwa; untuk "
            "wilayah kecil disesuaikan dengan empirical Bayes (Marshall) agar beberapa keluarga "
            "saja tidak menghasilkan angka ekstrem."
            if not en
            else "Share of persons in extreme-poor families (decile 1); for small areas adjusted by "
            "empirical Bayes (Marshall) so that a few families do not give extreme figures.",
            params.nilai_gi,
        ),
        (
            "Titik panas" if not en else "Hot spots",
            "Getis-Ord Gi* pada sel H3 (sel dan 6 sel tetangganya) dan pada desa (bersinggungan), "
            "sebagai lapisan deskriptif peta. Nilai p satu sisi dari permutasi kondisional, "
            "panas dan dingin diuji terpisah, dikoreksi Benjamini-Hochberg (FDR)."
            if not en
            else "Getis-Ord Gi* on H3 cells (a cell and its 6 neighbours) and on desa (touching), "
            "as the descriptive map layer. One-sided p-values from conditional permutations, hot "
            "and cold tested separately, Benjamini-Hochberg (FDR) correction.",
            f"alpha {params.alpha}; {params.permutations}-{params.permutations_max} permutasi",
        ),
        (
            "Kantong kemiskinan" if not en else "Poverty pockets",
            "Statistik pindai Kulldorff (model Bernoulli, seperti SaTScan): lingkaran sel H3 di "
            "sekitar setiap sel berpenduduk, jiwa keluarga miskin ekstrem dibanding seluruh "
            "jiwa. Nilai p dari pelabelan acak keluarga (rasio kemungkinan maksimum per ulangan; "
            "di bawah 1/(R+1) dari sebaran Gumbel), berlaku untuk seluruh lingkaran sekaligus. "
            "Kantong kedua dan seterusnya tidak bertumpang tindih dengan yang lebih kuat; "
            "kantong juga perlu cukup jiwa miskin ekstrem dan tingkat jauh di atas kabupaten. "
            "Stabilitas: bagian ulangan bootstrap keluarga yang menemukannya lagi."
            if not en
            else "Kulldorff spatial scan statistic (Bernoulli model, as SaTScan): circles of H3 "
            "cells around every populated cell, persons of extreme-poor families against all "
            "persons. p-values from random labelling of families (maximum likelihood ratio per "
            "replicate; below 1/(R+1) from a Gumbel fit), valid over all circles at once. "
            "Secondary pockets do not overlap a stronger one; a pocket also needs enough "
            "extreme-poor persons and a rate well above the kabupaten's. Stability: share of "
            "family bootstrap replicates finding it again.",
            f"p <= {params.alpha}; radius <= {params.scan_radius_m:g} m; <= "
            f"{100 * params.scan_share_max:g}% jiwa; {params.scan_replicates} ulangan; min "
            f"{params.min_jiwa_ekstrem} jiwa, min {params.min_rasio:g}x kabupaten",
        ),
        (
            "Kuadran" if not en else "Quadrant",
            "I: persentase dan jumlah jiwa miskin ekstrem di atas angka kabupaten (rata-rata per "
            "desa untuk jumlah); II: jumlah tinggi, persentase rendah; III: keduanya rendah; IV: "
            "persentase tinggi, jumlah rendah."
            if not en
            else "I: rate and number of extreme-poor persons above the kabupaten values (mean per desa "
            "for the number); II: high number, low rate; III: both low; IV: high rate, low number.",
            "",
        ),
        (
            "Skor prioritas" if not en else "Priority score",
            "Rata-rata berbobot: jumlah, tingkat (disesuaikan), kedalaman P1 dan keparahan P2 (jika "
            "garis kemiskinan diberikan) dibagi nilai tertinggi antar-desa; intensitas deprivasi, "
            "bagian di kantong dan celah cakupan bansos sebagai proporsi."
            if not en
            else "Weighted mean: number, (adjusted) rate, depth P1 and severity P2 (with a poverty line) "
            "divided by the highest desa; deprivation intensity, share in pockets and programme "
            "coverage gap as shares.",
            weights,
        ),
        (
            "Ketidakpastian peringkat" if not en else "Rank uncertainty",
            f"Bootstrap keluarga dalam tiap desa ({params.bootstrap} ulangan); rentang "
            f"{round(100 * params.interval)}% peringkat; 'pasti teratas' bila seluruh rentang di "
            f"dalam {params.n_teratas} teratas."
            if not en
            else f"Bootstrap of families within each desa ({params.bootstrap} replicates); "
            f"{round(100 * params.interval)}% rank range; 'robustly top' when the whole range is "
            f"within the top {params.n_teratas}.",
            f"seed {seed}",
        ),
    ]
    cols = ["section", "description", "value"] if en else ["bagian", "keterangan", "nilai"]
    return pd.DataFrame(rows, columns=cols)


def _sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    ok = index >= 0
    return np.bincount(index[ok], weights=values[ok], minlength=n)


def _gi_values(frame: pd.DataFrame, n_eff: np.ndarray, neighbours, how: str) -> np.ndarray:
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


def _with_gi(frame, values, neighbours, params: PlanningParams, seed) -> pd.DataFrame:
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
