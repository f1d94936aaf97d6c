"""Citizen reports (laporan warga), like Kemensos' Cek Bansos "usul/sanggah".

A citizen or village operator reports a changed condition of a family, objects to a
recipient, or proposes a family that is left out, with a reason, optionally a photo and
coordinates. Each report gets a number (``nomor``) to look up its status later; it enters
the ground-check queue (the family, when named, is flagged ``laporan_warga`` in the next
sample) and shows as overdue (``terlambat``) when still open after ``BATAS_HARI`` days.

Personal data (UU PDP 27/2022): the reporter gets back only the number, the kind of report,
the status and dates, never family data. A NIK (16 digits) is refused wherever it is typed.
Contact details, when given, are kept for officers and never returned by the public lookup.

This module is storage-agnostic: :class:`CitizenReportService` works on any
:class:`ReportStore` (:class:`MemoryReportStore` for tests, :class:`JsonFileReportStore` for a
folder). Rate limiting (:class:`RateLimiter`) is a sliding window per caller key, in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pandas as pd

from geo_service.analysis import schema as S
from geo_service.errors import GeoServiceError, InvalidInputError, NotFoundError

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
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


class RateLimitError(GeoServiceError):
    """Too many reports from the same caller in a short time (HTTP 429)."""

    code = "terlalu_sering"


def _text(code: str, lang: str) -> str:
    pair = REPORT_REASONS.get(code) or S.REASONS.get(code) or (code, code)
    return pair[1] if lang == "en" else pair[0]


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


# --- checks -----------------------------------------------------------------------------


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
    elif lat is not None:
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
        "jenis_teks": JENIS_LAPORAN[report.jenis][1 if lang == "en" else 0],
        "status": report.status,
        "status_teks": STATUS_LAPORAN[report.status][1 if lang == "en" else 0],
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


# --- rate limiting ----------------------------------------------------------------------


class RateLimiter:
    """Sliding-window limits per key, e.g. ``{3600: 5, 86400: 20}`` (seconds: events)."""

    def __init__(
        self, limits: Mapping[int, int] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(limits or {3600: 5, 86400: 20})
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` and say whether it is within every limit."""
        now = self.clock()
        longest = max(self.limits)
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and now - q[0] >= longest:
                q.popleft()
            for window, limit in self.limits.items():
                if sum(1 for t in q if now - t < window) >= limit:
                    return False
            q.append(now)
            return True


# --- stores -----------------------------------------------------------------------------


class ReportStore(Protocol):
    def add(self, report: CitizenReport) -> None: ...
    def get(self, nomor: str) -> CitizenReport | None: ...
    def update(self, report: CitizenReport) -> None: ...
    def all(self) -> list[CitizenReport]: ...
    def save_photo(self, sha256: str, kind: str, data: bytes) -> None: ...


class MemoryReportStore:
    """Reports in a dict (tests, or a single process without persistence)."""

    def __init__(self) -> None:
        self._reports: dict[str, CitizenReport] = {}
        self.photos: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def add(self, report: CitizenReport) -> None:
        with self._lock:
            self._reports[report.nomor] = report

    def get(self, nomor: str) -> CitizenReport | None:
        return self._reports.get(nomor)

    def update(self, report: CitizenReport) -> None:
        self.add(report)

    def all(self) -> list[CitizenReport]:
        return list(self._reports.values())

    def save_photo(self, sha256: str, kind: str, data: bytes) -> None:
        self.photos[sha256] = data

    def reported_families(self) -> list[str]:
        return reported_families(self.all())


