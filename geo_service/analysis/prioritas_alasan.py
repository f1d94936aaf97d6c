"""Text of the priority list: quadrant and status labels, a reason per desa in Bahasa
Indonesia (or English), pocket citations and number formats (:mod:`.prioritas`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.i18n import fmt_p, pocket_label

COMPONENTS = ("jumlah", "tingkat", "kedalaman", "keparahan", "deprivasi", "kantong", "celah")
FEW_FAMILIES = 30  # below this the reason warns that the desa's figures are uncertain

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
    if lang == "id":
        return f"{name} ({row['kantong_id']}; risiko relatif {rr}x; {p})"
    return f"{name} ({row['kantong_id']}; relative risk {rr}x; {p})"


def _cite(pocket_id, ctx, lang: str) -> str:
    row = ctx.get("kantong", {}).get(str(pocket_id))
    return pocket_citation(row, lang) if row is not None else str(pocket_id)


def pocket_facts(pockets: pd.DataFrame | None) -> dict:
    """Pocket records by id (what a reason cites)."""
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


def desa_reason(row, comp, weights, i, ctx, pocket_ids, lang) -> str:
    """The reason of desa ``i``: its strongest score components with numbers, few-family
    and pocket notes, and the bootstrap rank range."""
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
