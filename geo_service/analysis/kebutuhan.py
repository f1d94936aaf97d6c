"""Needs of extreme-poor families per place, OPD targets, and programme coverage.

Needs (kebutuhan) are the contract's seven deprivations plus not receiving a programme
(``tidak_menerima_pkh``, ``tidak_menerima_bpnt``, ``tidak_menerima_pbi_jk``,
``tidak_menerima_blt``). A table (``data/opd_programmes.csv``, read by
``geo_service.io.reference``) maps each need to the OPD and programme that addresses it;
it is passed in here as a DataFrame.

Coverage and targeting errors, per desa or pocket:

- exclusion (``pct_eksklusi_<programme>``): share of extreme-poor families not receiving it;
- inclusion (``pct_inklusi_<programme>``): share of desil 6-10 families receiving it.

Both groups of families are ground-check candidates (listed family by family in
:mod:`.groundcheck`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.errors import InvalidInputError
from geo_service.i18n import teks

PROGRAM_NEEDS = {
    "tidak_menerima_pkh": "penerima_pkh",
    "tidak_menerima_bpnt": "penerima_bpnt",
    "tidak_menerima_pbi_jk": "penerima_pbi_jk",
    "tidak_menerima_blt": "penerima_blt",
}
NEEDS: tuple[str, ...] = S.DEPRIVATION_COLUMNS + tuple(PROGRAM_NEEDS)
COVERAGE_PROGRAMMES = {"pkh": "penerima_pkh", "bpnt": "penerima_bpnt", "pbi_jk": "penerima_pbi_jk"}
PROGRAMME_TABLE_COLUMNS = ("kebutuhan", "nama_kebutuhan", "nama_kebutuhan_en", "opd", "program")
MAMPU_DESIL = 6  # desil 6-10: better-off families, inclusion errors when receiving


def need_flags(keluarga: pd.DataFrame) -> pd.DataFrame:
    """Per family, 0/1 for every need in :data:`NEEDS` (missing flags count as 0)."""
    out = {}
    for c in S.DEPRIVATION_COLUMNS:
        out[c] = (
            keluarga[c].fillna(0).to_numpy(dtype=np.int64)
            if c in keluarga
            else np.zeros(len(keluarga), np.int64)
        )
    for need, prog in PROGRAM_NEEDS.items():
        got = (
            keluarga[prog].fillna(0).to_numpy(dtype=np.int64)
            if prog in keluarga
            else np.zeros(len(keluarga), np.int64)
        )
        out[need] = 1 - got
    return pd.DataFrame(out, index=keluarga.index)


def needs_by(keluarga: pd.DataFrame, keys: np.ndarray, key_name: str) -> pd.DataFrame:
    """Per group, extreme-poor families and the number and share of them with each need.

    Parameters
    ----------
    keluarga
        Families with ``ekstrem`` and the flags.
    keys
        Group of each family (e.g. ``kode_desa_lokasi`` or a pocket id); missing keys are
        left out.
    key_name
        Name of the key column in the result.

    Returns
    -------
    pandas.DataFrame
        ``key_name``, ``n_keluarga_ekstrem``, then ``n_<need>`` and ``pct_<need>`` (percent
        of the group's extreme-poor families) for every need; sorted by key.
    """
    key_s = pd.Series(np.asarray(keys, dtype=object))
    ek = keluarga["ekstrem"].to_numpy(dtype=bool)
    use = ek & key_s.notna().to_numpy()
    flags = need_flags(keluarga).to_numpy()[use]
    frame = pd.DataFrame(flags, columns=[f"n_{c}" for c in NEEDS])
    frame.insert(0, "n_keluarga_ekstrem", 1)
    frame.insert(0, key_name, key_s.to_numpy()[use])
    out = frame.groupby(key_name, sort=True).sum().reset_index()
    for c in NEEDS:
        out[f"pct_{c}"] = 100.0 * out[f"n_{c}"] / out["n_keluarga_ekstrem"]
    cols = [key_name, "n_keluarga_ekstrem"] + [x for c in NEEDS for x in (f"n_{c}", f"pct_{c}")]
    return out[cols]


def check_programme_table(table: pd.DataFrame) -> pd.DataFrame:
    """The need -> OPD/programme table, checked: required columns, known needs.

    Raises
    ------
    InvalidInputError
        A column is missing or a need code is not one of :data:`NEEDS`.
    """
    missing = [c for c in PROGRAMME_TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"Tabel OPD/program tidak memiliki kolom: {', '.join(missing)}",
            f"The OPD/programme table lacks columns: {', '.join(missing)}",
        )
    unknown = sorted(set(table["kebutuhan"].astype(str)) - set(NEEDS))
    if unknown:
        raise InvalidInputError(
            f"Kode kebutuhan tidak dikenal dalam tabel OPD/program: {', '.join(unknown)}. "
            f"Kode yang sah: {', '.join(NEEDS)}",
            f"Unknown need codes in the OPD/programme table: {', '.join(unknown)}. "
            f"Valid codes: {', '.join(NEEDS)}",
        )
    return table.reset_index(drop=True)


def opd_targets(
    needs_desa: pd.DataFrame,
    programmes: pd.DataFrame,
    desa: pd.DataFrame,
    *,
    min_keluarga: int = 1,
    priorities: pd.DataFrame | None = None,
    lang: str = "id",
) -> pd.DataFrame:
    """Per OPD and programme, the target desa with the number of extreme-poor families in need.

    Parameters
    ----------
    needs_desa
        :func:`needs_by` per desa (key ``kode_desa``).
    programmes
        Need -> OPD/programme table (:data:`PROGRAMME_TABLE_COLUMNS`).
    desa
        Desa names (``kode_desa``, ``nama_desa``, ``kode_kec``, ``nama_kec``).
    min_keluarga
        A desa is a target when at least this many extreme-poor families have the need.
    priorities
        Priority table; when given its ``peringkat`` and ``status_teratas`` are added.
    lang
        Language of the need label ("id" or "en").

    Returns
    -------
    pandas.DataFrame
        ``opd``, ``program``, ``kebutuhan``, ``nama_kebutuhan``, ``urutan`` (1 = most
        need of this programme beyond the kabupaten share), ``kode_desa``, ``nama_desa``, ``kode_kec``,
        ``nama_kec``, ``n_keluarga_sasaran`` (extreme-poor families with the need),
        ``n_keluarga_ekstrem``, ``pct_keluarga_sasaran``, ``kelebihan_kebutuhan`` (families
        with the need beyond the kabupaten share of it: the programme's own ranking key,
        so ``urutan`` differs between programmes), and the priority columns.
    """
    programmes = check_programme_table(programmes)
    label = teks(("nama_kebutuhan", "nama_kebutuhan_en"), lang)
    names = desa[["kode_desa", "nama_desa", "kode_kec", "nama_kec"]].drop_duplicates("kode_desa")
    parts = []
    for row in programmes.itertuples(index=False):
        need = str(row.kebutuhan)
        part = needs_desa[["kode_desa", "n_keluarga_ekstrem", f"n_{need}", f"pct_{need}"]]
        part = part[part[f"n_{need}"] >= max(min_keluarga, 1)]
        part = part.rename(
            columns={f"n_{need}": "n_keluarga_sasaran", f"pct_{need}": "pct_keluarga_sasaran"}
        )
        # Rank by the programme's OWN need: families with the need beyond what the desa's
        # extreme-poor families would have at the kabupaten share of that need. Ranking by
        # the count alone gives every programme the same (largest) desa.
        all_ekstrem = needs_desa["n_keluarga_ekstrem"].sum()
        share = needs_desa[f"n_{need}"].sum() / all_ekstrem if all_ekstrem else 0.0
        part = part.assign(
            kelebihan_kebutuhan=part["n_keluarga_sasaran"] - part["n_keluarga_ekstrem"] * share
        )
        part = part.sort_values(
            ["kelebihan_kebutuhan", "n_keluarga_sasaran", "kode_desa"],
            ascending=[False, False, True],
            kind="stable",
        )
        part.insert(0, "urutan", np.arange(1, len(part) + 1, dtype=np.int64))
        part.insert(0, "nama_kebutuhan", getattr(row, label))
        part.insert(0, "kebutuhan", need)
        part.insert(0, "program", row.program)
        part.insert(0, "opd", row.opd)
        parts.append(part)
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
        "kelebihan_kebutuhan",
    ]
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    else:
        out = pd.concat(parts, ignore_index=True).merge(names, on="kode_desa", how="left")
        out = out[cols]
    if priorities is not None:
        pr = priorities[["kode_desa", "peringkat", "status_teratas"]]
        out = out.merge(pr, on="kode_desa", how="left")
    return out.reset_index(drop=True)


def programme_coverage(keluarga: pd.DataFrame, keys: np.ndarray, key_name: str) -> pd.DataFrame:
    """Exclusion and inclusion errors of PKH, BPNT and PBI-JK per group.

    Returns
    -------
    pandas.DataFrame
        ``key_name``, ``n_keluarga_ekstrem``; per programme ``n_eksklusi_<p>`` and
        ``pct_eksklusi_<p>`` (extreme-poor families not receiving it);
        ``n_ekstrem_tanpa_bansos`` and ``pct_ekstrem_tanpa_bansos`` (receiving none of the
        three); ``n_keluarga_mampu`` (desil 6-10), per programme ``n_inklusi_<p>`` and
        ``pct_inklusi_<p>`` (better-off families receiving it). Percentages are NaN where
        the group has no such families. Sorted by key.
    """
    key_s = pd.Series(np.asarray(keys, dtype=object))
    has = key_s.notna().to_numpy()
    ek = keluarga["ekstrem"].to_numpy(dtype=bool)
    mampu = keluarga["desil"].to_numpy() >= MAMPU_DESIL
    got = {
        p: (
            keluarga[c].fillna(0).to_numpy(dtype=np.int64) > 0
            if c in keluarga
            else np.zeros(len(keluarga), bool)
        )
        for p, c in COVERAGE_PROGRAMMES.items()
    }
    any_prog = np.zeros(len(keluarga), dtype=bool)
    for g in got.values():
        any_prog |= g
    cols = {key_name: key_s.to_numpy()[has], "n_keluarga_ekstrem": ek[has].astype(np.int64)}
    for p, g in got.items():
        cols[f"n_eksklusi_{p}"] = (ek & ~g)[has].astype(np.int64)
    cols["n_ekstrem_tanpa_bansos"] = (ek & ~any_prog)[has].astype(np.int64)
    cols["n_keluarga_mampu"] = mampu[has].astype(np.int64)
    for p, g in got.items():
        cols[f"n_inklusi_{p}"] = (mampu & g)[has].astype(np.int64)
    out = pd.DataFrame(cols).groupby(key_name, sort=True).sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        den_ek = out["n_keluarga_ekstrem"].where(out["n_keluarga_ekstrem"] > 0)
        den_m = out["n_keluarga_mampu"].where(out["n_keluarga_mampu"] > 0)
        for p in COVERAGE_PROGRAMMES:
            out[f"pct_eksklusi_{p}"] = 100.0 * out[f"n_eksklusi_{p}"] / den_ek
        out["pct_ekstrem_tanpa_bansos"] = 100.0 * out["n_ekstrem_tanpa_bansos"] / den_ek
        for p in COVERAGE_PROGRAMMES:
            out[f"pct_inklusi_{p}"] = 100.0 * out[f"n_inklusi_{p}"] / den_m
    order = [key_name, "n_keluarga_ekstrem"]
    order += [x for p in COVERAGE_PROGRAMMES for x in (f"n_eksklusi_{p}", f"pct_eksklusi_{p}")]
    order += ["n_ekstrem_tanpa_bansos", "pct_ekstrem_tanpa_bansos", "n_keluarga_mampu"]
    order += [x for p in COVERAGE_PROGRAMMES for x in (f"n_inklusi_{p}", f"pct_inklusi_{p}")]
    return out[order]
