"""Error-rate estimates from the random part of a sample (stratified, Wilson interval)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.uji_petik.columns import JENIS_ACAK, STATUS_SALAH, STATUSES
from geo_service.i18n import fmt_number, fmt_percent, msg


def wilson_interval(p: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` on ``n_eff`` (effective) observations."""
    if n_eff <= 0 or not np.isfinite(p):
        return (float("nan"), float("nan"))
    z2 = z * z
    denom = 1.0 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = z / denom * np.sqrt(max(p * (1 - p), 0.0) / n_eff + z2 / (4 * n_eff * n_eff))
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_quantile(q: float, df: float) -> float:
    """Quantile ``q`` (> 0.5) of Student's t with ``df`` degrees of freedom.

    Exact (closed form, or bisection of the closed-form distribution function) for 1-3
    degrees of freedom; from 4 on the Cornish-Fisher expansion around the normal quantile
    (error below 0.001 at df = 4, below 1e-5 from df = 10).
    """
    if df <= 1:
        return float(np.tan(np.pi * (q - 0.5)))
    if df < 3:
        return float((2 * q - 1) / np.sqrt(2 * q * (1 - q)))
    if df < 4:
        lo, hi = 0.0, 1e3
        for _ in range(200):
            mid = (lo + hi) / 2
            u = mid / np.sqrt(3.0)
            cdf = 0.5 + (u / (1 + u * u) + np.arctan(u)) / np.pi
            lo, hi = (mid, hi) if cdf < q else (lo, mid)
        return float((lo + hi) / 2)
    z = NormalDist().inv_cdf(q)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return float(z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4)


def estimate_error_rate(
    daftar: pd.DataFrame,
    design: pd.DataFrame,
    hasil: pd.DataFrame,
    *,
    kelompok: Mapping[str, str] | pd.Series | None = None,
    status_salah: Sequence[str] = STATUS_SALAH,
    level: float = 0.95,
    label_total: str = "kabupaten",
) -> pd.DataFrame:
    """Estimated share of wrong records from the random part of a sample, with intervals.

    Design-based: strata are desa x desil group with ``N_h`` families and ``m_h`` completed
    random visits (visits not done yet are treated as missing at random within their
    stratum). For a domain (a group of desa, or the kabupaten)

    - ``p = sum_h W_h p_h`` with ``W_h = N_h / N`` over the strata with a completed visit
      (``pct_populasi_tercakup`` says how much of the domain's families they hold);
    - ``v = sum_h W_h^2 (1 - m_h/N_h) s_h^2 / m_h`` with ``s_h^2 = m_h p_h (1-p_h)/(m_h-1)``;
      a stratum with a single visit uses the domain's ``p(1-p)`` for ``s_h^2``
      (a conservative stand-in for collapsing strata);
    - the interval is Wilson's on the Korn-Graubard effective sample size: ``n_eff =
      p(1-p)/v`` (``m`` when ``p`` is 0 or 1), truncated at ``m`` and scaled by
      ``(t_{m-1}/t_{df})^2`` with ``df = m - H`` (H strata with visits). This keeps the
      interval inside [0, 1] and honest for small, rare-error samples where many strata
      show no error at all (their variance estimate is 0) and a Wald interval undercovers.
      The coverage test (``tests/analysis/test_uji_petik.py``) measures it on generated registers.

    Parameters
    ----------
    daftar, design
        The sample (``GroundCheckSample.daftar`` and ``.design``).
    hasil
        Field results with ``id_keluarga`` and ``status``.
    kelompok
        Registered desa code -> group label (e.g. kecamatan); None: only the total.
    status_salah
        Statuses that count as a wrong record.
    level
        Confidence level of the intervals.
    label_total
        Label of the whole-sample row.

    Returns
    -------
    pandas.DataFrame
        One row per group then the total: ``kelompok``, ``n_desa``, ``n_populasi``,
        ``n_sampel_acak``, ``n_selesai``, ``n_salah``, ``estimasi``, ``se``,
        ``ci_bawah``, ``ci_atas`` (shares 0-1), ``deff``, ``n_efektif``, ``df``,
        ``pct_populasi_tercakup``, ``tingkat_kepercayaan``.
    """
    acak = daftar[daftar["jenis"] == JENIS_ACAK][[S.ID, S.KODE_DESA, "strata"]]
    res = (
        hasil[[S.ID, "status"]].drop_duplicates(S.ID)
        if len(hasil)
        else pd.DataFrame({S.ID: [], "status": []})
    )
    done = acak.merge(res, on=S.ID, how="inner")
    done = done[done["status"].isin(STATUSES)]
    done["salah"] = done["status"].isin(list(status_salah)).astype(np.int64)
    per = done.groupby([S.KODE_DESA, "strata"]).agg(m=("salah", "size"), y=("salah", "sum"))
    tab = design.set_index([S.KODE_DESA, "strata"])[["n_populasi", "n_sampel"]].join(per)
    tab[["m", "y"]] = tab[["m", "y"]].fillna(0).astype(np.int64)
    tab = tab[tab["n_populasi"] > 0].reset_index()

    groups: list[tuple[str, pd.DataFrame]] = []
    if kelompok is not None:
        km = kelompok if isinstance(kelompok, pd.Series) else pd.Series(dict(kelompok))
        lab = tab[S.KODE_DESA].map(km)
        for g in sorted(lab.dropna().unique(), key=str):
            groups.append((str(g), tab[lab == g]))
    groups.append((label_total, tab))
    rows = [_domain_estimate(name, part, level) for name, part in groups]
    out = pd.DataFrame(rows)
    out["tingkat_kepercayaan"] = level
    return out


