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
(:func:`~.smoothing.eb_posterior_draw`), because resampling five families that are all
extreme poor would otherwise pretend certainty. Each desa gets the ``interval`` range of its
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
from geo_service.analysis.smoothing import eb_global, eb_posterior_draw
from geo_service.i18n import fmt_p, pocket_label

PROGRAMMES = ("penerima_pkh", "penerima_bpnt", "penerima_pbi_jk")
COMPONENTS = ("jumlah", "tingkat", "kedalaman", "keparahan", "deprivasi", "kantong", "celah")
FEW_FAMILIES = 30  # below this the reason warns that the desa's figures are uncertain
STATUS_TERATAS = ("teratas_kokoh", "teratas_belum_pasti", "mungkin_teratas", "bukan_teratas")

KUADRAN_LABEL = {
    "id": {
        "I": "I: persentase tinggi, jumlah tinggi",
        "II": "II: persentase rendah, jumlah tinggi",
        "III": "III: persentase rendah, jumlah rendah",
        "IV": "IV: persentase tinggi, jumlah rendah",
    },
    "en": {
        "I": "I: high rate, high number",
        "II": "II: low rate, high number",
        "III": "III: low rate, low number",
        "IV": "IV: high rate, low number",
    },
}
STATUS_LABEL = {
    "id": {
        "teratas_kokoh": "pasti termasuk kelompok teratas",
        "teratas_belum_pasti": "termasuk kelompok teratas, tetapi bisa karena kebetulan",
        "mungkin_teratas": "di luar kelompok teratas, tetapi bisa masuk",
        "bukan_teratas": "bukan kelompok teratas",
        "tanpa_keluarga": "tidak ada keluarga",
    },
    "en": {
        "teratas_kokoh": "robustly in the top group",
        "teratas_belum_pasti": "in the top group, possibly by chance",
        "mungkin_teratas": "outside the top group, but could be in it",
        "bukan_teratas": "not in the top group",
        "tanpa_keluarga": "no families",
    },
}


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
    """Desa indicators from per-desa sums of family values (``full``: also the columns
    reported but not scored)."""
    n = len(s["jiwa"])
    nan = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(s["jiwa_kuadrat"] > 0, s["jiwa"] ** 2 / s["jiwa_kuadrat"], 0.0)
        ek_fam = s["keluarga_ekstrem"]
        out = {
            "n_jiwa_ekstrem": s["jiwa_ekstrem"],
            "pct_jiwa_ekstrem_eb": 100 * eb_global(s["jiwa_ekstrem"], s["jiwa"], n_eff=n_eff),
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
    """Score 0..1 of one component (see the module docstring); NaN stays NaN."""
    v = np.asarray(values, dtype="float64")
    if name in _RELATIVE:
        top = np.nanmax(v) if np.isfinite(v).any() else np.nan
        if not np.isfinite(top) or top <= 0:
            return np.where(np.isfinite(v), 0.0, np.nan)
        return np.clip(v / top, 0.0, 1.0)
    return np.clip(v / _SHARE_SCALE[name], 0.0, 1.0)


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
    """Rank 1 = highest score; ties by ``tiebreak`` (higher first), then position."""
    order = np.lexsort((np.arange(len(score)), -tiebreak, -np.nan_to_num(score, nan=-np.inf)))
    rank = np.empty(len(score), dtype="float64")
    rank[order] = np.arange(1, len(score) + 1)
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
    lang = "en" if lang == "en" else "id"
    bobot = bobot or Bobot()
    garis = bool(garis_kemiskinan)
    weights = {
        k: v
        for k, v in asdict(bobot).items()
        if v > 0 and (garis or k not in ("kedalaman", "keparahan"))
    }
    desa = desa.reset_index(drop=True)
    codes = pd.Index(desa["kode_desa"].astype(str))
    fam_desa = codes.get_indexer(
        keluarga["kode_desa_lokasi"]
        .astype(object)
        .where(keluarga["kode_desa_lokasi"].notna(), None)
    )
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
    tiebreak = ind["n_jiwa_ekstrem"]
    rank = _ranks(score, tiebreak)

    lo = np.full(n_desa, np.nan)
    hi = np.full(n_desa, np.nan)
    p_top = np.full(n_desa, np.nan)
    if bootstrap > 0 and len(fam_desa):
        names = _SCORE_SUMS + (_DEPTH_SUMS if garis else [])
        values = np.column_stack([fam_values[k] for k in names])
        boot_ranks = _bootstrap_ranks(
            values,
            names,
            fam_desa,
            n_desa,
            active,
            weights,
            garis,
            bootstrap,
            np.random.default_rng(seed),
        )
        q = (1 - interval) / 2
        lo = np.floor(np.quantile(boot_ranks, q, axis=0, method="lower"))
        hi = np.ceil(np.quantile(boot_ranks, 1 - q, axis=0, method="higher"))
        p_top = (boot_ranks <= n_teratas).mean(axis=0)
        lo[~active], hi[~active], p_top[~active] = np.nan, np.nan, np.nan

    status = np.full(n_desa, "tanpa_keluarga", dtype=object)
    in_top = rank <= n_teratas
    if bootstrap > 0:
        status[active & in_top & (hi <= n_teratas)] = "teratas_kokoh"
        status[active & in_top & (hi > n_teratas)] = "teratas_belum_pasti"
        status[active & ~in_top & (lo <= n_teratas)] = "mungkin_teratas"
        status[active & ~in_top & (lo > n_teratas)] = "bukan_teratas"
    else:
        status[active & in_top] = "teratas_belum_pasti"
        status[active & ~in_top] = "bukan_teratas"

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
            "kuadran": np.where(active, kuadran, None),
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

    pockets_by_desa = _pockets_by_desa(keluarga, codes, inside, fam_desa, pocket_of_family)
    counts_active = np.where(active, ind["n_jiwa_ekstrem"], -np.inf)
    position = 1 + (counts_active[None, :] > counts_active[:, None]).sum(axis=1)
    context = {
        "n_aktif": int(active.sum()),
        "pct_kab": kab_pct,
        "n_teratas": n_teratas,
        "interval": interval,
        "bootstrap": bootstrap,
        "posisi_jumlah": position,
        "kantong": _pocket_facts(pockets),
    }
    out["alasan"] = [
        _reason(out.iloc[i], comp, weights, i, context, pockets_by_desa.get(i, []), lang)
        if active[i]
        else STATUS_LABEL[lang]["tanpa_keluarga"]
        for i in range(n_desa)
    ]
    out = out.sort_values(["peringkat", "kode_desa"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _bootstrap_ranks(values, names, fam_desa, n_desa, active, weights, garis, reps, rng):
    """Ranks of every desa in each of ``reps`` stratified bootstrap replicates.

    Families are sorted by desa; a replicate replaces each family by one drawn uniformly
    from its own desa, i.e. gives every family a multiplicity. Per-desa sums of columns that
    are zero outside extreme-poor families only visit those families (fast)."""
    order = np.argsort(fam_desa, kind="stable")
    values = values[order]
    fam_desa = fam_desa[order]
    n = len(fam_desa)
    size = np.bincount(fam_desa, minlength=n_desa)
    start = np.r_[0, np.cumsum(size)[:-1]]
    fam_start = start[fam_desa]
    fam_size = size[fam_desa]
    nonzero = values != 0
    sparse_cols = nonzero.sum(axis=0) < n // 4  # e.g. columns of extreme-poor families only
    some = np.flatnonzero(nonzero[:, sparse_cols].any(axis=1))
    sub = values[some]
    sub_desa = fam_desa[some]
    ranks = np.empty((reps, n_desa))
    for b in range(reps):
        within = (rng.random(n) * fam_size).astype(np.int64)
        counts = np.bincount(fam_start + np.minimum(within, fam_size - 1), minlength=n)
        c_sub = counts[some]
        sums = {}
        for j, name in enumerate(names):
            if sparse_cols[j]:
                sums[name] = np.bincount(sub_desa, weights=sub[:, j] * c_sub, minlength=n_desa)
            else:
                sums[name] = np.bincount(fam_desa, weights=values[:, j] * counts, minlength=n_desa)
        ind = _indicators(sums, garis, full=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(
                sums["jiwa_kuadrat"] > 0, sums["jiwa"] ** 2 / sums["jiwa_kuadrat"], 0.0
            )
        ind["pct_jiwa_ekstrem_eb"] = 100 * eb_posterior_draw(
            sums["jiwa_ekstrem"], sums["jiwa"], rng, n_eff=n_eff
        )
        score, _ = _scores(ind, active, weights)
        ranks[b] = _ranks(score, ind["n_jiwa_ekstrem"])
    return ranks


def _pockets_by_desa(keluarga, codes, inside, fam_desa, pocket_of_family):
    if pocket_of_family is None:
        return {}
    pid = np.asarray(pocket_of_family, dtype=object)[inside]
    ek = keluarga["ekstrem"].to_numpy(dtype=bool)[inside]
    has = pd.notna(pid) & ek
    if not has.any():
        return {}
    frame = pd.DataFrame({"d": fam_desa[has], "k": pid[has]})
    counts = frame.groupby(["d", "k"], sort=True).size().reset_index(name="n")
    counts = counts.sort_values(["d", "n", "k"], ascending=[True, False, True], kind="stable")
    return {int(d): list(g["k"]) for d, g in counts.groupby("d", sort=True)}


# --- reasons ----------------------------------------------------------------------------


def pocket_citation(row, lang: str = "id") -> str:
    """A pocket as cited in a reason: its one name, relative risk and p-value
    (``Kantong 1 (K-48d640446f; risiko relatif 5,2x; p < 0,0001)``)."""
    rr = fmt_number(float(row["risiko_relatif"]), 1, lang)
    p = fmt_p(float(row["p_value"]), lang)
    name = pocket_label(row["nomor"], None, lang)
    if lang == "id":
        return f"{name} ({row['kantong_id']}; risiko relatif {rr}x; {p})"
    return f"{name} ({row['kantong_id']}; relative risk {rr}x; {p})"


def _cite(pocket_id, ctx, lang: str) -> str:
    row = ctx.get("kantong", {}).get(str(pocket_id))
    return pocket_citation(row, lang) if row is not None else str(pocket_id)


def _pocket_facts(pockets: pd.DataFrame | None) -> dict:
    need = {"kantong_id", "nomor", "risiko_relatif", "p_value"}
    if pockets is None or not need <= set(pockets.columns):
        return {}
    return {str(r["kantong_id"]): r for _, r in pockets[list(need)].iterrows()}


def fmt_number(x: float, decimals: int = 0, lang: str = "id") -> str:
    """A number as a reader of ``lang`` writes it (id: 1.234,5; en: 1,234.5)."""
    text = f"{x:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def _reason(row, comp, weights, i, ctx, pocket_ids, lang) -> str:
    f = lambda x, d=0: fmt_number(x, d, lang)  # noqa: E731
    contrib = sorted(
        ((weights[c] * np.nan_to_num(comp[c][i]), c) for c in weights),
        key=lambda t: (-t[0], COMPONENTS.index(t[1])),
    )
    chosen = [c for v, c in contrib[:3] if v > 0]
    if len(chosen) == 3 and contrib[2][0] < contrib[0][0] / 3:
        chosen = chosen[:2]
    if not chosen:
        chosen = ["jumlah", "tingkat"]
    ratio = row["pct_jiwa_ekstrem"] / ctx["pct_kab"] if ctx["pct_kab"] > 0 else np.nan
    parts = []
    for c in chosen:
        if c == "jumlah":
            pos = int(ctx["posisi_jumlah"][i])
            parts.append(
                f"{f(row['n_jiwa_ekstrem'])} jiwa miskin ekstrem (terbanyak ke-{pos} dari "
                f"{ctx['n_aktif']} desa)"
                if lang == "id"
                else f"{f(row['n_jiwa_ekstrem'])} persons in extreme poverty (rank {pos} of "
                f"{ctx['n_aktif']} villages by number)"
            )
        elif c == "tingkat":
            parts.append(
                f"tingkat kemiskinan ekstrem {f(row['pct_jiwa_ekstrem'], 1)}% "
                f"(disesuaikan untuk jumlah penduduk: {f(row['pct_jiwa_ekstrem_eb'], 1)}%; "
                f"kabupaten {f(ctx['pct_kab'], 1)}%)"
                if lang == "id"
                else f"extreme-poverty rate {f(row['pct_jiwa_ekstrem'], 1)}% (adjusted for "
                f"population size: {f(row['pct_jiwa_ekstrem_eb'], 1)}%; kabupaten "
                f"{f(ctx['pct_kab'], 1)}%)"
            )
        elif c == "kedalaman":
            parts.append(
                f"indeks kedalaman kemiskinan P1 {f(row['p1'], 3)}"
                if lang == "id"
                else f"poverty gap index P1 {f(row['p1'], 3)}"
            )
        elif c == "keparahan":
            parts.append(
                f"indeks keparahan kemiskinan P2 {f(row['p2'], 4)}"
                if lang == "id"
                else f"poverty severity index P2 {f(row['p2'], 4)}"
            )
        elif c == "deprivasi":
            k = row["intensitas_deprivasi"] * len(S.DEPRIVATION_COLUMNS)
            parts.append(
                f"keluarga miskin ekstrem rata-rata mengalami {f(k, 1)} dari "
                f"{len(S.DEPRIVATION_COLUMNS)} kekurangan dasar"
                if lang == "id"
                else f"extreme-poor families lack on average {f(k, 1)} of "
                f"{len(S.DEPRIVATION_COLUMNS)} basic needs"
            )
        elif c == "kantong":
            names = ", ".join(_cite(k, ctx, lang) for k in pocket_ids[:2]) if pocket_ids else ""
            parts.append(
                f"{f(row['pct_ekstrem_di_kantong'])}% jiwa miskin ekstrem bergeotag tinggal di "
                f"kantong kemiskinan{' ' + names if names else ''}"
                if lang == "id"
                else f"{f(row['pct_ekstrem_di_kantong'])}% of geotagged extreme-poor persons live in "
                f"poverty pocket{' ' + names if names else ''}"
            )
        elif c == "celah":
            parts.append(
                f"keluarga miskin ekstrem yang tidak menerima PKH {f(row['pct_eksklusi_pkh'])}%, "
                f"BPNT {f(row['pct_eksklusi_bpnt'])}%, PBI-JK {f(row['pct_eksklusi_pbi_jk'])}%"
                if lang == "id"
                else f"extreme-poor families not receiving PKH {f(row['pct_eksklusi_pkh'])}%, "
                f"BPNT {f(row['pct_eksklusi_bpnt'])}%, PBI-JK {f(row['pct_eksklusi_pbi_jk'])}%"
            )
    if row["n_keluarga"] < FEW_FAMILIES:
        parts.append(
            f"hanya {f(row['n_keluarga'])} keluarga, sehingga angka ini kurang pasti"
            if lang == "id"
            else f"only {f(row['n_keluarga'])} families, so these figures are uncertain"
        )
    if pocket_ids and "kantong" not in chosen and ctx.get("kantong"):
        cited = ", ".join(_cite(k, ctx, lang) for k in pocket_ids[:2])
        parts.append(f"memuat bagian dari {cited}" if lang == "id" else f"holds part of {cited}")
    text = "; ".join(parts)
    if np.isfinite(ratio) and "tingkat" not in chosen and ratio >= 2:
        text += (
            f"; tingkat {f(ratio, 1)}x kabupaten"
            if lang == "id"
            else f"; rate {f(ratio, 1)}x the kabupaten"
        )
    if ctx["bootstrap"] and pd.notna(row["peringkat_rentang_bawah"]):
        pct = int(round(100 * ctx["interval"]))
        text += (
            f". Peringkat {row['peringkat']} (rentang {pct}%: {row['peringkat_rentang_bawah']}"
            f"-{row['peringkat_rentang_atas']}); masuk {ctx['n_teratas']} teratas pada "
            f"{f(100 * row['peluang_teratas'])}% ulangan bootstrap"
            if lang == "id"
            else f". Rank {row['peringkat']} ({pct}% range: {row['peringkat_rentang_bawah']}"
            f"-{row['peringkat_rentang_atas']}); in the top {ctx['n_teratas']} in "
            f"{f(100 * row['peluang_teratas'])}% of bootstrap replicates"
        )
    text = text[0].upper() + text[1:] if text else text
    return text + "."
