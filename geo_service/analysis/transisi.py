"""Several periodes side by side: desil transitions, graduation, rate trends, pocket classes.

Families are matched by ``id_keluarga`` (unique within a snapshot by the contract). A family
in both periodes has a transition; one only in the earlier periode has left the register
(``keluar``: died, moved out of the kabupaten, removed); one only in the later periode is new
(``baru``).

Where a flow is counted (per desa or pocket): transitions and exits in the unit where the
family was **before**, new families where they are **after**, and moves between units are
counted on both sides, so that for every unit

``akhir = awal - lulus - keluar + turun + baru + pindah_masuk - pindah_keluar``

holds exactly for the desil-1 group (and likewise for desil 1-4); :func:`graduation`
returns all terms.

Pocket classes (:func:`pocket_classes`) follow the idea of emerging hot-spot analysis
(persistent, new, intensifying, diminishing, sporadic, historical), simplified for the short
series a kabupaten has (a few DTSEN snapshots): pockets of different periodes that share an
H3 cell form one track, and a track is classed by where it is present and how its
extreme-poor persons change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int, teks

DESIL = tuple(range(1, 11))
BARU = "baru"
KELUAR = "keluar"


def _check_unique(frame: pd.DataFrame, name: str) -> None:
    dup = frame[S.ID].duplicated()
    if dup.any():
        raise InvalidInputError(
            f"id_keluarga ganda dalam periode {name}: {frame.loc[dup, S.ID].iloc[0]}",
            f"Duplicate id_keluarga in periode {name}: {frame.loc[dup, S.ID].iloc[0]}",
        )


def match_snapshots(
    before: pd.DataFrame, after: pd.DataFrame, *, kolom: str = S.KODE_DESA
) -> pd.DataFrame:
    """Families of two periodes matched by ``id_keluarga``.

    Parameters
    ----------
    before, after
        Snapshots with ``id_keluarga``, ``desil``, ``jumlah_art`` and the unit column.
    kolom
        Unit column (``kode_desa`` by default; e.g. a pocket id column added by the caller).

    Returns
    -------
    pandas.DataFrame
        One row per family in either periode: ``id_keluarga``, ``desil_awal``,
        ``desil_akhir`` (``<NA>`` when absent), ``jiwa_awal``, ``jiwa_akhir``,
        ``unit_awal``, ``unit_akhir``, ``status_panel`` (``tetap``, ``keluar`` or ``baru``).
    """
    _check_unique(before, "awal")
    _check_unique(after, "akhir")
    a = pd.DataFrame(
        {
            S.ID: before[S.ID].astype(str).to_numpy(),
            "desil_awal": pd.to_numeric(before["desil"]).astype("Int64").to_numpy(),
            "jiwa_awal": pd.to_numeric(before["jumlah_art"]).astype("Int64").to_numpy(),
            "unit_awal": before[kolom].astype(object).to_numpy(),
        }
    )
    b = pd.DataFrame(
        {
            S.ID: after[S.ID].astype(str).to_numpy(),
            "desil_akhir": pd.to_numeric(after["desil"]).astype("Int64").to_numpy(),
            "jiwa_akhir": pd.to_numeric(after["jumlah_art"]).astype("Int64").to_numpy(),
            "unit_akhir": after[kolom].astype(object).to_numpy(),
        }
    )
    m = a.merge(b, on=S.ID, how="outer", indicator=True, sort=True)
    for c in ("desil_awal", "desil_akhir", "jiwa_awal", "jiwa_akhir"):
        m[c] = m[c].astype("Int64")
    for c in ("unit_awal", "unit_akhir"):
        m[c] = m[c].astype(object).where(m[c].notna(), None)
    m["status_panel"] = (
        m["_merge"].map({"both": "tetap", "left_only": KELUAR, "right_only": BARU}).astype(object)
    )
    return m.drop(columns="_merge")


def transition_matrix(
    before: pd.DataFrame, after: pd.DataFrame, *, bobot: str = "keluarga"
) -> pd.DataFrame:
    """Desil transition matrix between two periodes.

    Rows: ``desil_awal`` 1-10 and ``baru`` (new families); columns: ``desil_akhir`` 1-10 and
    ``keluar`` (left the register). Cells count families (``bobot="keluarga"``) or persons of
    the earlier periode (``"jiwa"``; new families with their later size).
    """
    if bobot not in ("keluarga", "jiwa"):
        raise ValueError("bobot must be 'keluarga' or 'jiwa'")
    m = match_snapshots(before, after)
    rows = pd.Series([BARU if pd.isna(v) else str(int(v)) for v in m["desil_awal"]])
    cols = pd.Series([KELUAR if pd.isna(v) else str(int(v)) for v in m["desil_akhir"]])
    if bobot == "keluarga":
        w = np.ones(len(m), dtype=np.int64)
    else:
        w = m["jiwa_awal"].fillna(m["jiwa_akhir"]).astype(np.int64).to_numpy()
    tab = pd.crosstab(rows, cols, values=w, aggfunc="sum").fillna(0)
    row_labels = [str(d) for d in DESIL] + [BARU]
    col_labels = [str(d) for d in DESIL] + [KELUAR]
    tab = tab.reindex(index=row_labels, columns=col_labels, fill_value=0).astype(np.int64)
    tab.index.name, tab.columns.name = "desil_awal", "desil_akhir"
    return tab


def _group_flows(m: pd.DataFrame, lo: int, hi: int, suffix: str) -> pd.DataFrame:
    """Balance terms of the desil group lo..hi per unit (see the module docstring)."""
    da = m["desil_awal"].to_numpy(dtype="float64", na_value=np.nan)
    dz = m["desil_akhir"].to_numpy(dtype="float64", na_value=np.nan)
    in_a = (da >= lo) & (da <= hi)
    in_z = (dz >= lo) & (dz <= hi)
    status = m["status_panel"].to_numpy()
    both = status == "tetap"
    ua = m["unit_awal"].to_numpy(dtype=object)
    uz = m["unit_akhir"].to_numpy(dtype=object)
    moved = both & (ua != uz)

    def count(mask, units):
        return pd.Series(units[mask]).value_counts()

    parts = {
        f"n_{suffix}_awal": count(in_a, ua),
        f"lulus_{suffix}": count(both & in_a & ~in_z, ua),
        f"keluar_{suffix}": count(in_a & (status == KELUAR), ua),
        f"turun_ke_{suffix}": count(both & ~in_a & in_z, ua),
        f"baru_{suffix}": count(np.isnan(da) & in_z, uz),
        f"pindah_keluar_{suffix}": count(moved & in_z, ua),
        f"pindah_masuk_{suffix}": count(moved & in_z, uz),
        f"n_{suffix}_akhir": count(in_z, uz),
    }
    return pd.DataFrame(parts)


def graduation(
    before: pd.DataFrame, after: pd.DataFrame, *, kolom: str = S.KODE_DESA
) -> pd.DataFrame:
    """Families leaving and entering desil 1 and desil 1-4, per unit.

    Returns
    -------
    pandas.DataFrame
        One row per unit (``unit``) with, for ``desil1`` and ``desil1_4``: ``n_<g>_awal``,
        ``lulus_<g>`` (in the group before, above it after: graduated), ``keluar_<g>`` (in
        the group before, gone from the register), ``turun_ke_<g>`` (above before, in the
        group after), ``baru_<g>`` (new families in the group), ``pindah_keluar_<g>`` and
        ``pindah_masuk_<g>`` (moved between units, in the group after), ``n_<g>_akhir``;
        plus ``pct_lulus_desil1`` and ``perubahan_desil1`` (akhir - awal). The last row,
        ``unit = "TOTAL"``, sums all units.
    """
    m = match_snapshots(before, after, kolom=kolom)
    out = (
        pd.concat([_group_flows(m, 1, 1, "desil1"), _group_flows(m, 1, 4, "desil1_4")], axis=1)
        .fillna(0)
        .astype(np.int64)
    )
    out = out.sort_index()
    total = out.sum().to_frame().T
    total.index = ["TOTAL"]
    # Between-unit moves cancel in the total.
    out = pd.concat([out, total])
    out.index.name = "unit"
    out["perubahan_desil1"] = out["n_desil1_akhir"] - out["n_desil1_awal"]
    out["perubahan_desil1_4"] = out["n_desil1_4_akhir"] - out["n_desil1_4_awal"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_lulus_desil1"] = np.where(
            out["n_desil1_awal"] > 0,
            (100.0 * out["lulus_desil1"] / out["n_desil1_awal"]).round(2),
            np.nan,
        )
    return out.reset_index()


def panel_graduation(
    snapshots: Mapping[str, pd.DataFrame], *, kolom: str = S.KODE_DESA
) -> pd.DataFrame:
    """:func:`graduation` for every pair of consecutive periodes (``dari``, ``ke`` columns)."""
    names = list(snapshots)
    frames = []
    for a, b in zip(names[:-1], names[1:], strict=True):
        g = graduation(snapshots[a], snapshots[b], kolom=kolom)
        g.insert(0, "ke", b)
        g.insert(0, "dari", a)
        frames.append(g)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --- rates per desa over time -----------------------------------------------------------


def rate_change(
    desa_by_periode: Mapping[str, pd.DataFrame], *, ambang_pp: float = 1.0
) -> pd.DataFrame:
    """Change of the extreme-poverty rate per desa across periodes.

    Parameters
    ----------
    desa_by_periode
        Periode -> desa indicators (``kode_desa``, ``n_jiwa``, ``n_jiwa_ekstrem``,
        ``pct_jiwa_ekstrem``), in time order.
    ambang_pp
        A change of at least this many percentage points (first to last) is ``naik`` or
        ``turun``; smaller is ``tetap``.

    Returns
    -------
    pandas.DataFrame
        Per desa: ``pct_<periode>`` and ``n_jiwa_ekstrem_<periode>`` for every periode,
        ``perubahan_pp`` (last - first), ``perubahan_jiwa_ekstrem`` and ``tren``
        (``naik`` / ``turun`` / ``tetap``; ``<NA>`` without people in the first or last).
    """
    names = list(desa_by_periode)
    if len(names) < 2:
        raise InvalidInputError(
            "Perlu minimal dua periode untuk melihat perubahan.",
            "At least two periodes are needed to see a change.",
        )
    parts: list[pd.DataFrame] = []
    for p in names:
        d = desa_by_periode[p].set_index(S.KODE_DESA)
        part = pd.DataFrame(
            {
                f"pct_{p}": d["pct_jiwa_ekstrem"].astype("float64"),
                f"n_jiwa_ekstrem_{p}": d["n_jiwa_ekstrem"].astype("float64"),
            }
        )
        if "nama_desa" in d.columns and not parts:
            part.insert(0, "nama_desa", d["nama_desa"])
        parts.append(part)
    wide = parts[0]
    for part in parts[1:]:
        wide = wide.join(part, how="outer")
    first, last = names[0], names[-1]
    wide["perubahan_pp"] = (wide[f"pct_{last}"] - wide[f"pct_{first}"]).round(3)
    wide["perubahan_jiwa_ekstrem"] = (
        wide[f"n_jiwa_ekstrem_{last}"] - wide[f"n_jiwa_ekstrem_{first}"]
    )
    tren = np.where(
        wide["perubahan_pp"] >= ambang_pp,
        "naik",
        np.where(wide["perubahan_pp"] <= -ambang_pp, "turun", "tetap"),
    )
    wide["tren"] = pd.Series(tren, index=wide.index, dtype=object).where(
        wide["perubahan_pp"].notna(), None
    )
    return wide.sort_index().reset_index()


# --- pocket classes ---------------------------------------------------------------------

GRADUATION = (
    "{unit}: {lulus} dari {awal} keluarga desil 1 naik desil, {turun} turun ke desil 1, "
    "{baru} keluarga baru di desil 1; bersih {bersih}.",
    "{unit}: {lulus} of {awal} desil-1 families moved up, {turun} fell into desil 1, "
    "{baru} new desil-1 families; net {bersih}.",
)
POCKET_CLASSES: dict[str, tuple[str, str]] = {
    "persisten": (
        "Persisten: ada di setiap periode tanpa perubahan besar",
        "Persistent: present in every periode without a large change",
    ),
    "meluas": (
        "Meluas/menguat: jiwa miskin ekstrem bertambah",
        "Growing/intensifying: more extreme-poor persons",
    ),
    "menyusut": (
        "Menyusut/melemah: jiwa miskin ekstrem berkurang",
        "Shrinking/diminishing: fewer extreme-poor persons",
    ),
    "baru": (
        "Baru: muncul setelah periode pertama dan bertahan sampai periode terakhir",
        "New: appeared after the first periode and present since",
    ),
    "sporadis": (
        "Sporadis: muncul dan hilang berselang-seling",
        "Sporadic: appears and disappears on and off",
    ),
    "hilang": (
        "Hilang: ada sebelumnya, tidak ada di periode terakhir",
        "Gone: present before, absent in the last periode",
    ),
}


def _cells(value) -> list[str]:
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()]
    return [str(c) for c in value]


def pocket_classes(
    pockets_by_periode: Mapping[str, pd.DataFrame],
    *,
    ambang: float = 0.2,
    ukuran: str = "n_jiwa_ekstrem",
    min_periode: int = 3,
    lang: str = "id",
) -> pd.DataFrame:
    """Class of every pocket track across three or more periodes.

    Parameters
    ----------
    pockets_by_periode
        Periode -> pockets (``kantong_id``, ``sel_h3`` as comma-separated ids or a list,
        and the ``ukuran`` column), in time order, all at the same H3 resolution.
    ambang
        Relative change of ``ukuran`` (first to last periode present) that counts as
        growing (``>= +ambang``) or shrinking (``<= -ambang``).
    ukuran
        Size measure of a pocket (extreme-poor persons by default).
    min_periode
        Fewest periodes accepted.

    Returns
    -------
    pandas.DataFrame
        One row per track: ``jejak_id`` (stable: from its pocket ids), ``kelas``,
        ``keterangan``, ``hadir`` (e.g. ``"1-1"`` per periode), ``<ukuran>_<periode>`` and
        ``kantong_<periode>`` (ids, ``;``-joined), ``perubahan_relatif``,
        ``sel_terakhir`` (cells of the last periode present).
    """
    names = list(pockets_by_periode)
    if len(names) < min_periode:
        raise InvalidInputError(
            f"Kelas kantong memerlukan minimal {min_periode} periode (diberikan {len(names)}).",
            f"Pocket classes need at least {min_periode} periodes ({len(names)} given).",
        )
    nodes: list[tuple[int, str, list[str], float]] = []
    for t, p in enumerate(names):
        for rec in pockets_by_periode[p].to_dict("records"):
            nodes.append(
                (t, str(rec["kantong_id"]), _cells(rec["sel_h3"]), float(rec.get(ukuran, 0) or 0))
            )
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_, _, cells, _) in enumerate(nodes):
        for c in cells:
            j = owner.setdefault(c, i)
            if j != i:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    tracks: dict[int, list[int]] = {}
    for i in range(len(nodes)):
        tracks.setdefault(find(i), []).append(i)

    rows = []
    T = len(names)
    for members in tracks.values():
        size = np.zeros(T)
        present = np.zeros(T, dtype=bool)
        ids: list[list[str]] = [[] for _ in range(T)]
        cells_last: dict[int, list[str]] = {}
        for i in members:
            t, pid, cells, v = nodes[i]
            size[t] += v
            present[t] = True
            ids[t].append(pid)
            cells_last.setdefault(t, []).extend(cells)
        first = int(np.argmax(present))
        last = T - 1 - int(np.argmax(present[::-1]))
        gaps = not present[first : last + 1].all()
        change = (size[last] - size[first]) / size[first] if size[first] > 0 else np.nan
        if not present[-1]:
            kelas = "hilang"
        elif gaps:
            kelas = "sporadis"
        elif not present[0]:
            kelas = "baru"
        elif np.isfinite(change) and change >= ambang:
            kelas = "meluas"
        elif np.isfinite(change) and change <= -ambang:
            kelas = "menyusut"
        else:
            kelas = "persisten"
        all_ids = sorted({pid for group in ids for pid in group})
        row: dict[str, Any] = {
            "jejak_id": "J-" + hashlib.sha1(",".join(all_ids).encode()).hexdigest()[:10],
            "kelas": kelas,
            "keterangan": teks(POCKET_CLASSES[kelas], lang),
            "hadir": "-".join("1" if x else "0" for x in present),
        }
        for t, p in enumerate(names):
            row[f"{ukuran}_{p}"] = size[t] if present[t] else np.nan
        for t, p in enumerate(names):
            row[f"kantong_{p}"] = ";".join(sorted(ids[t]))
        row["perubahan_relatif"] = round(float(change), 4) if np.isfinite(change) else np.nan
        row["sel_terakhir"] = ",".join(sorted(set(cells_last[last])))
        rows.append(row)
    order = {k: i for i, k in enumerate(POCKET_CLASSES)}
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["_o"] = out["kelas"].map(order)
    last_col = f"{ukuran}_{names[-1]}"
    out = out.sort_values(
        ["_o", last_col, "jejak_id"],
        ascending=[True, False, True],
        kind="stable",
        na_position="last",
    )
    return out.drop(columns="_o").reset_index(drop=True)


def graduation_text(row: Mapping, lang: str = "id") -> str:
    """One sentence about graduation in a unit (for tables and the meeting pack)."""
    unit = row.get("unit", "")
    bersih = int(row["perubahan_desil1"])
    return teks(
        GRADUATION,
        lang,
        unit=unit,
        lulus=fmt_int(row["lulus_desil1"], lang),
        awal=fmt_int(row["n_desil1_awal"], lang),
        turun=fmt_int(row["turun_ke_desil1"], lang),
        baru=fmt_int(row["baru_desil1"], lang),
        bersih=("+" if bersih >= 0 else "") + fmt_int(bersih, lang),
    )