def _domain_estimate(name: str, t: pd.DataFrame, level: float) -> dict:
    N_all = int(t["n_populasi"].sum())
    cov = t[t["m"] > 0]
    N = cov["n_populasi"].to_numpy(dtype=float)
    m = cov["m"].to_numpy(dtype=float)
    y = cov["y"].to_numpy(dtype=float)
    row = {
        "kelompok": name,
        "n_desa": int(t[S.KODE_DESA].nunique()),
        "n_populasi": N_all,
        "n_sampel_acak": int(t["n_sampel"].sum()),
        "n_selesai": int(m.sum()),
        "n_salah": int(y.sum()),
    }
    if not len(cov):
        return row | {
            "estimasi": np.nan,
            "se": np.nan,
            "ci_bawah": np.nan,
            "ci_atas": np.nan,
            "deff": np.nan,
            "n_efektif": 0.0,
            "df": 0,
            "pct_populasi_tercakup": 0.0,
        }
    W = N / N.sum()
    p_h = y / m
    p = float((W * p_h).sum())
    s2 = np.where(m > 1, m * p_h * (1 - p_h) / np.maximum(m - 1, 1), p * (1 - p))
    fpc = 1.0 - m / N
    v = float((W**2 * fpc * s2 / m).sum())
    n = float(m.sum())
    n_eff = min(p * (1 - p) / v, n) if (0.0 < p < 1.0 and v > 0) else n
    df = max(int(n) - len(cov), 1)
    q = 0.5 + level / 2
    if n > 1:
        n_eff *= (t_quantile(q, n - 1) / t_quantile(q, df)) ** 2
    lo, hi = wilson_interval(p, n_eff, NormalDist().inv_cdf(q))
    return row | {
        "estimasi": p,
        "se": float(np.sqrt(v)),
        "ci_bawah": lo,
        "ci_atas": hi,
        "deff": float(n / n_eff),
        "n_efektif": float(n_eff),
        "df": df,
        "pct_populasi_tercakup": round(100.0 * N.sum() / N_all, 2) if N_all else 0.0,
    }


def error_rate_text(row: Mapping, lang: str = "id") -> str:
    """One sentence about an estimate (for tables and the meeting pack)."""
    if not row.get("n_selesai") or pd.isna(row.get("estimasi")):
        return msg("galat_belum_ada", lang, kelompok=row["kelompok"])
    lvl = int(round(100 * float(row.get("tingkat_kepercayaan", 0.95))))
    return msg(
        "galat_taksiran",
        lang,
        kelompok=row["kelompok"],
        pct=fmt_percent(100 * float(row["estimasi"]), lang),
        tingkat=fmt_percent(lvl, lang, 0),
        bawah=fmt_number(100 * float(row["ci_bawah"]), lang, 1),
        atas=fmt_percent(100 * float(row["ci_atas"]), lang),
        n=fmt_number(int(row["n_selesai"]), lang),
    )
