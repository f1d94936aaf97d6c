"""The method and parameters of a planning run as rows of text (:mod:`.planning`)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from geo_service.analysis.planning_params import PlanningParams
from geo_service.i18n import pick, teks


def method_table(params: PlanningParams, seed: int, lang: str = "id") -> pd.DataFrame:
    """The method and parameters of a run as rows of text (for the sheet explaining a
    priority list, e.g. ``priorities.xlsx``): columns ``bagian``, ``keterangan``, ``nilai``
    (``section``, ``description``, ``value`` in English)."""
    b = params.bobot
    weights = ", ".join(f"{k} {v:g}" for k, v in asdict(b).items())
    rows = [
        (
            teks(("Tingkat kemiskinan ekstrem", "Extreme-poverty rate"), lang),
            teks(
                (
                    (
                        "Persentase jiwa dalam keluarga miskin ekstrem (desil 1) terhadap seluruh jiwa; untuk "
                        "wilayah kecil disesuaikan dengan empirical Bayes (Marshall) agar beberapa keluarga "
                        "saja tidak menghasilkan angka ekstrem."
                    ),
                    (
                        "Share of persons in extreme-poor families (decile 1); for small areas adjusted by "
                        "empirical Bayes (Marshall) so that a few families do not give extreme figures."
                    ),
                ),
                lang,
            ),
            params.nilai_gi,
        ),
        (
            teks(("Titik panas", "Hot spots"), lang),
            teks(
                (
                    (
                        "Getis-Ord Gi* pada sel H3 (sel dan 6 sel tetangganya) dan pada desa (bersinggungan), "
                        "sebagai lapisan deskriptif peta. Nilai p satu sisi dari permutasi kondisional, "
                        "panas dan dingin diuji terpisah, dikoreksi Benjamini-Hochberg (FDR)."
                    ),
                    (
                        "Getis-Ord Gi* on H3 cells (a cell and its 6 neighbours) and on desa (touching), "
                        "as the descriptive map layer. One-sided p-values from conditional permutations, hot "
                        "and cold tested separately, Benjamini-Hochberg (FDR) correction."
                    ),
                ),
                lang,
            ),
            f"alpha {params.alpha}; {params.permutations}-{params.permutations_max} permutasi",
        ),
        (
            teks(("Kantong kemiskinan", "Poverty pockets"), lang),
            teks(
                (
                    (
                        "Statistik pindai Kulldorff (model Bernoulli, seperti SaTScan): lingkaran sel H3 di "
                        "sekitar setiap sel berpenduduk, jiwa keluarga miskin ekstrem dibanding seluruh "
                        "jiwa. Nilai p dari pelabelan acak keluarga (rasio kemungkinan maksimum per ulangan; "
                        "di bawah 1/(R+1) dari sebaran Gumbel), berlaku untuk seluruh lingkaran sekaligus. "
                        "Kantong kedua dan seterusnya tidak bertumpang tindih dengan yang lebih kuat; "
                        "kantong juga perlu cukup jiwa miskin ekstrem dan tingkat jauh di atas kabupaten. "
                        "Stabilitas: bagian ulangan bootstrap keluarga yang menemukannya lagi."
                    ),
                    (
                        "Kulldorff spatial scan statistic (Bernoulli model, as SaTScan): circles of H3 "
                        "cells around every populated cell, persons of extreme-poor families against all "
                        "persons. p-values from random labelling of families (maximum likelihood ratio per "
                        "replicate; below 1/(R+1) from a Gumbel fit), valid over all circles at once. "
                        "Secondary pockets do not overlap a stronger one; a pocket also needs enough "
                        "extreme-poor persons and a rate well above the kabupaten's. Stability: share of "
                        "family bootstrap replicates finding it again."
                    ),
                ),
                lang,
            ),
            f"p <= {params.alpha}; radius <= {params.scan_radius_m:g} m; <= "
            f"{100 * params.scan_share_max:g}% jiwa; {params.scan_replicates} ulangan; min "
            f"{params.min_jiwa_ekstrem} jiwa, min {params.min_rasio:g}x kabupaten",
        ),
        (
            teks(("Kuadran", "Quadrant"), lang),
            teks(
                (
                    (
                        "I: persentase dan jumlah jiwa miskin ekstrem di atas angka kabupaten (rata-rata per "
                        "desa untuk jumlah); II: jumlah tinggi, persentase rendah; III: keduanya rendah; IV: "
                        "persentase tinggi, jumlah rendah."
                    ),
                    (
                        "I: rate and number of extreme-poor persons above the kabupaten values (mean per desa "
                        "for the number); II: high number, low rate; III: both low; IV: high rate, low number."
                    ),
                ),
                lang,
            ),
            "",
        ),
        (
            teks(("Skor prioritas", "Priority score"), lang),
            teks(
                (
                    (
                        "Rata-rata berbobot: jumlah, tingkat (disesuaikan), kedalaman P1 dan keparahan P2 (jika "
                        "garis kemiskinan diberikan) dibagi nilai tertinggi antar-desa; intensitas deprivasi, "
                        "bagian di kantong dan celah cakupan bansos sebagai proporsi."
                    ),
                    (
                        "Weighted mean: number, (adjusted) rate, depth P1 and severity P2 (with a poverty line) "
                        "divided by the highest desa; deprivation intensity, share in pockets and programme "
                        "coverage gap as shares."
                    ),
                ),
                lang,
            ),
            weights,
        ),
        (
            teks(("Ketidakpastian peringkat", "Rank uncertainty"), lang),
            teks(
                (
                    (
                        f"Bootstrap keluarga dalam tiap desa ({params.bootstrap} ulangan); rentang "
                        f"{round(100 * params.interval)}% peringkat; 'pasti teratas' bila seluruh rentang di "
                        f"dalam {params.n_teratas} teratas."
                    ),
                    (
                        f"Bootstrap of families within each desa ({params.bootstrap} replicates); "
                        f"{round(100 * params.interval)}% rank range; 'robustly top' when the whole range is "
                        f"within the top {params.n_teratas}."
                    ),
                ),
                lang,
            ),
            f"seed {seed}",
        ),
    ]
    cols = pick(
        {"id": ["bagian", "keterangan", "nilai"], "en": ["section", "description", "value"]}, lang
    )
    return pd.DataFrame(rows, columns=cols)


__all__ = ["method_table"]
