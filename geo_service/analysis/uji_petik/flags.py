"""Flagged families (``jenis = "bendera"``): who has a reason to be visited, in priority order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.locate import cell_to_parent, cells_to_str
from geo_service.analysis.uji_petik.columns import FLAG_ORDER, flag_column


def flag_families(
    keluarga: pd.DataFrame,
    *,
    ekstrem: np.ndarray | pd.Series | None = None,
    laporan_warga: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Flag reasons of every family (one boolean column per reason in ``FLAG_ORDER``).

    Parameters
    ----------
    keluarga
        Located families (``IndicatorResult.keluarga``): contract columns plus
        ``status_lokasi`` and ``lokasi_tidak_sesuai``.
    ekstrem
        Extreme-poverty flag per family; default ``keluarga["ekstrem"]`` or ``desil == 1``.
    laporan_warga
        ``id_keluarga`` named by citizen reports still open.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``keluarga.index``: a boolean column ``bendera_<reason>`` per reason,
        ``alasan`` (codes joined by ``;`` in ``FLAG_ORDER``, empty when none) and
        ``n_alasan``.
    """
    n = len(keluarga)
    if ekstrem is None:
        ekstrem = keluarga["ekstrem"] if "ekstrem" in keluarga.columns else keluarga["desil"] == 1
    ekstrem = np.asarray(ekstrem, dtype=bool)

    def col(name: str) -> np.ndarray:
        if name not in keluarga.columns:
            return np.zeros(n, dtype=bool)
        return pd.to_numeric(keluarga[name], errors="coerce").fillna(0).to_numpy() == 1

    desil = pd.to_numeric(keluarga["desil"], errors="coerce").to_numpy()
    no_programme = ~(col("penerima_pkh") | col("penerima_bpnt") | col("penerima_pbi_jk"))
    status = (
        keluarga["status_lokasi"].astype(object).to_numpy()
        if "status_lokasi" in keluarga.columns
        else np.full(n, None, dtype=object)
    )
    lts = (
        keluarga["lokasi_tidak_sesuai"].fillna(False).to_numpy(dtype=bool)
        if "lokasi_tidak_sesuai" in keluarga.columns
        else np.zeros(n, dtype=bool)
    )
    reported = (
        keluarga[S.ID].isin(set(laporan_warga)).to_numpy()
        if laporan_warga is not None
        else np.zeros(n, dtype=bool)
    )
    flags = {
        "laporan_warga": reported,
        "dugaan_exclusion": ekstrem & no_programme,
        "lokasi_tidak_sesuai": lts,
        "di_luar_batas": status == S.STATUS_DI_LUAR_BATAS,
        "dugaan_inclusion": (desil >= 6) & col("penerima_pkh"),
    }
    out = pd.DataFrame({flag_column(k): v for k, v in flags.items()}, index=keluarga.index)
    codes = np.array(FLAG_ORDER, dtype=object)
    matrix = out[[flag_column(k) for k in FLAG_ORDER]].to_numpy()
    out["alasan"] = [";".join(codes[row]) for row in matrix]
    out["n_alasan"] = matrix.sum(axis=1).astype(np.int64)
    return out


@dataclass(frozen=True)
class FlaggedList:
    """Flagged families in priority order, after the caps."""

    daftar: pd.DataFrame
    n_bendera: int  # flagged before the caps
    n_dipotong: int  # left out by the caps


def _pocket_ids(kantong, index: pd.Index) -> pd.Series:
    """Pocket id per row as str or None (a Series aligns on its index, a list by position)."""
    if kantong is None:
        values = [None] * len(index)
    elif isinstance(kantong, pd.Series):
        values = kantong.reindex(index).tolist()
    else:
        values = list(kantong)
    return pd.Series(
        [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values],
        index=index,
        dtype=object,
    )


def _lookup(keys: pd.Series, mapping) -> pd.Series:
    if mapping is None:
        return pd.Series(np.nan, index=keys.index, dtype="float64")
    if not isinstance(mapping, pd.Series):
        mapping = pd.Series(dict(mapping))
    return keys.map(mapping)


