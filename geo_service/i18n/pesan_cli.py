"""Messages of the command line (``geo-service ...``): ``key -> (Bahasa Indonesia,
English)`` (:func:`geo_service.i18n.msg`)."""

from __future__ import annotations

CLI: dict[str, tuple[str, str]] = {
    "impor_ringkas": (
        "{baris} baris, {sah} disimpan, {ditolak} ditolak, {masalah} masalah",
        "{baris} rows, {sah} stored, {ditolak} rejected, {masalah} problems",
    ),
    "batch_siapkan": (
        "Menyiapkan batas {src} -> {dst} (indeks: {idx}) ...",
        "Preparing boundaries {src} -> {dst} (indexes: {idx}) ...",
    ),
    "batch_pecah": (
        "Memecah {src} per kabupaten ke {dst} ...",
        "Splitting {src} per kabupaten into {dst} ...",
    ),
    "batch_bar": ("Analisis per kabupaten", "Analysis per kabupaten"),
    "batch_gagal": ("gagal", "failed"),
    "batch_baris": (
        "{kab} {nama}: {n} keluarga, {s} s",
        "{kab} {nama}: {n} families, {s} s",
    ),
    "batch_selesai": (
        "Selesai: {n} kabupaten dalam {s} s; ringkasan: {file}",
        "Done: {n} kabupaten in {s} s; summary: {file}",
    ),
    "batch_tanpa_kab": (
        "{n} baris tanpa kode kabupaten yang sah (tidak dianalisis)",
        "{n} rows without a valid kabupaten code (not analysed)",
    ),
}
