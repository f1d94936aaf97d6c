"""Text of the priority list: quadrant and status labels, a reason per desa in Bahasa
Indonesia (or English), pocket citations and number formats (:mod:`.prioritas`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis.alasan import COMPONENTS, FEW_FAMILIES, reason_facts, render_reason
from geo_service.i18n import fmt_number as i18n_fmt_number
from geo_service.i18n import fmt_p, pocket_label, teks

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


def pockets_by_desa(keluarga, codes, inside, fam_desa, pocket_of_family):
    """Per desa index, the pocket ids of its extreme-poor families, most families first."""
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


def pocket_citation(row, lang: str = "id") -> str:
    """A pocket as cited in a reason: its one name, relative risk and p-value
    (``Kantong 1 (K-48d640446f; risiko relatif 5,2x; p < 0,0001)``)."""
    rr = fmt_number(float(row["risiko_relatif"]), 1, lang)
    p = fmt_p(float(row["p_value"]), lang)
    name = pocket_label(row["nomor"], None, lang)
    return teks(
        ("{name} ({kid}; risiko relatif {rr}x; {p})", "{name} ({kid}; relative risk {rr}x; {p})"),
        lang,
        name=name,
        kid=row["kantong_id"],
        rr=rr,
        p=p,
    )


def pocket_facts(pockets: pd.DataFrame | None) -> dict:
    """Pocket records by id (what a reason cites)."""
    need = {"kantong_id", "nomor", "risiko_relatif", "p_value"}
    if pockets is None or not need <= set(pockets.columns):
        return {}
    return {str(r["kantong_id"]): r for _, r in pockets[list(need)].iterrows()}


def fmt_number(x: float, decimals: int = 0, lang: str = "id") -> str:
    """A number as a reader of ``lang`` writes it (id: 1.234,5; en: 1,234.5)."""
    return i18n_fmt_number(x, lang, decimals)


def desa_reason(row, comp, weights, i, ctx, pocket_ids, lang) -> str:
    """The reason of desa ``i`` in ``lang`` (facts and wording: :mod:`.alasan`)."""
    return render_reason(reason_facts(row, comp, weights, i, ctx, pocket_ids), lang)


__all__ = [
    "COMPONENTS",
    "FEW_FAMILIES",
    "KUADRAN_LABEL",
    "STATUS_LABEL",
    "desa_reason",
    "fmt_number",
    "pocket_citation",
    "pocket_facts",
    "pockets_by_desa",
]
