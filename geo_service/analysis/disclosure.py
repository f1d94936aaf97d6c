"""Small-cell suppression for aggregates shown to non-privileged roles (pure).

Rule
----
A published count ``c`` or its complement ``total - c`` must never lie in ``1..k-1``
(``k = 10`` by default). Counts come in *families* of a part and its whole:
``n_keluarga_ekstrem`` of ``n_keluarga`` and ``n_jiwa_ekstrem`` of ``n_jiwa``.

1. **Primary suppression**: a row whose part or complement (in any family) lies in
   ``1..k-1`` is hidden: all its counts and its rate become missing.
2. **Complementary suppression**: published totals let an attacker recover hidden values by
   subtraction. For a two-level table (areas in groups, e.g. desa in kecamatan, with the
   group totals and one grand total published) every set of hidden values that can be
   recovered as a sum -- the hidden areas of a published group, the hidden areas inside all
   hidden groups together, the hidden groups together -- must have a part sum and a
   complement sum outside ``1..k-1``. More areas (then groups) are hidden until that holds.

Hiding a whole row (part and whole) makes the whole of any recoverable set equal to its part
sum plus its complement sum, so checking those two is enough.

The suppressed roles get one geography family only (desa, or H3 cells at one coarse
resolution) so that overlapping areas cannot be differenced; :func:`geography_allowed` says
which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_K = 10
# (part, whole) count families of the aggregate tables.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("n_keluarga_ekstrem", "n_keluarga"),
    ("n_jiwa_ekstrem", "n_jiwa"),
)
COUNT_COLUMNS: tuple[str, ...] = ("n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem")
RATE_COLUMNS: tuple[str, ...] = ("pct_jiwa_ekstrem",)
# Counts that the suppression does not protect: never published to suppressed roles.
UNPROTECTED_COLUMNS: tuple[str, ...] = ("n_keluarga_geotag", "n_lokasi_tidak_sesuai", "n_desa")
SUPPRESSED_FLAG = "disembunyikan"
ROLES_SUPPRESSED: frozenset[str] = frozenset({"opd", "publik"})


@dataclass(frozen=True)
class Release:
    """A consistent set of tables that may be published together.

    ``areas`` and ``groups`` carry the input columns with hidden counts and rates set to
    missing (``pd.NA``) and a boolean column ``disembunyikan``; ``total`` is the one-row grand
    total (hidden only when it is itself small).
    """

    areas: pd.DataFrame
    groups: pd.DataFrame
    total: pd.DataFrame
    k: int


def is_small(values, k: int = DEFAULT_K) -> np.ndarray:
    """Whether each value lies in ``1..k-1`` (the values that may not be published)."""
    v = np.asarray(values, dtype="float64")
    return (v >= 1) & (v < k)


def _values(frame: pd.DataFrame) -> np.ndarray:
    """Parts and complements per family, shape (n_rows, 2 * n_families)."""
    cols = []
    for part, whole in FAMILIES:
        p = frame[part].to_numpy(dtype="int64")
        cols += [p, frame[whole].to_numpy(dtype="int64") - p]
    return np.column_stack(cols) if cols else np.zeros((len(frame), 0), dtype="int64")


def _primary(values: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(is_small(values, k).any(axis=1))


def _fix_set(
    values: np.ndarray, hidden: np.ndarray, candidates: np.ndarray, size: np.ndarray, k: int
) -> bool:
    """Hide more of ``candidates`` until the hidden rows' sums are safe; False if impossible.

    ``hidden`` is changed in place; the cheapest row (smallest ``size``) that raises a
    violating sum is hidden first.
    """
    while True:
        sums = values[hidden].sum(axis=0)
        bad = np.flatnonzero(is_small(sums, k))
        if bad.size == 0:
            return True
        pool = candidates & ~hidden
        helps = pool & (values[:, bad] > 0).any(axis=1)
        if not helps.any():
            return False
        idx = np.flatnonzero(helps)
        hidden[idx[np.argmin(size[idx])]] = True


def suppress_hierarchy(
    areas: pd.DataFrame,
    *,
    group: str,
    k: int = DEFAULT_K,
    group_labels: pd.DataFrame | None = None,
) -> Release:
    """Suppress small cells in ``areas`` and in their group totals, consistently.

    Parameters
    ----------
    areas
        One row per area with the count columns of :data:`FAMILIES` and a ``group`` column.
    group
        Column naming the group of each area (``"kode_kec"`` for desa; a constant for H3
        cells, whose only group is the grand total).
    k
        Threshold: published counts and complements are 0 or at least ``k``.
    group_labels
        Extra columns per group (indexed by group key) to carry into ``groups``.

    Returns
    -------
    Release
        Areas, groups (sums of their areas) and grand total, with hidden values missing.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    areas = areas.reset_index(drop=True)
    keys = areas[group].astype(str).to_numpy()
    group_keys, g_of_area = np.unique(keys, return_inverse=True)
    counts = list(COUNT_COLUMNS)
    a_val = _values(areas)
    g_frame = areas.groupby(g_of_area)[counts].sum().reindex(range(len(group_keys)), fill_value=0)
    g_val = _values(g_frame)
    t_val = a_val.sum(axis=0, keepdims=True)
    a_size = areas["n_keluarga"].to_numpy(dtype="int64")
    g_size = g_frame["n_keluarga"].to_numpy(dtype="int64")

    a_hidden = _primary(a_val, k)
    g_hidden = _primary(g_val, k)
    all_hidden = bool(_primary(t_val, k)[0])

    while not all_hidden:
        changed = False
        # Hidden areas of each published group are recoverable from that group's total.
        for g in np.flatnonzero(~g_hidden):
            members = g_of_area == g
            before = int(a_hidden.sum())
            hidden_g = a_hidden & members
            ok = _fix_set(a_val, hidden_g, members, a_size, k)
            a_hidden |= hidden_g
            changed |= int(a_hidden.sum()) != before
            if not ok:
                g_hidden[g] = True
                changed = True
        # Hidden groups together are recoverable from the grand total ...
        before_g = int(g_hidden.sum())
        if not _fix_set(g_val, g_hidden, np.ones_like(g_hidden), g_size, k):
            all_hidden = True
            break
        changed |= int(g_hidden.sum()) != before_g
        # ... and so are the hidden areas inside them (total - published groups - published
        # areas of hidden groups).
        in_hidden_groups = g_hidden[g_of_area]
        before = int(a_hidden.sum())
        hidden_u = a_hidden & in_hidden_groups
        if _fix_set(a_val, hidden_u, in_hidden_groups, a_size, k):
            a_hidden |= hidden_u
            changed |= int(a_hidden.sum()) != before
        else:
            a_hidden |= hidden_u
            spare = ~g_hidden
            if not spare.any():
                all_hidden = True
                break
            idx = np.flatnonzero(spare)
            g_hidden[idx[np.argmin(g_size[idx])]] = True
            changed = True
        if not changed:
            break

    if all_hidden:
        a_hidden[:] = True
        g_hidden[:] = True

    out_areas = _mask(areas if "pct_jiwa_ekstrem" in areas.columns else _with_rate(areas), a_hidden)
    g_out = g_frame.copy()
    g_out.insert(0, group, group_keys)
    if group_labels is not None:
        labels = group_labels.copy()
        labels.index = labels.index.astype(str)
        extra = [c for c in labels.columns if c not in g_out.columns]
        g_out = g_out.join(labels[extra], on=group)
        g_out = g_out[[group, *extra, *counts]]
    g_out = _with_rate(g_out)
    out_groups = _mask(g_out, g_hidden)
    total = _with_rate(
        pd.DataFrame([dict(zip(counts, g_frame[counts].sum().tolist(), strict=True))])
    )
    out_total = _mask(total, np.array([all_hidden]))
    return Release(areas=out_areas, groups=out_groups, total=out_total, k=k)


