"""Ground-check vocabulary: desil strata, list kinds, flag reasons, result statuses and the
columns of a sample and of a field-results file (one place for every code and its text).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geo_service.analysis import schema as S
from geo_service.i18n import teks

STRATA_DESIL: tuple[tuple[str, int, int], ...] = (
    ("desil_1", 1, 1),
    ("desil_2_4", 2, 4),
    ("desil_5_10", 5, 10),
)


JENIS_ACAK = "acak"


JENIS_BENDERA = "bendera"


# Flag reason -> (Bahasa Indonesia, English). Order = priority among reasons.
FLAG_REASONS: dict[str, tuple[str, str]] = {
    "laporan_warga": (
        "Ada laporan warga tentang keluarga ini",
        "A citizen report names this family",
    ),
    "dugaan_exclusion": (
        "Miskin ekstrem tanpa PKH, BPNT maupun PBI-JK (dugaan exclusion error)",
        "Extreme poor without PKH, BPNT or PBI-JK (suspected exclusion error)",
    ),
    "lokasi_tidak_sesuai": (
        "Geotag berada di desa lain dari desa terdaftar",
        "Geotag lies in another desa than the registered one",
    ),
    "di_luar_batas": ("Geotag di luar semua batas desa", "Geotag outside every desa boundary"),
    "dugaan_inclusion": (
        "Desil 6-10 menerima PKH (dugaan inclusion error)",
        "Desil 6-10 receiving PKH (suspected inclusion error)",
    ),
}


FLAG_ORDER: tuple[str, ...] = tuple(FLAG_REASONS)


# Field result statuses -> (Bahasa Indonesia, English).
STATUS_HASIL: dict[str, tuple[str, str]] = {
    "sesuai": ("Data sesuai kenyataan", "Record matches reality"),
    "kondisi_berubah": ("Kondisi keluarga berubah", "Family's condition has changed"),
    "pindah": ("Keluarga pindah", "Family has moved"),
    "meninggal": ("Keluarga meninggal / bubar", "Family deceased / dissolved"),
    "tidak_ditemukan": ("Keluarga tidak ditemukan", "Family not found"),
}


STATUSES: tuple[str, ...] = tuple(STATUS_HASIL)


# A record is wrong when the officer found anything but "sesuai".
STATUS_SALAH: tuple[str, ...] = ("kondisi_berubah", "pindah", "meninggal", "tidak_ditemukan")


# Contract fields an officer may correct; desil is computed centrally and never edited.
UPDATABLE_COLUMNS: tuple[str, ...] = (
    S.KODE_DESA,
    "jumlah_art",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
)


LOCKED_COLUMNS: tuple[str, ...] = ("desil", S.PERIODE)


RESULT_COLUMNS: tuple[str, ...] = (
    S.ID,
    "status",
    "petugas",
    "tanggal",
    "lat_baru",
    "lon_baru",
    "perubahan",
    "catatan",
)


# Reason codes of field-result imports (on top of the contract's codes in schema.REASONS).
HASIL_REASONS: dict[str, tuple[str, str]] = {
    "status_tidak_valid": (
        "Status harus salah satu dari: " + ", ".join(STATUSES),
        "Status must be one of: " + ", ".join(STATUSES),
    ),
    "keluarga_tidak_dalam_sampel": (
        "id_keluarga tidak ada dalam sampel uji petik ini",
        "id_keluarga is not in this ground-check sample",
    ),
    "tanggal_tidak_valid": (
        "Tanggal harus berformat YYYY-MM-DD dan tidak di masa depan",
        "Date must look like YYYY-MM-DD and not lie in the future",
    ),
    "status_tidak_konsisten": (
        "Status tidak cocok dengan perubahan yang diisi (mis. 'sesuai' tetapi ada kolom diubah, "
        "atau kode desa diubah tanpa status 'pindah')",
        "Status does not match the changes entered (e.g. 'sesuai' with changed columns, or a "
        "changed desa code without status 'pindah')",
    ),
    "kolom_tidak_dapat_diubah": (
        "Kolom ini tidak boleh diubah petugas (desil dihitung pusat)",
        "Officers may not change this column (desil is computed centrally)",
    ),
}


def _reason_text(code: str, lang: str) -> str:
    pair = HASIL_REASONS.get(code) or S.REASONS.get(code) or (code, code)
    return teks(pair, lang)


def flag_text(code: str, lang: str = "id") -> str:
    """Readable text of a flag reason."""
    return teks(FLAG_REASONS[code], lang)


def flag_column(code: str) -> str:
    """Column of :func:`flag_families` holding one flag reason."""
    return f"bendera_{code}"


def strata_of(desil, strata: Sequence[tuple[str, int, int]] = STRATA_DESIL) -> np.ndarray:
    """Stratum label of each desil (object array; None for desil outside every stratum)."""
    d = np.asarray(desil, dtype=np.int64)
    out = np.full(len(d), None, dtype=object)
    for label, lo, hi in strata:
        out[(d >= lo) & (d <= hi)] = label
    return out


# Columns of a sample list, in order (the contract columns a visit checks come along).
SAMPLE_COLUMNS: tuple[str, ...] = (
    "urutan",
    S.ID,
    S.PERIODE,
    S.KODE_DESA,
    "kode_desa_lokasi",
    "status_lokasi",
    "lat",
    "lon",
    "jumlah_art",
    "desil",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
    "jenis",
    "alasan",
    "strata",
    "n_populasi_strata",
    "n_sampel_strata",
    "bobot",
    "kantong",
    "peringkat_desa",
    "urutan_bendera",
    "urutan_acak",
    "petugas",
)


PROBLEM_COLUMNS = ["baris", S.ID, "kolom", "nilai", "kode_alasan", "keterangan"]
