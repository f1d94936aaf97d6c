"""An import profile: its parts, its checks when read from TOML, its reason codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geo_service.analysis import schema as S
from geo_service.analysis.profil.nilai import norm_value
from geo_service.errors import InvalidInputError
from geo_service.i18n import teks

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


def reason_text(code: str, lang: str = "id") -> str:
    """Text of a mapping or validator reason code."""
    if code in REASONS:
        pesan, message = REASONS[code]
        return teks((pesan, message), lang)
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
        desil_nilai={norm_value(k): str(v) for k, v in dict(desil.get("nilai", {})).items()},
        ya=tuple(norm_value(v) for v in bendera.get("ya", Profil.ya)),
        tidak=tuple(norm_value(v) for v in bendera.get("tidak", Profil.tidak)),
    )