def suppress_flat(cells: pd.DataFrame, *, k: int = DEFAULT_K) -> Release:
    """Suppression for one level of areas with only a grand total published (e.g. H3 cells)."""
    frame = cells.assign(_semua="semua")
    rel = suppress_hierarchy(frame, group="_semua", k=k)
    return Release(
        areas=rel.areas.drop(columns="_semua"), groups=rel.groups.iloc[0:0], total=rel.total, k=k
    )


def _with_rate(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    jiwa = frame["n_jiwa"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["pct_jiwa_ekstrem"] = np.where(
            jiwa > 0, 100.0 * frame["n_jiwa_ekstrem"].to_numpy(dtype="float64") / jiwa, np.nan
        )
    return frame


def _mask(frame: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in UNPROTECTED_COLUMNS if c in frame.columns]).copy()
    hidden = np.asarray(hidden, dtype=bool)
    for c in COUNT_COLUMNS:
        if c in out.columns:
            out[c] = pd.array(out[c].to_numpy(dtype="int64"), dtype="Int64")
            out.loc[hidden, c] = pd.NA
    for c in RATE_COLUMNS:
        if c in out.columns:
            out[c] = pd.array(out[c].to_numpy(dtype="float64"), dtype="Float64")
            out.loc[hidden, c] = pd.NA
    out[SUPPRESSED_FLAG] = hidden
    return out


def geography_allowed(role: str, geography: str, *, publik_geography: str = "desa") -> bool:
    """Whether ``role`` may see aggregates of ``geography`` ("desa", "kecamatan", "h3").

    The suppressed roles (opd and publik) see one family only: desa (with their kecamatan
    and kabupaten totals, which are sums of the same desa) or H3 cells at one coarse
    resolution. Overlapping desa and H3 cells could be differenced (a cell minus the parts
    of it inside published desa), and no release here suppresses across the two.
    """
    if not is_suppressed_role(role):
        return True
    if publik_geography == "desa":
        return geography in ("desa", "kecamatan", "kabupaten")
    return geography in ("h3", "kabupaten")


def is_suppressed_role(role: str) -> bool:
    """Roles that see aggregates only, with small cells suppressed."""
    return role in ROLES_SUPPRESSED


# ---------------------------------------------------------------------------------------------
# Released planning tables: built from the released desa table only (disclosure by construction)
# ---------------------------------------------------------------------------------------------

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
QUADRANT_LABEL = {
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
# Weights of the two score components computable from released counts (the others -- depth,
# deprivation, pockets, coverage -- are shares of sub-groups that may be below k).
RELEASED_WEIGHTS = {"jumlah": 0.30, "tingkat": 0.25}


def _num(values, lang: str, decimals: int = 0) -> str:
    text = f"{float(values):,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


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
    labels = QUADRANT_LABEL.get(lang, QUADRANT_LABEL["id"])
    m = int(active.sum())
    reasons = []
    for i in range(len(d)):
        if hidden[i]:
            reasons.append(
                f"Angka desa ini tidak dipublikasikan (perlindungan sel kecil, k = {k})."
                if lang == "id"
                else f"This desa's figures are not published (small-cell protection, k = {k})."
            )
        elif not active[i]:
            reasons.append(
                "Tidak ada penduduk tercatat." if lang == "id" else "No residents recorded."
            )
        elif nk[i] == 0:
            reasons.append(
                "Tidak ada keluarga miskin ekstrem tercatat."
                if lang == "id"
                else "No extremely poor families recorded."
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
    f = _num
    if lang == "id":
        text = (
            f"{f(n, lang)} jiwa miskin ekstrem dalam {f(nk, lang)} keluarga, "
            f"{f(pct, lang, 1)} % penduduk desa"
        )
        if np.isfinite(kab_pct):
            text += f" (kabupaten {f(kab_pct, lang, 1)} %)"
        if quad:
            text += f"; kuadran {labels[quad]}"
        return text + f"; peringkat {int(rank)} dari {m} desa yang angkanya dipublikasikan."
    text = f"{f(n, lang)} extremely poor persons in {f(nk, lang)} families, {f(pct, lang, 1)} % of residents"
    if np.isfinite(kab_pct):
        text += f" (kabupaten {f(kab_pct, lang, 1)} %)"
    if quad:
        text += f"; quadrant {labels[quad]}"
    return text + f"; rank {int(rank)} of {m} desa with published figures."


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