class JsonFileReportStore(MemoryReportStore):
    """Reports in ``<folder>/laporan.jsonl`` (rewritten atomically), photos in ``foto/``."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.path = self.folder / "laporan.jsonl"
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = CitizenReport(**json.loads(line))
                    self._reports[r.nomor] = r

    def _flush(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True)
            for r in sorted(self._reports.values(), key=lambda r: r.nomor)
        ]
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
        os.replace(tmp, self.path)

    def add(self, report: CitizenReport) -> None:
        with self._lock:
            self._reports[report.nomor] = report
            self._flush()

    def update(self, report: CitizenReport) -> None:
        self.add(report)

    def save_photo(self, sha256: str, kind: str, data: bytes) -> None:
        folder = self.folder / "foto"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{sha256}.{'jpg' if kind == 'jpeg' else 'png'}").write_bytes(data)


# --- the service ------------------------------------------------------------------------


def new_number(now: datetime, kode_kab: str) -> str:
    """``LW-3324-250602-7K2M9QXA``: kabupaten, date, 40 random bits (Crockford base32)."""
    rand = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"LW-{kode_kab.replace('.', '')}-{now:%y%m%d}-{rand}"


def _caller_hash(key: str) -> str:
    return hashlib.sha256(("geo_service-laporan:" + key).encode()).hexdigest()[:16]


@dataclass
class CitizenReportService:
    """Submit, look up and move reports; no HTTP, no database (any :class:`ReportStore`)."""

    store: ReportStore
    known_desa: Iterable[str] | None = None
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    number: Callable[[datetime, str], str] = new_number

    def submit(
        self, payload: Mapping, *, caller: str, foto: bytes | None = None, lang: str = "id"
    ) -> dict:
        """Store a report; return its public status (with ``nomor``).

        Raises
        ------
        RateLimitError
            Too many reports from ``caller`` (the API answers 429).
        InvalidInputError
            Any problem; ``detail`` lists them all.
        """
        if not self.limiter.allow(caller):
            raise RateLimitError(
                "Terlalu banyak laporan dalam waktu singkat; coba lagi nanti.",
                "Too many reports in a short time; please try again later.",
            )
        clean, problems = validate_report(payload, known_desa=self.known_desa, foto=foto, lang=lang)
        if problems:
            raise InvalidInputError(
                "Laporan belum lengkap atau tidak valid.",
                "The report is incomplete or invalid.",
                detail=problems,
            )
        now = self.clock()
        digest = None
        if foto is not None:
            digest = hashlib.sha256(foto).hexdigest()
            self.store.save_photo(digest, clean["foto_jenis"], foto)
        nomor = self.number(now, clean["kode_kab"])
        while self.store.get(nomor) is not None:  # astronomically rare
            nomor = self.number(now, clean["kode_kab"])
        report = CitizenReport(
            nomor=nomor,
            kode_kab=clean["kode_kab"],
            kode_desa=clean["kode_desa"],
            jenis=clean["jenis"],
            keterangan=clean["keterangan"],
            dibuat=now.isoformat(timespec="seconds"),
            diperbarui=now.isoformat(timespec="seconds"),
            id_keluarga=clean["id_keluarga"],
            lat=clean["lat"],
            lon=clean["lon"],
            foto_sha256=digest,
            foto_jenis=clean["foto_jenis"],
            kontak=clean["kontak"],
            pelapor=_caller_hash(caller),
        )
        self.store.add(report)
        return public_status(report, now, lang)

    def status(self, nomor: str, lang: str = "id") -> dict:
        """The public status of a report (404 when the number is unknown)."""
        report = self.store.get(nomor.strip().upper())
        if report is None:
            raise NotFoundError("Nomor laporan tidak ditemukan.", "Report number not found.")
        return public_status(report, self.clock(), lang)

    def queue(
        self, kode_kab: Iterable[str] | None = None, *, hanya_terbuka: bool = True
    ) -> pd.DataFrame:
        """Reports for officers of the given kabupaten (all when None)."""
        allowed = set(kode_kab) if kode_kab is not None else None
        reports = [
            r
            for r in self.store.all()
            if (allowed is None or r.kode_kab in allowed)
            and (not hanya_terbuka or r.status in OPEN_STATUSES)
        ]
        return queue_frame(reports, self.clock())

    def set_status(
        self, nomor: str, status: str, *, catatan: str | None = None, sampel_id: str | None = None
    ) -> CitizenReport:
        """Move a report on (officers)."""
        if status not in STATUS_LAPORAN:
            raise InvalidInputError(
                f"Status laporan tidak dikenal: {status}", f"Unknown report status: {status}"
            )
        report = self.store.get(nomor)
        if report is None:
            raise NotFoundError("Nomor laporan tidak ditemukan.", "Report number not found.")
        report = replace(
            report,
            status=status,
            diperbarui=self.clock().isoformat(timespec="seconds"),
            catatan_petugas=catatan if catatan is not None else report.catatan_petugas,
            sampel_id=sampel_id or report.sampel_id,
        )
        self.store.update(report)
        return report

    def mark_queued(self, sample_ids: Iterable[str], sampel_id: str) -> int:
        """Reports whose family is in a new sample move to ``antre_uji_petik``."""
        ids = set(sample_ids)
        n = 0
        for r in self.store.all():
            if r.status == "diterima" and r.id_keluarga in ids:
                self.set_status(r.nomor, "antre_uji_petik", sampel_id=sampel_id)
                n += 1
        return n

    def close_from_results(self, hasil: pd.DataFrame) -> int:
        """Reports whose family has a field result move to ``diverifikasi``."""
        done = set(hasil[S.ID].astype(str)) if len(hasil) else set()
        n = 0
        for r in self.store.all():
            if r.status in OPEN_STATUSES and r.id_keluarga in done:
                self.set_status(r.nomor, "diverifikasi")
                n += 1
        return n