def flagged_list(
    keluarga: pd.DataFrame,
    *,
    kantong: pd.Series | Sequence | None = None,
    nomor_kantong: Mapping[str, int] | None = None,
    peringkat_desa: Mapping[str, float] | pd.Series | None = None,
    maks: int | None = None,
    maks_per_desa: int | None = None,
    ekstrem: np.ndarray | pd.Series | None = None,
    laporan_warga: Iterable[str] | None = None,
    flags: pd.DataFrame | None = None,
) -> FlaggedList:
    """Every flagged family, in priority order, capped.

    Parameters
    ----------
    keluarga
        Located families (see :func:`flag_families`).
    kantong
        Pocket id of each family (None/NaN when in no pocket): a Series aligned on
        ``keluarga.index``, or a sequence in row order.
    nomor_kantong
        Pocket id -> pocket number (1 = strongest evidence: the analysis numbers pockets by
        decreasing scan LLR); default: order of the ids.
    peringkat_desa
        Registered desa code -> priority rank (1 = first); desa without a rank go last.
    maks
        Largest number of flagged families in the list (None: all).
    maks_per_desa
        Largest number per desa, applied first (None: no limit).
    flags
        Output of :func:`flag_families` for ``keluarga`` when already computed.

    Returns
    -------
    FlaggedList
        ``daftar``: the flagged rows of ``keluarga`` with the flag columns, ``kantong``,
        ``nomor_kantong``, ``peringkat_desa`` and ``urutan_bendera`` (1, 2, ...).
    """
    if flags is None:
        flags = flag_families(keluarga, ekstrem=ekstrem, laporan_warga=laporan_warga)
    frame = pd.concat([keluarga, flags], axis=1)
    frame["kantong"] = _pocket_ids(kantong, frame.index)
    ids = sorted({x for x in frame["kantong"] if x is not None})
    nomor = (
        dict(nomor_kantong)
        if nomor_kantong is not None
        else {pid: i + 1 for i, pid in enumerate(ids)}
    )
    frame["nomor_kantong"] = frame["kantong"].map(nomor).astype("float64")
    frame["peringkat_desa"] = _lookup(frame[S.KODE_DESA], peringkat_desa).astype("float64")
    frame = frame[frame["n_alasan"].to_numpy() > 0]
    n_bendera = len(frame)

    first_reason = np.full(len(frame), len(FLAG_ORDER), dtype=np.int64)
    for i, code in reversed(list(enumerate(FLAG_ORDER))):
        first_reason[frame[flag_column(code)].to_numpy()] = i
    key = pd.DataFrame(
        {
            "luar_kantong": frame["kantong"].isna().to_numpy(),
            "peringkat": frame["peringkat_desa"].fillna(np.inf).to_numpy(),
            "nomor": frame["nomor_kantong"].fillna(np.inf).to_numpy(),
            "alasan": first_reason,
            "n": -frame["n_alasan"].to_numpy(),
            "id": frame[S.ID].astype(str).to_numpy(),
        }
    )
    order = key.sort_values(list(key.columns), kind="stable").index.to_numpy()
    frame = frame.iloc[order]
    if maks_per_desa is not None:
        frame = frame[frame.groupby(S.KODE_DESA, sort=False).cumcount().to_numpy() < maks_per_desa]
    if maks is not None:
        frame = frame.iloc[:maks]
    frame = frame.copy()
    frame["urutan_bendera"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return FlaggedList(daftar=frame, n_bendera=n_bendera, n_dipotong=n_bendera - len(frame))


def pocket_of_families(h3_cells: Sequence, kantong: pd.DataFrame) -> list[str | None]:
    """Pocket id of each family from its H3 cell and the pockets' cells.

    Parameters
    ----------
    h3_cells
        Each family's cell as hex text (None/empty without a geotag), at the analysis
        resolution (finer than or equal to the pockets').
    kantong
        Pockets with ``kantong_id`` and ``sel_h3`` (comma-separated cells, all at one
        resolution), as the planning stage gives them.

    Returns
    -------
    list
        The pocket id per family, None when in no pocket.
    """

    cell_of: dict[str, str] = {}
    if kantong is not None and len(kantong) and {"kantong_id", "sel_h3"} <= set(kantong.columns):
        for pid, cells in zip(kantong["kantong_id"], kantong["sel_h3"], strict=True):
            for c in str(cells or "").split(","):
                if c.strip():
                    cell_of[c.strip()] = str(pid)
    out: list[str | None] = [None] * len(h3_cells)
    if not cell_of:
        return out
    res = int((int(next(iter(cell_of)), 16) >> 52) & 0xF)
    text = [
        str(c)
        if c is not None
        and not (isinstance(c, float) and np.isnan(c))
        and str(c) not in ("", "0", "<NA>")
        else None
        for c in h3_cells
    ]
    has = np.array([t is not None for t in text], dtype=bool)
    if not has.any():
        return out
    cells = np.array([int(t, 16) for t in text if t is not None], dtype=np.uint64)
    parents = cells_to_str(cell_to_parent(cells, res))
    for i, name in zip(np.flatnonzero(has), parents, strict=True):
        out[i] = cell_of.get(str(name))
    return out
