"""Source headers: normalised comparison, the header row, the column of each target."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from geo_service.analysis import schema as S
from geo_service.analysis.profil.definisi import Profil
from geo_service.errors import InvalidInputError


def norm_header(text: str) -> str:
    """A header compared without case, accents, punctuation or repeated spaces."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    t = re.sub(r"[^0-9A-Za-z]+", " ", t).strip().upper()
    return t


def find_header_row(profil: Profil, rows: Sequence[Sequence[Any]], *, look: int = 30) -> int:
    """0-based index of the row among the first ``look`` that matches most of the profile's
    headers (a title and blank rows above the header are common in exports)."""
    wanted = {norm_header(h) for cands in profil.kolom.values() for h in cands}
    wanted |= {norm_header(c) for c in S.ALL_COLUMNS}
    best, best_n = 0, 0
    for i, row in enumerate(rows[:look]):
        n = sum(1 for v in row if v is not None and norm_header(str(v)) in wanted)
        if n > best_n:
            best, best_n = i, n
    return best


def required_targets(profil: Profil) -> list[str]:
    """Contract columns the source must provide (identity ones for a by-name profile)."""
    need = [S.KODE_DESA, "jumlah_art", "desil"]
    if profil.id_dari == "id_keluarga":
        need.insert(0, S.ID)
    else:
        need.insert(0, "no_kk")
    return need


def match_columns(
    profil: Profil, headers: Sequence[str], *, periode_given: bool = False
) -> dict[str, str]:
    """Source header for each mapped target; a required target without one is an error
    naming the target and the headers the profile looked for."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm_header(h), h)
    found: dict[str, str] = {}
    for target, candidates in profil.kolom.items():
        for cand in candidates:
            if norm_header(cand) in by_norm:
                found[target] = by_norm[norm_header(cand)]
                break
    # A header equal to a contract name maps itself when the profile says nothing of it.
    for target in S.ALL_COLUMNS:
        if target not in found and target not in profil.kolom and norm_header(target) in by_norm:
            found[target] = by_norm[norm_header(target)]
    missing = [t for t in required_targets(profil) if t not in found]
    if S.KODE_DESA in missing and "nama_desa" in found:
        missing.remove(S.KODE_DESA)
    if not periode_given and S.PERIODE not in found:
        missing.append(S.PERIODE)
    if missing:
        parts = [f"{t} (dicari: {', '.join(profil.kolom.get(t, (t,)))})" for t in missing]
        parts_en = [f"{t} (looked for: {', '.join(profil.kolom.get(t, (t,)))})" for t in missing]
        raise InvalidInputError(
            f"Kolom wajib tidak terpetakan dengan profil {profil.nama}: {'; '.join(parts)}. "
            "Tidak ada yang diimpor.",
            f"Required columns not mapped by profile {profil.nama}: {'; '.join(parts_en)}. "
            "Nothing imported.",
            detail={"kolom_tidak_terpetakan": missing, "header": list(headers)},
        )
    return found
