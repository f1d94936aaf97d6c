"""Priority desa (lokasi prioritas): quadrants, a composite score, bootstrap rank intervals and
a reason per row.

Quadrant method (analisis kuadran), each desa against the kabupaten value:

- rate: ``pct_jiwa_ekstrem`` of the desa vs the kabupaten rate;
- number: ``n_jiwa_ekstrem`` of the desa vs the kabupaten average per desa.

=========  ==========================  ============================
kuadran    rate (persentase)           number (jumlah jiwa)
=========  ==========================  ============================
I          high (>= kabupaten)         high (>= kabupaten average)
II         low                         high
III        low                         low
IV         high                        low
=========  ==========================  ============================

Composite score (``skor``, 0..1): the weighted mean (weights :class:`Bobot`, re-normalised
over the components available) of component scores ``skor_<component>`` on 0..1 that keep
magnitudes (a desa with six times the extreme-poor persons scores six times higher):

- ``jumlah``: extreme-poor persons, divided by the largest number among the desa;
- ``tingkat``: empirical-Bayes rate of extreme-poor persons (small desa shrunk towards the
  kabupaten rate, see :mod:`.smoothing`), divided by the largest; a desa of five families
  at 100 % is thus not ranked on a rate it does not support;
- ``kedalaman`` and ``keparahan``: poverty-gap P1 and severity P2 (Foster-Greer-Thorbecke,
  person-weighted, families with known ``pengeluaran_kapita``) against a given poverty line,
  divided by the largest; left out without a line;
- ``deprivasi``: mean share of the seven deprivations among extreme-poor families (0..1);
- ``kantong``: share of the desa's geotagged extreme-poor persons living in a pocket (0..1);
- ``celah``: mean share of extreme-poor families not receiving PKH, BPNT and PBI-JK (0..1).

The first four are relative to the kabupaten's highest desa; the last three are shares on
their own scale, so a component that hardly differs between desa hardly moves the ranking.

Rank uncertainty: families are resampled with replacement within each desa (stratified
bootstrap, seeded) and everything above is recomputed (pocket cells held fixed); the rate
component is drawn from the desa's empirical-Bayes posterior given the resampled counts
(:func:`~.smoothing.eb_posterior_draws`), because resampling five families that are all
extreme poor would otherwise pretend certainty. The replicates are drawn on classes of
identical families (:mod:`.prioritas_bootstrap`): the same distribution as drawing every
family, at a fraction of the cost. Each desa gets the ``interval`` range of its
rank over the replicates and the share of replicates in which it is in the top
``n_teratas``. ``status_teratas`` then says whether it is robustly in
the top group (``teratas_kokoh``: the whole interval inside it), only perhaps
(``teratas_belum_pasti``: ranked inside, interval reaching outside), could be
(``mungkin_teratas``: ranked outside, interval reaching inside), or not (``bukan_teratas``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.alasan import facts_json, reason_facts, render_reason
from geo_service.analysis.prioritas_alasan import (
    COMPONENTS,
    FEW_FAMILIES,
    KUADRAN_LABEL,
    STATUS_LABEL,
    fmt_number,
    pocket_citation,
    pocket_facts,
    pockets_by_desa,
)
from geo_service.analysis.prioritas_bootstrap import bootstrap_ranks
from geo_service.analysis.smoothing import eb_global
from geo_service.i18n import teks

PROGRAMMES = ("penerima_pkh", "penerima_bpnt", "penerima_pbi_jk")
STATUS_TERATAS = ("teratas_kokoh", "teratas_belum_pasti", "mungkin_teratas", "bukan_teratas")


@dataclass(frozen=True)
class Bobot:
    """Weights of the composite score (re-normalised over the components available)."""

    jumlah: float = 0.30
    tingkat: float = 0.25
    kedalaman: float = 0.05
    keparahan: float = 0.05
    deprivasi: float = 0.10
    kantong: float = 0.15
    celah: float = 0.10

    def __post_init__(self) -> None:
        values = list(asdict(self).values())
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("weights must be non-negative with a positive sum")


# --- family values summed per desa ------------------------------------------------------

_SUMS = [
    "keluarga",
    "jiwa",
    "jiwa_kuadrat",
    "keluarga_ekstrem",
    "jiwa_ekstrem",
    "jiwa_peng",
    "p1",
    "p2",
    "deprivasi_ekstrem",
    "jiwa_ekstrem_geotag",
    "jiwa_ekstrem_kantong",
    "tanpa_pkh",
    "tanpa_bpnt",
    "tanpa_pbi_jk",
    "tanpa_rata",
]
# What the score needs (the bootstrap sums only these; family counts per desa are fixed).
_SCORE_SUMS = [
    "jiwa",
    "jiwa_kuadrat",
    "keluarga_ekstrem",
    "jiwa_ekstrem",
    "deprivasi_ekstrem",
    "jiwa_ekstrem_geotag",
    "jiwa_ekstrem_kantong",
    "tanpa_rata",
]
_DEPTH_SUMS = ["jiwa_peng", "p1", "p2"]


def family_values(
    keluarga: pd.DataFrame, in_pocket: np.ndarray, garis_kemiskinan: float | None
) -> dict[str, np.ndarray]:
    """Per family, the quantities summed per desa (keys ``_SUMS``)."""
    n = len(keluarga)
    art = keluarga["jumlah_art"].to_numpy(dtype="float64")
    ek = keluarga["ekstrem"].to_numpy(dtype=bool).astype("float64")
    cols = {
        "keluarga": np.ones(n),
        "jiwa": art,
        "jiwa_kuadrat": art**2,
        "keluarga_ekstrem": ek,
        "jiwa_ekstrem": art * ek,
    }
    if garis_kemiskinan and "pengeluaran_kapita" in keluarga:
        y = pd.to_numeric(keluarga["pengeluaran_kapita"], errors="coerce").to_numpy("float64")
        known = np.isfinite(y)
        gap = np.where(
            known, np.clip((garis_kemiskinan - np.nan_to_num(y)) / garis_kemiskinan, 0, 1), 0.0
        )
        cols["jiwa_peng"] = art * known
        cols["p1"] = art * gap
        cols["p2"] = art * gap**2
    else:
        cols["jiwa_peng"] = cols["p1"] = cols["p2"] = np.zeros(n)
    dep = np.zeros(n)
    for c in S.DEPRIVATION_COLUMNS:
        if c in keluarga:
            dep += keluarga[c].fillna(0).to_numpy(dtype="float64")
    cols["deprivasi_ekstrem"] = ek * dep / len(S.DEPRIVATION_COLUMNS)
    geotag = (
        keluarga["h3"].to_numpy(dtype=np.uint64) != 0 if "h3" in keluarga else np.zeros(n, bool)
    )
    cols["jiwa_ekstrem_geotag"] = art * ek * geotag
    cols["jiwa_ekstrem_kantong"] = art * ek * np.asarray(in_pocket, dtype=bool)
    for prog, name in zip(PROGRAMMES, ("tanpa_pkh", "tanpa_bpnt", "tanpa_pbi_jk"), strict=True):
        got = keluarga[prog].fillna(0).to_numpy(dtype="float64") if prog in keluarga else 0.0
        cols[name] = ek * (1.0 - got)
    cols["tanpa_rata"] = (cols["tanpa_pkh"] + cols["tanpa_bpnt"] + cols["tanpa_pbi_jk"]) / 3.0
    return cols


def _indicators(s: dict[str, np.ndarray], garis: bool, full: bool = True) -> dict[str, np.ndarray]:
    """Desa indicators from per-desa sums of family values (``full``: also the EB rate and
    the columns reported but not scored). Element-wise, so the sums may be
    ``(replicates, desa)`` matrices (without ``full``)."""
    nan = np.full(np.shape(s["jiwa"]), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ek_fam = s["keluarga_ekstrem"]
        out = {
            "n_jiwa_ekstrem": s["jiwa_ekstrem"],
            "p1": np.where(s["jiwa_peng"] > 0, s["p1"] / s["jiwa_peng"], np.nan) if garis else nan,
            "p2": np.where(s["jiwa_peng"] > 0, s["p2"] / s["jiwa_peng"], np.nan) if garis else nan,
            "intensitas_deprivasi": np.where(ek_fam > 0, s["deprivasi_ekstrem"] / ek_fam, 0.0),
            "pct_ekstrem_di_kantong": np.where(
                s["jiwa_ekstrem_geotag"] > 0,
                100 * s["jiwa_ekstrem_kantong"] / s["jiwa_ekstrem_geotag"],
                0.0,
            ),
            "celah_cakupan": np.where(ek_fam > 0, 100 * s["tanpa_rata"] / ek_fam, 0.0),
        }
        if full:
            n_eff = np.where(s["jiwa_kuadrat"] > 0, s["jiwa"] ** 2 / s["jiwa_kuadrat"], 0.0)
            out["pct_jiwa_ekstrem_eb"] = 100 * eb_global(s["jiwa_ekstrem"], s["jiwa"], n_eff=n_eff)
            out["pct_jiwa_ekstrem"] = np.where(
                s["jiwa"] > 0, 100 * s["jiwa_ekstrem"] / s["jiwa"], np.nan
            )
            for p in ("pkh", "bpnt", "pbi_jk"):
                out[f"pct_eksklusi_{p}"] = np.where(ek_fam > 0, 100 * s[f"tanpa_{p}"] / ek_fam, 0.0)
    return out


_COMPONENT_SOURCE = {
    "jumlah": "n_jiwa_ekstrem",
    "tingkat": "pct_jiwa_ekstrem_eb",
    "kedalaman": "p1",
    "keparahan": "p2",
    "deprivasi": "intensitas_deprivasi",
    "kantong": "pct_ekstrem_di_kantong",
    "celah": "celah_cakupan",
}


def percentile_position(values: np.ndarray) -> np.ndarray:
    """Position of each value among the finite ones: lowest 0, highest 1, ties share the
    lower position; NaN stays NaN."""
    v = np.asarray(values, dtype="float64")
    out = np.full(len(v), np.nan)
    ok = np.isfinite(v)
    m = int(ok.sum())
    if m == 0:
        return out
    if m == 1:
        out[ok] = 1.0
        return out
    sorted_v = np.sort(v[ok])
    out[ok] = np.searchsorted(sorted_v, v[ok], side="left") / (m - 1)
    return out


_RELATIVE = ("jumlah", "tingkat", "kedalaman", "keparahan")  # divided by the largest desa
_SHARE_SCALE = {"deprivasi": 1.0, "kantong": 100.0, "celah": 100.0}  # own scale to 0..1


def component_score(name: str, values: np.ndarray) -> np.ndarray:
    """Score 0..1 of one component (see the module docstring); NaN stays NaN. A matrix
    ``(replicates, desa)`` is scored row by row."""
    v = np.asarray(values, dtype="float64")
    if name not in _RELATIVE:
        return np.clip(v / _SHARE_SCALE[name], 0.0, 1.0)
    top = np.max(np.where(np.isnan(v), -np.inf, v), axis=-1, keepdims=True)
    good = np.isfinite(top) & (top > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.clip(v / np.where(good, top, 1.0), 0.0, 1.0)
    return np.where(good, scaled, np.where(np.isfinite(v), 0.0, np.nan))


def _scores(
    ind: dict[str, np.ndarray], active: np.ndarray, weights: dict[str, float]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    comp = {}
    for name in weights:
        vals = np.where(active, ind[_COMPONENT_SOURCE[name]], np.nan)
        comp[name] = component_score(name, vals)
    total = sum(weights.values())
    score = sum(w * np.nan_to_num(comp[name]) for name, w in weights.items()) / total
    return np.where(active, score, np.nan), comp


def _ranks(score: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score; ties by ``tiebreak`` (higher first), then position. A matrix
    ``(replicates, desa)`` is ranked row by row (one sort)."""
    score = np.asarray(score, dtype="float64")
    position = np.broadcast_to(np.arange(score.shape[-1]), score.shape)
    keys = (position, -np.asarray(tiebreak, dtype="float64"), -np.nan_to_num(score, nan=-np.inf))
    order = np.lexsort(keys, axis=-1)
    rank = np.empty(score.shape, dtype="float64")
    np.put_along_axis(
        rank, order, np.broadcast_to(np.arange(1.0, score.shape[-1] + 1), score.shape), axis=-1
    )
    rank[~np.isfinite(score)] = np.nan
    return rank


