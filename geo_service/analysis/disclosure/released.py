"""Released planning tables: built from the released desa table only (disclosure by
construction): priorities, coverage, OPD targets, pockets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis.disclosure.suppression import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    SUPPRESSED_FLAG,
    is_small,
)
from geo_service.analysis.prioritas_alasan import KUADRAN_LABEL
from geo_service.i18n import fmt_number, fmt_percent, msg, teks

DESA_KEYS: tuple[str, ...] = ("kode_desa", "nama_desa", "kode_kec", "nama_kec")
# Parts of a desa's extreme-poor families published in the coverage table (each <= the whole).
COVERAGE_PARTS_PREFIX = ("n_eksklusi_", "n_ekstrem_tanpa_bansos")
# Pocket columns a suppressed role may see: outline, identity and test statistics that are not
# counts (no observed/expected, relative risk or LLR: each gives a count back with the others).
POCKET_COLUMNS: tuple[str, ...] = (
    "kantong_id",
    "id",
    "nomor",
    "kode_kec",
    "nama_kec",
    "p_value",
    "stabilitas",
    "radius_m",
    "pusat_h3",
    "pusat_lon",
    "pusat_lat",
    "geometry",
)
TARGET_COLUMNS: tuple[str, ...] = (
    "opd",
    "program",
    "kebutuhan",
    "nama_kebutuhan",
    "kode_desa",
    "nama_desa",
    "kode_kec",
    "nama_kec",
)
# Weights of the two score components computable from released counts (the others -- depth,
# deprivation, pockets, coverage -- are shares of sub-groups that may be below k).
RELEASED_WEIGHTS = {"jumlah": 0.30, "tingkat": 0.25}


def _num(values, lang: str, decimals: int = 0) -> str:
    return fmt_number(float(values), lang, decimals)


def _released_desa(desa_released: pd.DataFrame) -> pd.DataFrame:
    d = pd.DataFrame(desa_released.drop(columns="geometry", errors="ignore"))
    return d.drop_duplicates("kode_desa").reset_index(drop=True)


def released_priorities(
    desa_released: pd.DataFrame, total_released: pd.DataFrame, *, k: int, lang: str = "id"
) -> pd.DataFrame:
    """The priority list of a suppressed role, computed from the released desa table only.

    ``skor_jumlah`` (persons / the largest *published* number), ``skor_tingkat`` (rate / the
    largest published rate), ``skor``, ``peringkat`` (among published desa), ``kuadran``
    (against the published kabupaten rate and mean) and the reason text come from released
    values; hidden desa keep their names and nothing else. Rank intervals, bootstrap shares
    and the sub-group components are not published (they rest on hidden values).
    """
    d = _released_desa(desa_released)
    hidden = d[SUPPRESSED_FLAG].to_numpy(dtype=bool)
    n = pd.to_numeric(d["n_jiwa_ekstrem"], errors="coerce").to_numpy(dtype="float64")
    nk = pd.to_numeric(d["n_keluarga_ekstrem"], errors="coerce").to_numpy(dtype="float64")
    jiwa = pd.to_numeric(d["n_jiwa"], errors="coerce").to_numpy(dtype="float64")
    pct = pd.to_numeric(d["pct_jiwa_ekstrem"], errors="coerce").to_numpy(dtype="float64")
    active = ~hidden & (np.nan_to_num(jiwa) > 0)
    comp = {}
    for name, v in (("jumlah", n), ("tingkat", pct)):
        vals = np.where(active, v, np.nan)
        top = np.nanmax(vals) if np.isfinite(vals).any() else np.nan
        comp[name] = (
            np.where(active, np.clip(vals / top, 0.0, 1.0), np.nan)
            if np.isfinite(top) and top > 0
            else np.where(active, 0.0, np.nan)
        )
    wsum = sum(RELEASED_WEIGHTS.values())
    score = sum(w * np.nan_to_num(comp[c]) for c, w in RELEASED_WEIGHTS.items()) / wsum
    score = np.where(active, score, np.nan)
    order = np.lexsort(
        (
            d["kode_desa"].astype(str).to_numpy(),
            -np.nan_to_num(n),
            -np.nan_to_num(score, nan=-np.inf),
        )
    )
    rank = np.full(len(d), np.nan)
    rank[order] = np.arange(1, len(d) + 1)
    rank[~active] = np.nan
    kab_hidden = bool(total_released[SUPPRESSED_FLAG].iloc[0]) if len(total_released) else True
    quad = np.full(len(d), None, dtype=object)
    kab_pct = np.nan
    if not kab_hidden:
        tot = total_released.iloc[0]
        kab_pct = 100.0 * float(tot["n_jiwa_ekstrem"]) / max(float(tot["n_jiwa"]), 1.0)
        mean = float(tot["n_jiwa_ekstrem"]) / max(
            int((np.nan_to_num(jiwa) > 0).sum() + hidden.sum()), 1
        )
        high_rate = np.nan_to_num(pct) >= kab_pct
        high_n = np.nan_to_num(n) >= mean
        q = np.where(high_rate, np.where(high_n, "I", "IV"), np.where(high_n, "II", "III"))
        quad[active] = q[active]
    labels = KUADRAN_LABEL.get(lang, KUADRAN_LABEL["id"])  # the full list's labels
    m = int(active.sum())
    reasons = []
    for i in range(len(d)):
        if hidden[i]:
            reasons.append(
                teks(
                    (
                        f"Angka desa ini tidak dipublikasikan (perlindungan sel kecil, k = {k}).",
                        f"This desa's figures are not published (small-cell protection, k = {k}).",
                    ),
                    lang,
                )
            )
        elif not active[i]:
            reasons.append(teks(("Tidak ada penduduk tercatat.", "No residents recorded."), lang))
        elif nk[i] == 0:
            reasons.append(
                teks(
                    (
                        "Tidak ada keluarga miskin ekstrem tercatat.",
                        "No extremely poor families recorded.",
                    ),
                    lang,
                )
            )
        else:
            reasons.append(
                _released_reason(n[i], nk[i], pct[i], kab_pct, quad[i], rank[i], m, labels, lang)
            )
    out = pd.DataFrame(
        {
            "peringkat": pd.array(np.where(np.isfinite(rank), rank, np.nan), dtype="Int64"),
            **{c: d[c].to_numpy() for c in DESA_KEYS if c in d.columns},
            **{c: d[c].to_numpy() for c in (*COUNT_COLUMNS, *RATE_COLUMNS) if c in d.columns},
            "kuadran": quad,
            "kuadran_keterangan": [labels[q] if q else None for q in quad],
            "skor_jumlah": comp["jumlah"],
            "skor_tingkat": comp["tingkat"],
            "skor": score,
            "alasan": reasons,
            SUPPRESSED_FLAG: hidden,
        }
    )
    out = out.sort_values(["peringkat", "kode_desa"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _released_reason(n, nk, pct, kab_pct, quad, rank, m, labels, lang) -> str:
    """The reason of a released desa, from the catalogue (numbers: the one formatter)."""
    return msg(
        "alasan_rilis",
        lang,
        n=fmt_number(n, lang),
        nk=fmt_number(nk, lang),
        pct=fmt_percent(pct, lang),
        kab=msg("alasan_rilis_kab", lang, pct=fmt_percent(kab_pct, lang))
        if np.isfinite(kab_pct)
        else "",
        kuadran=msg("alasan_rilis_kuadran", lang, q=labels[quad]) if quad else "",
        rank=int(rank),
        m=m,
    )


def _part_cells(parts: np.ndarray, whole: np.ndarray, k: int) -> np.ndarray:
    """Which part cells to hide in each row: small, small complement to the whole, or a small
    difference to another part of the row (nested parts such as 'no programme' within 'no
    PKH'); the smaller cell of such a pair is hidden."""
    hide = is_small(np.nan_to_num(parts), k) | is_small(np.nan_to_num(whole[:, None] - parts), k)
    hide |= ~np.isfinite(parts) | ~np.isfinite(whole)[:, None]
    for a in range(parts.shape[1]):
        for b in range(parts.shape[1]):
            if a != b:
                diff = parts[:, b] - parts[:, a]
                hide[:, a] |= np.isfinite(diff) & (diff >= 0) & is_small(np.nan_to_num(diff), k)
    return hide


def released_coverage(
    cakupan: pd.DataFrame, desa_released: pd.DataFrame, *, k: int
) -> pd.DataFrame:
    """Coverage gaps of a suppressed role: per desa the released ``n_keluarga_ekstrem`` and
    the parts of it without a programme, each hidden when it, its complement or its difference
    to another part is in ``1..k-1``; rates recomputed from the published parts. Counts of
    non-extreme families (``n_keluarga_mampu``, inclusion errors) are not published: with the
    desa totals they would complete a partition of ``n_keluarga`` (finding 3)."""
    d = _released_desa(desa_released).set_index("kode_desa")
    keys = [c for c in DESA_KEYS if c in cakupan.columns]
    parts = [c for c in cakupan.columns if c.startswith(COVERAGE_PARTS_PREFIX)]
    out = pd.DataFrame(cakupan[keys]).copy()
    code = cakupan["kode_desa"].astype(str)
    hidden = code.map(d[SUPPRESSED_FLAG]).fillna(True).to_numpy(dtype=bool)
    whole = pd.to_numeric(code.map(d["n_keluarga_ekstrem"]), errors="coerce").to_numpy("float64")
    whole[hidden] = np.nan
    vals = (
        np.column_stack(
            [pd.to_numeric(cakupan[c], errors="coerce").to_numpy("float64") for c in parts]
        )
        if parts
        else np.zeros((len(cakupan), 0))
    )
    hide = _part_cells(vals, whole, k) if parts else np.zeros((len(cakupan), 0), dtype=bool)
    out["n_keluarga_ekstrem"] = pd.array(
        np.where(np.isfinite(whole), whole, np.nan), dtype="Float64"
    ).astype("Int64")
    for j, c in enumerate(parts):
        v = np.where(hide[:, j], np.nan, vals[:, j])
        out[c] = pd.array(v, dtype="Float64").astype("Int64")
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(np.nan_to_num(whole) > 0, 100.0 * v / whole, np.nan)
        out["pct_" + c[2:]] = pd.array(rate, dtype="Float64")
    out[SUPPRESSED_FLAG] = hidden | (hide.any(axis=1) if parts else False)
    return out.reset_index(drop=True)


def released_targets(targets: pd.DataFrame, desa_released: pd.DataFrame, *, k: int) -> pd.DataFrame:
    """OPD targets of a suppressed role: ``n_keluarga_sasaran`` (a part of the desa's extreme-
    poor families) hidden when small or when its complement is; the desa count from the
    release; rates recomputed from published values."""
    d = _released_desa(desa_released).set_index("kode_desa")
    # Whitelist: the stored rank, top-group status and order within an OPD rest on hidden
    # values and are not published.
    keep = [c for c in TARGET_COLUMNS if c in targets.columns]
    out = pd.DataFrame(targets[keep]).copy()
    if targets.empty:
        return out.assign(
            n_keluarga_sasaran=pd.Series(dtype="Int64"),
            n_keluarga_ekstrem=pd.Series(dtype="Int64"),
            **{SUPPRESSED_FLAG: pd.Series(dtype=bool)},
        )
    code = targets["kode_desa"].astype(str)
    hidden = code.map(d[SUPPRESSED_FLAG]).fillna(True).to_numpy(dtype=bool)
    whole = pd.to_numeric(code.map(d["n_keluarga_ekstrem"]), errors="coerce").to_numpy("float64")
    whole[hidden] = np.nan
    part = pd.to_numeric(targets["n_keluarga_sasaran"], errors="coerce").to_numpy("float64")
    hide = _part_cells(part[:, None], whole, k)[:, 0]
    v = np.where(hide, np.nan, part)
    out["n_keluarga_sasaran"] = pd.array(v, dtype="Float64").astype("Int64")
    out["n_keluarga_ekstrem"] = pd.array(whole, dtype="Float64").astype("Int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_keluarga_sasaran"] = pd.array(
            np.where(np.nan_to_num(whole) > 0, 100.0 * v / whole, np.nan), dtype="Float64"
        )
    out[SUPPRESSED_FLAG] = hidden | hide
    return out.reset_index(drop=True)


def released_pockets(pockets: pd.DataFrame) -> pd.DataFrame:
    """Pockets of a suppressed role: outline and non-count statistics only (whitelist)."""
    return pockets[[c for c in POCKET_COLUMNS if c in pockets.columns]].copy()
