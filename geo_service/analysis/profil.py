"""Import profiles: how a source's columns and value codes map to the household contract.

Pure functions over data frames (reading TOML and spreadsheets is in ``io/profil.py``).
A :class:`Profil` says which source header feeds each contract column (several candidate
headers each, compared after normalising case, spaces and punctuation), how the desa is
given (10-digit code, dotted code, or a name resolved against the boundaries), how desil
and yes/no flags are written, and where identities (NIK, KK number, name, address) are.

:func:`apply_profil` turns a raw frame into

- ``kontrak``: the contract columns only, as text, for the one validator
  (:func:`geo_service.analysis.validate.validate_keluarga`) — no direct identifier ever;
- ``identitas``: ``id_keluarga`` with the direct identifiers, for the encrypted vault;
- ``masalah``: mapping problems with reason codes (desa names not found or ambiguous,
  unusable NIK/KK numbers), in the validator's report layout, without identifiers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.pseudonim import family_pseudonym, nomor_16
from geo_service.analysis.validate import PROBLEM_COLUMNS
from geo_service.errors import InvalidInputError

# Direct identifiers a profile may map (they go to the vault, never to the contract).
IDENTITY_FIELDS: tuple[str, ...] = ("no_kk", "nik", "nama_kk", "alamat", "dusun", "rt", "rw")
# Source fields that are neither contract nor identity but help the mapping.
HELPER_FIELDS: tuple[str, ...] = ("nama_desa", "nama_kecamatan")
TARGETS: tuple[str, ...] = (*S.ALL_COLUMNS, *IDENTITY_FIELDS, *HELPER_FIELDS)

DESA_FORMATS = ("titik", "kode10", "nama", "otomatis")
ID_SOURCES = ("id_keluarga", "kk", "kk_atau_nik")

# Mapping reason codes (text in both languages), reported like the validator's.
REASONS: dict[str, tuple[str, str]] = {
    "nama_desa_tidak_dikenal": (
        "Nama desa tidak ditemukan dalam batas wilayah",
        "Desa name not found in the boundaries",
    ),
    "nama_desa_ambigu": (
        "Nama desa cocok dengan lebih dari satu desa; tambahkan kolom kecamatan",
        "Desa name matches more than one desa; add a kecamatan column",
    ),
    "kode_desa_10_salah": (
        "Kode desa harus 10 angka (tanpa titik)",
        "Desa code must be 10 digits (no dots)",
    ),
    "nomor_kk_nik_tidak_valid": (
        "Nomor KK dan NIK kepala keluarga tidak ada yang 16 angka",
        "Neither the family-card number nor the head's NIK has 16 digits",
    ),
}

_KECAMATAN_PREFIX = re.compile(r"^(KECAMATAN|KEC)\b\.?\s*")
_DESA_PREFIX = re.compile(r"^(DESA|DS|KELURAHAN|KEL|KAMPUNG|KAMPUNG|NAGARI|GAMPONG)\b\.?\s*")
# Pre-1972 spelling (Ejaan Van Ophuijsen / Soewandi) -> EYD, as village names still carry.
_OLD_SPELLING = (("OE", "U"), ("TJ", "C"), ("DJ", "J"), ("NJ", "NY"), ("SJ", "SY"), ("CH", "KH"))
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MONTHS = {
    "JAN": 1, "JANUARI": 1, "JANUARY": 1, "FEB": 2, "FEBRUARI": 2, "FEBRUARY": 2,
    "MAR": 3, "MARET": 3, "MARCH": 3, "APR": 4, "APRIL": 4, "MEI": 5, "MAY": 5,
    "JUN": 6, "JUNI": 6, "JUNE": 6, "JUL": 7, "JULI": 7, "JULY": 7, "AGU": 8, "AGS": 8,
    "AGUSTUS": 8, "AUG": 8, "AUGUST": 8, "SEP": 9, "SEPT": 9, "SEPTEMBER": 9, "OKT": 10,
    "OKTOBER": 10, "OCT": 10, "OCTOBER": 10, "NOV": 11, "NOVEMBER": 11, "DES": 12,
    "DESEMBER": 12, "DEC": 12, "DECEMBER": 12,
}  # fmt: skip


def reason_text(code: str, lang: str = "id") -> str:
    """Text of a mapping or validator reason code."""
    if code in REASONS:
        pesan, message = REASONS[code]
        return message if lang == "en" else pesan
    return S.reason_text(code, lang)


@dataclass(frozen=True)
class DesaRule:
    """How the source gives the registered desa."""

    format: str = "titik"  # titik | kode10 | nama | otomatis (code when it parses, else name)
    ambang: float = 0.85  # fuzzy-match threshold (0..1) for names after normalisation
    selisih_seri: float = 0.02  # two candidates closer than this are a tie (ambiguous)


@dataclass(frozen=True)
class Profil:
    """A declarative mapping from a source file to the contract (see ``data/profil/``)."""

    nama: str
    keterangan: str = ""
    sheet: str | int | None = None  # XLSX sheet name or 0-based index; None = first
    baris_header: int | None = 1  # spreadsheet row of the header (1 = first); None = find it
    pemisah: str | None = None  # CSV separator; None = detect "," or ";"
    kolom: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    desa: DesaRule = field(default_factory=DesaRule)
    id_dari: str = "id_keluarga"  # id_keluarga (already pseudonymous) | kk | kk_atau_nik
    desil_pola: str | None = None  # regex whose first group is the decile number
    desil_nilai: Mapping[str, str] = field(default_factory=dict)  # source value -> "1".."10"
    ya: tuple[str, ...] = ("1", "YA", "Y", "ADA", "TRUE", "BENAR")
    tidak: tuple[str, ...] = ("0", "TIDAK", "T", "TIDAK ADA", "FALSE", "SALAH", "-")

    @property
    def by_name(self) -> bool:
        """True when the source carries direct identifiers (a by-name file)."""
        return self.id_dari != "id_keluarga" or any(f in self.kolom for f in IDENTITY_FIELDS)


def _err(pesan: str, message: str) -> InvalidInputError:
    return InvalidInputError(pesan, message)


def profil_from_dict(data: Mapping[str, Any], *, nama: str) -> Profil:
    """Build and check a profile from its parsed TOML (every mistake names the key)."""
    known = {"profil", "berkas", "kolom", "desa", "id", "desil", "bendera"}
    extra = sorted(set(data) - known)
    if extra:
        raise _err(
            f"Profil {nama}: bagian tidak dikenal: {', '.join(extra)}",
            f"Profile {nama}: unknown sections: {', '.join(extra)}",
        )
    meta = dict(data.get("profil", {}))
    berkas = dict(data.get("berkas", {}))
    kolom_raw = dict(data.get("kolom", {}))
    kolom: dict[str, tuple[str, ...]] = {}
    for target, headers in kolom_raw.items():
        if target not in TARGETS:
            raise _err(
                f"Profil {nama}: [kolom] {target} bukan kolom kontrak atau identitas "
                f"(pilih: {', '.join(TARGETS)})",
                f"Profile {nama}: [kolom] {target} is not a contract or identity column "
                f"(choose: {', '.join(TARGETS)})",
            )
        items = (headers,) if isinstance(headers, str) else tuple(headers)
        if not items or not all(isinstance(h, str) and h.strip() for h in items):
            raise _err(
                f"Profil {nama}: [kolom] {target} harus teks atau daftar teks",
                f"Profile {nama}: [kolom] {target} must be a text or a list of texts",
            )
        kolom[target] = items
    desa_raw = dict(data.get("desa", {}))
    rule = DesaRule(
        format=str(desa_raw.get("format", "titik")),
        ambang=float(desa_raw.get("ambang", 0.85)),
        selisih_seri=float(desa_raw.get("selisih_seri", 0.02)),
    )
    if rule.format not in DESA_FORMATS:
        raise _err(
            f"Profil {nama}: [desa] format harus salah satu dari {', '.join(DESA_FORMATS)}",
            f"Profile {nama}: [desa] format must be one of {', '.join(DESA_FORMATS)}",
        )
    if not 0.5 <= rule.ambang <= 1.0:
        raise _err(
            f"Profil {nama}: [desa] ambang harus antara 0,5 dan 1",
            f"Profile {nama}: [desa] ambang must be between 0.5 and 1",
        )
    id_dari = str(dict(data.get("id", {})).get("dari", "id_keluarga"))
    if id_dari not in ID_SOURCES:
        raise _err(
            f"Profil {nama}: [id] dari harus salah satu dari {', '.join(ID_SOURCES)}",
            f"Profile {nama}: [id] dari must be one of {', '.join(ID_SOURCES)}",
        )
    if id_dari == "id_keluarga" and any(f in kolom for f in ("no_kk", "nik")):
        raise _err(
            f'Profil {nama}: berkas dengan NIK/KK harus memakai [id] dari = "kk" atau '
            '"kk_atau_nik" (id_keluarga dibuat sebagai pseudonim)',
            f'Profile {nama}: a file with NIK/KK must use [id] dari = "kk" or '
            '"kk_atau_nik" (id_keluarga is derived as a pseudonym)',
        )
    if id_dari != "id_keluarga" and "no_kk" not in kolom:
        raise _err(
            f'Profil {nama}: [id] dari = "{id_dari}" memerlukan [kolom] no_kk',
            f'Profile {nama}: [id] dari = "{id_dari}" needs [kolom] no_kk',
        )
    desil = dict(data.get("desil", {}))
    bendera = dict(data.get("bendera", {}))
    sheet = berkas.get("sheet")
    header_raw = berkas.get("baris_header", 1)
    header = None if header_raw == "otomatis" else int(header_raw)
    if header is not None and header < 1:
        raise _err(
            f'Profil {nama}: [berkas] baris_header dimulai dari 1 (atau "otomatis")',
            f'Profile {nama}: [berkas] baris_header starts at 1 (or "otomatis")',
        )
    return Profil(
        nama=str(meta.get("nama", nama)),
        keterangan=str(meta.get("keterangan", "")),
        sheet=sheet if isinstance(sheet, int | str) else None,
        baris_header=header,
        pemisah=berkas.get("pemisah"),
        kolom=kolom,
        desa=rule,
        id_dari=id_dari,
        desil_pola=desil.get("pola"),
        desil_nilai={_norm_value(k): str(v) for k, v in dict(desil.get("nilai", {})).items()},
        ya=tuple(_norm_value(v) for v in bendera.get("ya", Profil.ya)),
        tidak=tuple(_norm_value(v) for v in bendera.get("tidak", Profil.tidak)),
    )


# --- headers --------------------------------------------------------------------------


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


# --- values ---------------------------------------------------------------------------


def _norm_value(v: Any) -> str:
    return re.sub(r"\s+", " ", str(v)).strip().upper()


def _text(values: pd.Series) -> pd.Series:
    """Raw cells as text the validator reads: whole floats without ".0", empty = missing."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return pd.NA
        if isinstance(v, bool | np.bool_):
            return "1" if v else "0"
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, datetime | date | pd.Timestamp):
            return v.isoformat()
        s = str(v).strip()
        return s if s else pd.NA

    return values.map(one).astype("string")


