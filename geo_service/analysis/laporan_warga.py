"""Citizen reports (laporan warga), like Kemensos' Cek Bansos "usul/sanggah".

A citizen or village operator reports a changed condition of a family, objects to a
recipient, or proposes a family that is left out, with a reason, optionally a photo and
coordinates. Each report gets a number (``nomor``) to look up its status later; it enters
the ground-check queue (the family, when named, is flagged ``laporan_warga`` in the next
sample) and shows as overdue (``terlambat``) when still open after ``BATAS_HARI`` days.

Personal data (UU PDP 27/2022): the reporter gets back only the number, the kind of report,
the status and dates, never family data. A NIK (16 digits) is refused wherever it is typed.
Contact details, when given, are kept for officers and never returned by the public lookup.

This module holds the rules only (pure: validation, status, overdue, the queue frame). The
use case is :class:`geo_service.services.laporan_warga.CitizenReportService`; stores live in
:mod:`geo_service.db.repo.laporan_warga` (database) and :mod:`geo_service.io.laporan_warga`
(memory, JSONL folder).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import pandas as pd

from geo_service.analysis import schema as S
from geo_service.i18n import teks

BATAS_HARI = 14  # a report still open after this many days is overdue


MAX_KETERANGAN = 1000


MAX_FOTO_BYTES = 5 * 1024 * 1024


JENIS_LAPORAN: dict[str, tuple[str, str]] = {
    "kondisi_berubah": (
        "Kondisi keluarga berubah (lebih mampu atau lebih miskin)",
        "The family's condition has changed (better or worse off)",
    ),
    "keberatan_penerima": (
        "Keberatan: penerima bantuan dinilai tidak layak",
        "Objection: a recipient seems not eligible",
    ),
    "usulan_penerima": (
        "Usulan: keluarga layak belum menerima bantuan",
        "Proposal: an eligible family receives nothing",
    ),
    "pindah_meninggal": ("Keluarga pindah atau meninggal", "The family moved or died"),
}


STATUS_LAPORAN: dict[str, tuple[str, str]] = {
    "diterima": ("Diterima, menunggu penjadwalan uji petik", "Received, awaiting a field check"),
    "antre_uji_petik": ("Masuk daftar uji petik", "In the field-check list"),
    "diverifikasi": ("Sudah diperiksa di lapangan", "Checked in the field"),
    "ditolak": ("Tidak dapat diproses", "Cannot be processed"),
    "selesai": ("Selesai ditindaklanjuti", "Followed up"),
}


OPEN_STATUSES = ("diterima", "antre_uji_petik")


REPORT_REASONS: dict[str, tuple[str, str]] = {
    "jenis_laporan_tidak_valid": (
        "Jenis laporan harus salah satu dari: " + ", ".join(JENIS_LAPORAN),
        "Report kind must be one of: " + ", ".join(JENIS_LAPORAN),
    ),
    "keterangan_kosong": ("Alasan/keterangan wajib diisi", "A reason is required"),
    "keterangan_terlalu_panjang": (
        f"Keterangan maksimal {MAX_KETERANGAN} karakter",
        f"The reason may have at most {MAX_KETERANGAN} characters",
    ),
    "nik_tidak_boleh": (
        "Jangan menulis NIK (16 digit); gunakan id keluarga bila ada",
        "Do not enter a NIK (16 digits); use the family id if known",
    ),
    "foto_tidak_valid": (
        "Foto harus JPEG atau PNG, maksimal 5 MB",
        "The photo must be JPEG or PNG, at most 5 MB",
    ),
}


_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")


_KODE_DESA = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def _text(code: str, lang: str) -> str:
    pair = REPORT_REASONS.get(code) or S.REASONS.get(code) or (code, code)
    return teks(pair, lang)


@dataclass(frozen=True)
class CitizenReport:
    """One report as stored (``nomor`` is the public handle)."""

    nomor: str
    kode_kab: str
    kode_desa: str
    jenis: str
    keterangan: str
    dibuat: str  # ISO datetime, UTC
    diperbarui: str
    status: str = "diterima"
    id_keluarga: str | None = None
    lat: float | None = None
    lon: float | None = None
    foto_sha256: str | None = None
    foto_jenis: str | None = None
    kontak: str | None = None
    pelapor: str = ""  # hash of the caller key (rate limiting, abuse review); never the key
    catatan_petugas: str | None = None
    sampel_id: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def photo_kind(data: bytes) -> str | None:
    """``jpeg`` or ``png`` from the file's first bytes; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def validate_report(
    payload: Mapping,
    *,
    known_desa: Iterable[str] | None = None,
    foto: bytes | None = None,
    lang: str = "id",
) -> tuple[dict, list[dict]]:
    """Check a report before it is stored; every problem is reported.

    Parameters
    ----------
    payload
        ``kode_desa``, ``jenis``, ``keterangan``; optional ``id_keluarga``, ``lat``, ``lon``,
        ``kontak``.
    known_desa
        Desa codes that exist (when given, others are refused).
    foto
        The photo's bytes, if any.

    Returns
    -------
    clean, problems
        Normalised fields, and a list of ``{"kolom", "kode_alasan", "keterangan"}``.
    """
    problems: list[dict] = []

    def bad(col: str, code: str) -> None:
        problems.append({"kolom": col, "kode_alasan": code, "keterangan": _text(code, lang)})

    kode = str(payload.get("kode_desa") or "").strip()
    if not kode:
        bad("kode_desa", "kolom_wajib_kosong")
    elif not _KODE_DESA.fullmatch(kode):
        bad("kode_desa", "kode_desa_salah_format")
    elif known_desa is not None and kode not in set(known_desa):
        bad("kode_desa", "kode_desa_tidak_dikenal")
    jenis = str(payload.get("jenis") or "").strip()
    if jenis not in JENIS_LAPORAN:
        bad("jenis", "jenis_laporan_tidak_valid")
    keterangan = str(payload.get("keterangan") or "").strip()
    if not keterangan:
        bad("keterangan", "keterangan_kosong")
    elif len(keterangan) > MAX_KETERANGAN:
        bad("keterangan", "keterangan_terlalu_panjang")
    for col in ("keterangan", "id_keluarga", "kontak"):
        if _NIK.search(str(payload.get(col) or "")):
            bad(col, "nik_tidak_boleh")
    id_kel = str(payload.get("id_keluarga") or "").strip() or None
    if id_kel is not None and len(id_kel) > S.MAX_ID_LENGTH:
        bad("id_keluarga", "id_keluarga_tidak_valid")
    lat, lon = payload.get("lat"), payload.get("lon")
    lat = None if lat in (None, "") else lat
    lon = None if lon in (None, "") else lon
    if (lat is None) != (lon is None):
        bad("lat", "koordinat_tidak_lengkap")
    elif lat is not None and lon is not None:
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            bad("lat", "koordinat_tidak_valid")
        else:
            if 95 <= lat <= 141 and -11 <= lon <= 6:
                bad("lat", "koordinat_tertukar")
            elif not (
                S.LAT_RANGE[0] <= lat <= S.LAT_RANGE[1] and S.LON_RANGE[0] <= lon <= S.LON_RANGE[1]
            ):
                bad("lat", "koordinat_di_luar_indonesia")
    kind = None
    if foto is not None:
        kind = photo_kind(foto)
        if kind is None or len(foto) > MAX_FOTO_BYTES:
            bad("foto", "foto_tidak_valid")
    kontak = str(payload.get("kontak") or "").strip()[:200] or None
    clean = {
        "kode_desa": kode,
        "kode_kab": kode[:5],
        "jenis": jenis,
        "keterangan": keterangan,
        "id_keluarga": id_kel,
        "lat": lat,
        "lon": lon,
        "kontak": kontak,
        "foto_jenis": kind,
    }
    return clean, problems


