"""Primary and complementary small-cell suppression of linked tables; which role sees what
(the rule: see the package docstring)."""

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