def quadrant(pct: np.ndarray, count: np.ndarray, pct_kab: float, count_mean: float) -> np.ndarray:
    """Kuadran I..IV of each desa (rate and number vs the kabupaten values)."""
    high_rate = np.asarray(pct, dtype="float64") >= pct_kab
    high_count = np.asarray(count, dtype="float64") >= count_mean
    out = np.where(high_rate, np.where(high_count, "I", "IV"), np.where(high_count, "II", "III"))
    return out.astype(object)


def compute_priorities(
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    *,
    in_pocket: np.ndarray,
    pocket_of_family: np.ndarray | None = None,
    bobot: Bobot | None = None,
    garis_kemiskinan: float | None = None,
    bootstrap: int = 200,
    n_teratas: int = 20,
    interval: float = 0.90,
    seed: int | np.random.SeedSequence = 0,
    lang: str = "id",
    pockets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank desa for extreme-poverty programmes, with quadrant, uncertainty and reasons.

    Parameters
    ----------
    keluarga
        Families (``IndicatorResult.keluarga``): ``kode_desa_lokasi``, ``jumlah_art``,
        ``ekstrem``, ``h3``, deprivation and programme flags, ``pengeluaran_kapita``.
    desa
        Desa indicators (``kode_desa``, ``nama_desa``, ``kode_kec``, ``nama_kec``, counts).
    in_pocket
        Per family, whether its H3 cell belongs to a pocket.
    pocket_of_family
        Per family, the pocket id (or None), to name pockets in the reasons.
    bobot
        Weights of the composite score.
    garis_kemiskinan
        Poverty line (Rp/person/month) for P1 and P2; None leaves them out.
    bootstrap
        Number of bootstrap replicates (0: no intervals).
    n_teratas
        Size of the top group.
    interval
        Coverage of the rank interval (0.90: 5th to 95th percentile).
    seed
        Seed of the bootstrap.
    lang
        Language of the reason text and labels ("id" or "en").
    pockets
        Pocket records (``kantong_id``, ``nomor``, ``risiko_relatif``, ``p_value``): the
        reason of a desa with a pocket cites it with its relative risk and p-value.

    Returns
    -------
    pandas.DataFrame
        One row per desa ordered by ``peringkat`` (desa without families last): names,
        counts, ``pct_jiwa_ekstrem`` and ``pct_jiwa_ekstrem_eb``, ``kuadran``, component
        values and scores (``skor_<component>``), ``skor``, ``peringkat``, the rank interval
        ``peringkat_rentang_bawah`` .. ``peringkat_rentang_atas``, ``peluang_teratas``,
        ``status_teratas``, ``alasan``.
    """
    lang = teks(("id", "en"), lang)  # anything but en reads Bahasa Indonesia
    bobot = bobot or Bobot()
    garis = bool(garis_kemiskinan)
    weights = {
        k: v
        for k, v in asdict(bobot).items()
        if v > 0 and (garis or k not in ("kedalaman", "keparahan"))
    }
    desa = desa.reset_index(drop=True)
    codes = pd.Index(desa["kode_desa"].astype(str))
    fam_desa = family_desa(keluarga["kode_desa_lokasi"], codes)
    inside = fam_desa >= 0
    fam_values = {
        k: v[inside] for k, v in family_values(keluarga, in_pocket, garis_kemiskinan).items()
    }
    fam_desa = fam_desa[inside]
    n_desa = len(desa)
    sums = {k: np.bincount(fam_desa, weights=v, minlength=n_desa) for k, v in fam_values.items()}
    ind = _indicators(sums, garis)
    active = sums["keluarga"] > 0
    score, comp = _scores(ind, active, weights)
    rank = _ranks(score, ind["n_jiwa_ekstrem"])

    lo = hi = p_top = np.full(n_desa, np.nan)
    if bootstrap > 0 and len(fam_desa):
        names = _SCORE_SUMS + (_DEPTH_SUMS if garis else [])

        def rank_of(b_sums: dict[str, np.ndarray], pct_eb: np.ndarray) -> np.ndarray:
            b_ind = _indicators(b_sums, garis, full=False) | {"pct_jiwa_ekstrem_eb": pct_eb}
            return _ranks(_scores(b_ind, active, weights)[0], b_ind["n_jiwa_ekstrem"])

        matrix = np.empty((len(fam_desa), len(names)), order="F")
        for j, k in enumerate(names):
            matrix[:, j] = fam_values[k]
        boot_ranks = bootstrap_ranks(
            matrix,
            names,
            fam_desa,
            n_desa,
            reps=bootstrap,
            rng=np.random.default_rng(seed),
            rank=rank_of,
        )
        lo, hi, p_top = _rank_interval(boot_ranks, interval, n_teratas, active)
    status = _status(rank, lo, hi, active, n_teratas, bootstrap > 0)

    kab_pct = 100 * sums["jiwa_ekstrem"].sum() / max(sums["jiwa"].sum(), 1)
    count_mean = float(ind["n_jiwa_ekstrem"][active].mean()) if active.any() else 0.0
    kuadran = quadrant(
        np.nan_to_num(ind["pct_jiwa_ekstrem"]), ind["n_jiwa_ekstrem"], kab_pct, count_mean
    )

    out = pd.DataFrame(
        {
            "peringkat": pd.array(np.where(np.isfinite(rank), rank, np.nan), dtype="Int64"),
            "kode_desa": desa["kode_desa"].to_numpy(),
            "nama_desa": desa.get("nama_desa", pd.Series([None] * n_desa)).to_numpy(),
            "kode_kec": desa.get("kode_kec", pd.Series([None] * n_desa)).to_numpy(),
            "nama_kec": desa.get("nama_kec", pd.Series([None] * n_desa)).to_numpy(),
            "n_keluarga": sums["keluarga"].astype(np.int64),
            "n_jiwa": sums["jiwa"].astype(np.int64),
            "n_keluarga_ekstrem": sums["keluarga_ekstrem"].astype(np.int64),
            "n_jiwa_ekstrem": ind["n_jiwa_ekstrem"].astype(np.int64),
            "pct_jiwa_ekstrem": ind["pct_jiwa_ekstrem"],
            "pct_jiwa_ekstrem_eb": ind["pct_jiwa_ekstrem_eb"],
            "kuadran": np.where(active, kuadran, np.array(None, dtype=object)),
            "kuadran_keterangan": [
                KUADRAN_LABEL[lang][k] if a else None for k, a in zip(kuadran, active, strict=True)
            ],
            "p1": ind["p1"],
            "p2": ind["p2"],
            "intensitas_deprivasi": ind["intensitas_deprivasi"],
            "pct_ekstrem_di_kantong": ind["pct_ekstrem_di_kantong"],
            "pct_eksklusi_pkh": ind["pct_eksklusi_pkh"],
            "pct_eksklusi_bpnt": ind["pct_eksklusi_bpnt"],
            "pct_eksklusi_pbi_jk": ind["pct_eksklusi_pbi_jk"],
            "celah_cakupan": ind["celah_cakupan"],
        }
    )
    for name in COMPONENTS:
        out[f"skor_{name}"] = comp[name] if name in comp else np.nan
    out["skor"] = score
    out["peringkat_rentang_bawah"] = pd.array(lo, dtype="Int64") if bootstrap else pd.NA
    out["peringkat_rentang_atas"] = pd.array(hi, dtype="Int64") if bootstrap else pd.NA
    out["peluang_teratas"] = p_top
    out["status_teratas"] = status
    out["status_keterangan"] = [STATUS_LABEL[lang][s] for s in status]

    desa_pockets = pockets_by_desa(keluarga, codes, inside, fam_desa, pocket_of_family)
    counts_active = np.where(active, ind["n_jiwa_ekstrem"], -np.inf)
    position = 1 + (counts_active[None, :] > counts_active[:, None]).sum(axis=1)
    context = {
        "n_aktif": int(active.sum()),
        "pct_kab": kab_pct,
        "n_teratas": n_teratas,
        "interval": interval,
        "bootstrap": bootstrap,
        "posisi_jumlah": position,
        "kantong": pocket_facts(pockets),
    }
    rows = out.to_dict("records")
    facts = [
        reason_facts(rows[i], comp, weights, i, context, desa_pockets.get(i, []))
        if active[i]
        else []
        for i in range(n_desa)
    ]
    out["alasan"] = [render_reason(f, lang) for f in facts]
    out["alasan_data"] = [facts_json(f) for f in facts]  # any language at request time
    out = out.sort_values(["peringkat", "kode_desa"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def family_desa(kode_desa_lokasi: pd.Series, codes: pd.Index) -> np.ndarray:
    """Desa index (position in ``codes``) of every family, -1 where unknown or missing;
    one hash lookup per distinct code."""
    f, uniques = pd.factorize(kode_desa_lokasi, use_na_sentinel=True)
    known = codes.get_indexer(pd.Index(np.asarray(uniques, dtype=object)).astype(str))
    known = np.r_[known, -1]
    return known[np.where(f >= 0, f, len(known) - 1)]


def _rank_interval(boot_ranks, interval: float, n_teratas: int, active: np.ndarray):
    """Rank range of coverage ``interval`` and the share of replicates in the top group."""
    q = (1 - interval) / 2
    lo = np.floor(np.quantile(boot_ranks, q, axis=0, method="lower"))
    hi = np.ceil(np.quantile(boot_ranks, 1 - q, axis=0, method="higher"))
    p_top = (boot_ranks <= n_teratas).mean(axis=0)
    lo[~active], hi[~active], p_top[~active] = np.nan, np.nan, np.nan
    return lo, hi, p_top


def _status(rank, lo, hi, active, n_teratas: int, with_bootstrap: bool) -> np.ndarray:
    """``status_teratas`` of every desa (see the module docstring)."""
    status = np.full(len(rank), "tanpa_keluarga", dtype=object)
    in_top = rank <= n_teratas
    if with_bootstrap:
        status[active & in_top & (hi <= n_teratas)] = "teratas_kokoh"
        status[active & in_top & (hi > n_teratas)] = "teratas_belum_pasti"
        status[active & ~in_top & (lo <= n_teratas)] = "mungkin_teratas"
        status[active & ~in_top & (lo > n_teratas)] = "bukan_teratas"
    else:
        status[active & in_top] = "teratas_belum_pasti"
        status[active & ~in_top] = "bukan_teratas"
    return status


__all__ = [  # the reasons' helpers keep their old import path
    "COMPONENTS",
    "FEW_FAMILIES",
    "KUADRAN_LABEL",
    "PROGRAMMES",
    "STATUS_LABEL",
    "STATUS_TERATAS",
    "Bobot",
    "component_score",
    "compute_priorities",
    "family_values",
    "fmt_number",
    "percentile_position",
    "pocket_citation",
    "quadrant",
]
