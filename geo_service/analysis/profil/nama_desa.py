"""Desa given by name: normalised names, exact, spelling and fuzzy matches, ties."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pandas as pd

from geo_service.analysis.profil.definisi import DesaRule
from geo_service.analysis.profil.kolom import norm_header

_KECAMATAN_PREFIX = re.compile(r"^(KECAMATAN|KEC)\b\.?\s*")
_DESA_PREFIX = re.compile(r"^(DESA|DS|KELURAHAN|KEL|KAMPUNG|KAMPUNG|NAGARI|GAMPONG)\b\.?\s*")
# Pre-1972 spelling (Ejaan Van Ophuijsen / Soewandi) -> EYD, as village names still carry.
_OLD_SPELLING = (("OE", "U"), ("TJ", "C"), ("DJ", "J"), ("NJ", "NY"), ("SJ", "SY"), ("CH", "KH"))


def norm_desa_name(name: Any) -> str:
    """A desa or kecamatan name for comparison: upper case, no prefix (``Desa``, ``Kel.``),
    no punctuation, pre-1972 spelling modernised (``Tjepiring`` = ``Cepiring``)."""
    t = norm_header(name)
    t = _DESA_PREFIX.sub("", t)
    t = _KECAMATAN_PREFIX.sub("", t)
    for old, new in _OLD_SPELLING:
        t = t.replace(old, new)
    return re.sub(r"\s+", " ", t).strip()


@dataclass(frozen=True)
class DesaMatch:
    """Result of resolving desa names: per row the code (or missing) and how."""

    kode: pd.Series  # dotted code or <NA>
    cara: pd.Series  # tepat | ejaan | mirip | tidak_dikenal | ambigu
    kandidat: pd.Series  # for ambiguous names: the candidate codes joined by ";"


def resolve_desa_names(
    nama: pd.Series,
    desa: pd.DataFrame,
    *,
    kecamatan: pd.Series | None = None,
    rule: DesaRule | None = None,
) -> DesaMatch:
    """Resolve desa names against the boundaries.

    Parameters
    ----------
    nama
        Desa names as the source writes them.
    desa
        The boundaries' desa: ``kode``, ``nama`` and (optional) ``nama_kec``.
    kecamatan
        The source's kecamatan names (narrows the candidates), when it has them.
    rule
        Threshold of the fuzzy match and the tie margin.

    Returns
    -------
    DesaMatch
        ``tepat`` (same text), ``ejaan`` (same after normalisation), ``mirip`` (one best
        fuzzy candidate at or above the threshold), ``ambigu`` (several desa equally good:
        same name in two kecamatan, or a fuzzy tie), ``tidak_dikenal`` (nothing close).
    """
    rule = rule or DesaRule()
    has_kec = "nama_kec" in desa
    kec_names = desa["nama_kec"].tolist() if has_kec else [""] * len(desa)
    entries = [
        (str(k), norm_desa_name(n), norm_desa_name(kc) if has_kec else "", str(n).strip().upper())
        for k, n, kc in zip(desa["kode"].tolist(), desa["nama"].tolist(), kec_names, strict=True)
    ]
    by_kec: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in entries:
        by_kec.setdefault(e[2], []).append(e)
    kec = kecamatan if kecamatan is not None else pd.Series(pd.NA, index=nama.index)
    cache: dict[tuple[str, str], tuple[str | None, str, str]] = {}
    kode_out, cara_out, kand_out = [], [], []
    for raw, kraw in zip(nama.tolist(), kec.tolist(), strict=True):
        if raw is None or raw is pd.NA or (isinstance(raw, float) and np.isnan(raw)):
            kode_out.append(pd.NA)
            cara_out.append("kosong")
            kand_out.append("")
            continue
        key = (str(raw), "" if kraw is None or kraw is pd.NA or not has_kec else str(kraw))
        if key not in cache:
            cache[key] = _resolve_one(key[0], key[1], entries, by_kec, rule)
        k, c, cand = cache[key]
        kode_out.append(k if k is not None else pd.NA)
        cara_out.append(c)
        kand_out.append(cand)
    return DesaMatch(
        kode=pd.Series(kode_out, index=nama.index, dtype="string"),
        cara=pd.Series(cara_out, index=nama.index, dtype="string"),
        kandidat=pd.Series(kand_out, index=nama.index, dtype="string"),
    )


_Entry = tuple[str, str, str, str]  # kode, normalised name, normalised kecamatan, raw name


def _similar(text: str, candidates: list[str]) -> list[float]:
    sm = SequenceMatcher(None, b=text, autojunk=False)
    out = []
    for c in candidates:
        sm.set_seq1(c)
        out.append(sm.ratio())
    return out


def _resolve_one(
    raw: str,
    kec_raw: str,
    entries: list[_Entry],
    by_kec: dict[str, list[_Entry]],
    rule: DesaRule,
) -> tuple[str | None, str, str]:
    pool = entries
    if kec_raw:
        kn = norm_desa_name(kec_raw)
        narrowed = by_kec.get(kn, [])
        if not narrowed:  # kecamatan spelled differently: fuzzy on the kecamatan too
            names = list(by_kec)
            narrowed = [
                e
                for name, score in zip(names, _similar(kn, names), strict=True)
                if score >= rule.ambang
                for e in by_kec[name]
            ]
        if narrowed:
            pool = narrowed
    up = raw.strip().upper()
    exact = [e for e in pool if e[3] == up]
    if len(exact) == 1:
        return exact[0][0], "tepat", ""
    n = norm_desa_name(raw)
    same = [e for e in pool if e[1] == n]
    if len(same) == 1:
        return same[0][0], "ejaan" if not exact else "tepat", ""
    if len(same) > 1:
        return None, "ambigu", ";".join(sorted(e[0] for e in same))
    if not n or not pool:
        return None, "tidak_dikenal", ""
    scores = _similar(n, [e[1] for e in pool])
    best = max(scores)
    if best < rule.ambang:
        return None, "tidak_dikenal", ""
    top = [e for e, sc in zip(pool, scores, strict=True) if sc >= best - rule.selisih_seri]
    if len(top) > 1:
        return None, "ambigu", ";".join(sorted(e[0] for e in top))
    return top[0][0], "mirip", ""