def kode_titik(kode10: pd.Series) -> pd.Series:
    """10-digit Kemendagri codes (``3324012001``) as dotted codes (``33.24.01.2001``);
    anything else stays as it is (the validator then reports its format)."""
    s = kode10.astype("string").str.replace(r"[\s.']", "", regex=True)
    ok = s.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    dotted = s.str[0:2] + "." + s.str[2:4] + "." + s.str[4:6] + "." + s.str[6:10]
    return dotted.where(ok, kode10.astype("string"))


def kode_10(titik: pd.Series) -> pd.Series:
    """Dotted codes as 10 digits (OpenSID's ``kode_desa``)."""
    return titik.astype("string").str.replace(".", "", regex=False)


def periode_text(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` from dates as sources write them: Excel dates (cells or serial numbers
    such as 45717), ISO dates, ``dd/mm/yyyy``, ``mm/yyyy``, ``Maret 2025``. Anything else
    stays as it is for the validator's ``periode_salah_format``."""

    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, datetime | date | pd.Timestamp):
            return f"{v.year:04d}-{v.month:02d}"
        if isinstance(v, int | float | np.integer | np.floating) and 20000 < float(v) < 80000:
            d = _EXCEL_EPOCH + timedelta(days=float(v))
            return f"{d.year:04d}-{d.month:02d}"
        s = str(v).strip()
        if re.fullmatch(r"\d{5}(\.0+)?", s) and 20000 < float(s) < 80000:
            d = _EXCEL_EPOCH + timedelta(days=float(s))
            return f"{d.year:04d}-{d.month:02d}"
        m = re.fullmatch(r"(\d{4})-(\d{1,2})(-\d{1,2}([ T].*)?)?", s)
        if m:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)  # dd/mm/yyyy
        if m:
            return f"{int(m.group(3)):04d}-{int(m.group(2)):02d}"
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", s)  # mm/yyyy
        if m:
            return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
        m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{4})", s)
        if m and m.group(1).upper() in _MONTHS:
            return f"{int(m.group(2)):04d}-{_MONTHS[m.group(1).upper()]:02d}"
        return s if s else pd.NA

    return values.map(one).astype("string")


def _coordinate(values: pd.Series) -> pd.Series:
    s = _text(values)
    return s.str.replace(",", ".", regex=False).str.replace("\u2212", "-", regex=False)


def _desil(values: pd.Series, profil: Profil) -> pd.Series:
    s = _text(values)
    if profil.desil_nilai:
        mapped = s.map(lambda v: profil.desil_nilai.get(_norm_value(v)) if v is not pd.NA else v)
        s = mapped.astype("string").fillna(s)
    if profil.desil_pola:
        got = s.str.extract(profil.desil_pola, expand=False, flags=re.IGNORECASE)
        s = got.astype("string").fillna(s)
    return s


def _flag(values: pd.Series, profil: Profil) -> pd.Series:
    s = _text(values)
    up = s.map(_norm_value, na_action="ignore")
    out = s.copy()
    out[up.isin(profil.ya).fillna(False).astype(bool)] = "1"
    out[up.isin(profil.tidak).fillna(False).astype(bool)] = "0"
    return out  # anything else stays: the validator reports nilai_biner_tidak_valid


# --- desa names -----------------------------------------------------------------------


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


# --- the mapping ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pemetaan:
    """Outcome of :func:`apply_profil` (see the module docstring)."""

    kontrak: pd.DataFrame
    identitas: pd.DataFrame
    masalah: pd.DataFrame
    kolom: dict[str, str]  # target -> source header
    tidak_dipakai: list[str]  # source headers the profile does not map
    cara_desa: dict[str, int]  # how desa were resolved: tepat/ejaan/mirip/... counts

    def summary(self) -> dict[str, Any]:
        """Counts only (no values): safe to log, print and store."""
        return {
            "n_baris": len(self.kontrak),
            "kolom": dict(self.kolom),
            "tidak_dipakai": list(self.tidak_dipakai),
            "cara_desa": dict(self.cara_desa),
            "masalah_per_kode": self.masalah["kode_alasan"].value_counts().sort_index().to_dict()
            if len(self.masalah)
            else {},
            "n_identitas": len(self.identitas),
        }


def apply_profil(
    raw: pd.DataFrame,
    profil: Profil,
    *,
    desa: pd.DataFrame | None = None,
    kunci: bytes | None = None,
    periode: str | None = None,
    row_offset: int = 0,
    lang: str = "id",
) -> Pemetaan:
    """Map a raw source frame to the contract with ``profil``.

    Parameters
    ----------
    raw
        The source as read (object cells: text, numbers, dates).
    desa
        The boundaries' desa (``kode``, ``nama``, optional ``nama_kec``): needed when the
        desa is given by name.
    kunci
        The pseudonym key; required for a by-name profile (``id_dari`` kk/kk_atau_nik).
    periode
        Fills ``periode`` when the source has no such column.
    row_offset
        Spreadsheet row of the first data row minus 2 (so ``baris`` matches the sheet:
        for a header on row 3 it is 2).

    Returns
    -------
    Pemetaan
        The contract frame has exactly the contract columns (text) and the same index
        as ``raw``; identities hold ``id_keluarga`` and the mapped identity fields of rows
        with an id.
    """
    cols = match_columns(profil, list(raw.columns), periode_given=periode is not None)
    out = pd.DataFrame(index=raw.index)
    baris = pd.Series(np.arange(len(raw), dtype=np.int64) + row_offset + 2, index=raw.index)
    problems: list[pd.DataFrame] = []

    def problem(mask: pd.Series, kolom: str, code: str, nilai: pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "baris": baris[mask].astype("Int64"),
                        S.ID: out.get(S.ID, pd.Series(pd.NA, index=raw.index))[mask],
                        "kolom": kolom,
                        "nilai": nilai[mask].astype("string"),
                        "kode_alasan": code,
                    }
                )
            )

    # id_keluarga: as given, or the keyed hash of the KK (or the head's NIK).
    nik = no_kk = None
    if profil.id_dari == "id_keluarga":
        out[S.ID] = _text(raw[cols[S.ID]])
    else:
        no_kk = nomor_16(_text(raw[cols["no_kk"]]))
        nik = nomor_16(_text(raw[cols["nik"]])) if "nik" in cols else None
        # Raises KunciError when the key is missing: never a clear-text or unkeyed id.
        ids = family_pseudonym(no_kk, nik if profil.id_dari == "kk_atau_nik" else None, kunci)
        out[S.ID] = ids
        n_digits = _text(raw[cols["no_kk"]]).str.replace(r"\D", "", regex=True).str.len()
        shown = n_digits.map(lambda n: f"{n} angka" if n is not pd.NA else "kosong")
        problem(ids.isna(), "no_kk", "nomor_kk_nik_tidak_valid", shown.astype("string"))

    out[S.PERIODE] = (
        periode_text(raw[cols[S.PERIODE]])
        if S.PERIODE in cols
        else pd.Series(periode, index=raw.index, dtype="string")
    )

    # kode_desa from a code (dotted or 10 digits) or a name.
    cara = pd.Series("kode", index=raw.index, dtype="string")
    if S.KODE_DESA in cols:
        kode = _text(raw[cols[S.KODE_DESA]])
        digits = kode.str.replace(r"[\s']", "", regex=True)
        if profil.desa.format in ("kode10", "otomatis"):
            kode = kode_titik(digits)
        if profil.desa.format == "kode10":
            bad = digits.notna() & ~digits.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
            problem(bad, S.KODE_DESA, "kode_desa_10_salah", digits)
            kode = kode.mask(bad, pd.NA)
    else:
        kode = pd.Series(pd.NA, index=raw.index, dtype="string")
    by_name = profil.desa.format == "nama" or (
        profil.desa.format == "otomatis" and "nama_desa" in cols
    )
    if by_name and "nama_desa" in cols:
        need = kode.isna() | ~kode.str.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}").fillna(False)
        if profil.desa.format == "nama":
            need = pd.Series(True, index=raw.index)
        if need.any():
            if desa is None:
                raise InvalidInputError(
                    "Desa diberikan sebagai nama: perlu batas desa untuk mencocokkannya.",
                    "Desa given by name: boundaries are needed to match them.",
                )
            names = _text(raw[cols["nama_desa"]])
            kec = _text(raw[cols["nama_kecamatan"]]) if "nama_kecamatan" in cols else None
            m = resolve_desa_names(
                names[need],
                desa,
                kecamatan=kec[need] if kec is not None else None,
                rule=profil.desa,
            )
            kode = kode.copy()
            kode[need] = m.kode
            cara[need] = m.cara
            shown = names[need] + m.kandidat.map(lambda k: f" ({k})" if k else "")
            problem(
                (m.cara == "tidak_dikenal").reindex(raw.index, fill_value=False),
                "nama_desa",
                "nama_desa_tidak_dikenal",
                shown.reindex(raw.index),
            )
            problem(
                (m.cara == "ambigu").reindex(raw.index, fill_value=False),
                "nama_desa",
                "nama_desa_ambigu",
                shown.reindex(raw.index),
            )
    out[S.KODE_DESA] = kode

    for col in ("lat", "lon"):
        out[col] = _coordinate(raw[cols[col]]) if col in cols else pd.NA
    for col in ("jumlah_art", "pengeluaran_kapita"):
        out[col] = (
            _text(raw[cols[col]]).str.replace(r"\.0+$", "", regex=True) if col in cols else pd.NA
        )
    out["desil"] = _desil(raw[cols["desil"]], profil) if "desil" in cols else pd.NA
    for col in S.FLAG_COLUMNS:
        out[col] = _flag(raw[cols[col]], profil) if col in cols else pd.NA
    kontrak = out[list(S.ALL_COLUMNS)].astype("string")

    ident_cols = [f for f in IDENTITY_FIELDS if f in cols]
    if profil.by_name and ident_cols:
        ident = pd.DataFrame({S.ID: kontrak[S.ID], S.KODE_DESA: kontrak[S.KODE_DESA]})
        for f in ident_cols:
            if f == "no_kk":
                ident[f] = no_kk
            elif f == "nik":
                ident[f] = nik
            else:
                ident[f] = _text(raw[cols[f]])
        ident = ident[ident[S.ID].notna()]
    else:
        ident = pd.DataFrame(columns=[S.ID, S.KODE_DESA, *IDENTITY_FIELDS])

    if problems:
        masalah = pd.concat(problems, ignore_index=True)
        masalah["keterangan"] = masalah["kode_alasan"].map(lambda c: reason_text(c, lang))
        masalah = masalah.sort_values(["baris", "kode_alasan"], kind="stable")
        masalah = masalah.reset_index(drop=True)[PROBLEM_COLUMNS]
    else:
        masalah = pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
    mapped_headers = set(cols.values())
    return Pemetaan(
        kontrak=kontrak,
        identitas=ident.reset_index(drop=True),
        masalah=masalah,
        kolom=cols,
        tidak_dipakai=[str(h) for h in raw.columns if h not in mapped_headers],
        cara_desa=cara.value_counts().sort_index().to_dict(),
    )
