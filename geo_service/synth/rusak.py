"""Corrupted rows for the validation tests: ``n`` rows of every reason code of the
household contract, inserted at random places (their rows recorded in the truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S


def corrupt(frame, n, fresh_ids, rng):
    """Insert ``n`` rows of every reason code; return the frame and the codes' rows."""
    base = frame.sample(9 * n, random_state=int(rng.integers(2**31))).copy()
    base[S.ID] = fresh_ids[: 9 * n]
    base = base.astype(object)
    kinds = [
        "kolom_wajib_kosong",
        "desil_di_luar_rentang",
        "kode_desa_salah_format",
        "kode_desa_tidak_dikenal",
        "jumlah_art_tidak_valid",
        "koordinat_di_luar_indonesia",
        "koordinat_tertukar",
        "id_keluarga_ganda",
        "periode_salah_format",
    ]
    kind = np.repeat(kinds, n)
    col = base.columns.get_loc
    dup_sources = []
    for r, k in enumerate(kind):
        if k == "kolom_wajib_kosong":
            base.iat[r, col("desil")] = None
        elif k == "desil_di_luar_rentang":
            base.iat[r, col("desil")] = [0, 11, 12][r % 3]
        elif k == "kode_desa_salah_format":
            base.iat[r, col(S.KODE_DESA)] = str(base.iat[r, col(S.KODE_DESA)]).replace(".", "")
        elif k == "kode_desa_tidak_dikenal":
            base.iat[r, col(S.KODE_DESA)] = str(base.iat[r, col(S.KODE_DESA)])[:9] + "9999"
        elif k == "jumlah_art_tidak_valid":
            base.iat[r, col("jumlah_art")] = [0, 45, "dua"][r % 3]
        elif k == "koordinat_di_luar_indonesia":
            base.iat[r, col("lat")], base.iat[r, col("lon")] = 51.5, 0.12
        elif k == "koordinat_tertukar":
            base.iat[r, col("lat")], base.iat[r, col("lon")] = 110.2, -6.95
        elif k == "id_keluarga_ganda":
            src = frame.iat[int(rng.integers(len(frame))), 0]
            dup_sources.append(src)
            base.iat[r, col(S.ID)] = src
        elif k == "periode_salah_format":
            base.iat[r, col(S.PERIODE)] = "03/2025"
    out = frame.astype(object)
    pos = np.sort(rng.choice(len(out) + len(base), len(base), replace=False))
    merged = np.empty(len(out) + len(base), dtype=object)
    is_bad = np.zeros(len(merged), dtype=bool)
    is_bad[pos] = True
    order = np.empty(len(merged), dtype=np.int64)
    order[~is_bad] = np.arange(len(out))
    perm = rng.permutation(len(base))
    order[is_bad] = len(out) + perm
    combined = pd.concat([out, base], ignore_index=True).iloc[order].reset_index(drop=True)
    bad_kind = np.empty(len(combined), dtype=object)
    bad_kind[is_bad] = kind[perm]
    rows: dict[str, list[int]] = {k: [] for k in kinds}
    for i in np.flatnonzero(is_bad):
        rows[bad_kind[i]].append(int(i) + 2)
    ids = combined[S.ID].to_numpy()
    rows["id_keluarga_ganda"] = sorted(
        int(i) + 2 for i in np.flatnonzero(np.isin(ids, dup_sources))
    )
    return combined, rows