def is_overdue(report: CitizenReport, now: datetime, days: int = BATAS_HARI) -> bool:
    """Still open ``days`` days after it was made."""
    made = datetime.fromisoformat(report.dibuat)
    return report.status in OPEN_STATUSES and now - made > timedelta(days=days)


def public_status(report: CitizenReport, now: datetime, lang: str = "id") -> dict:
    """What the reporter may see: number, kind, status, dates, overdue. No family data."""
    made = datetime.fromisoformat(report.dibuat)
    return {
        "nomor": report.nomor,
        "jenis": report.jenis,
        "jenis_teks": teks(JENIS_LAPORAN[report.jenis], lang),
        "status": report.status,
        "status_teks": teks(STATUS_LAPORAN[report.status], lang),
        "dibuat": made.date().isoformat(),
        "diperbarui": datetime.fromisoformat(report.diperbarui).date().isoformat(),
        "hari_sejak_dibuat": (now - made).days,
        "terlambat": is_overdue(report, now),
    }


def queue_frame(reports: Iterable[CitizenReport], now: datetime) -> pd.DataFrame:
    """The reports for officers (household level: analis/admin only), oldest first, with
    ``umur_hari`` and ``terlambat``."""
    rows = []
    for r in reports:
        d = r.to_dict()
        d.pop("pelapor", None)
        d["umur_hari"] = (now - datetime.fromisoformat(r.dibuat)).days
        d["terlambat"] = is_overdue(r, now)
        rows.append(d)
    cols = [*CitizenReport.__dataclass_fields__, "umur_hari", "terlambat"]
    cols.remove("pelapor")
    frame = pd.DataFrame(rows, columns=cols)
    return frame.sort_values(["dibuat", "nomor"], kind="stable").reset_index(drop=True)


def reported_families(reports: Iterable[CitizenReport]) -> list[str]:
    """Families named by open reports: flag them ``laporan_warga`` in the next sample."""
    return sorted({r.id_keluarga for r in reports if r.id_keluarga and r.status in OPEN_STATUSES})
