"""Messages of the service, the CLI and the reports: ``key -> (Bahasa Indonesia, English)``
(:func:`geo_service.i18n.msg`)."""

from __future__ import annotations

from geo_service.i18n.pesan_alasan import ALASAN
from geo_service.i18n.pesan_cli import CLI
from geo_service.i18n.pesan_laporan import LAPORAN

MESSAGES: dict[str, tuple[str, str]] = {
    "tidak_terautentikasi": (
        "Perlu login: kirim token Bearer atau kunci API.",
        "Authentication required: send a Bearer token or an API key.",
    ),
    "token_tidak_valid": (
        "Token atau kunci API tidak valid atau kedaluwarsa.",
        "Token or API key is invalid or expired.",
    ),
    "login_gagal": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "peran_ditolak": ("Peran Anda tidak boleh mengakses ini.", "Your role may not access this."),
    "kabupaten_ditolak": (
        "Anda tidak punya akses ke kabupaten ini.",
        "You have no access to this kabupaten.",
    ),
    "geografi_ditolak": (
        "Peran publik hanya melihat satu jenis wilayah ({geo}).",
        "The public role sees one geography family only ({geo}).",
    ),
    "input_tidak_valid": ("Masukan tidak valid.", "Invalid input."),
    "tidak_ditemukan": ("Tidak ditemukan.", "Not found."),
    "terlalu_besar": (
        "Berkas terlalu besar (maksimal {max} byte).",
        "File too large (at most {max} bytes).",
    ),
    "kesalahan_server": ("Terjadi kesalahan pada server.", "Internal server error."),
    "belum_ada_hasil": (
        "Belum ada hasil analisis untuk kabupaten {kab} periode {periode}.",
        "No analysis results for kabupaten {kab} periode {periode} yet.",
    ),
    "format_tidak_dikenal": ("Format tidak dikenal: {fmt}.", "Unknown format: {fmt}."),
    "angka_disembunyikan": (
        "Angka di bawah {k} disembunyikan.",
        "Counts below {k} are suppressed.",
    ),
    # CLI
    "peringatan": ("Peringatan", "Warning"),
    "gagal": ("Gagal", "Failed"),
    "menulis": ("Menulis {what}", "Wrote {what}"),
    "menulis_dua": ("Menulis {a} dan {b}", "Wrote {a} and {b}"),
    "hasil": ("Hasil", "Results"),
    "ringkasan_kabupaten": (
        "  keluarga: {keluarga}, jiwa: {jiwa}, jiwa miskin ekstrem: {ekstrem} ({pct})",
        "  families: {keluarga}, persons: {jiwa}, extreme-poor persons: {ekstrem} ({pct})",
    ),
    "baris_ditolak": (
        "  baris ditolak: {n} (validation.csv)",
        "  rejected rows: {n} (validation.csv)",
    ),
}
MESSAGES.update(CLI)
MESSAGES.update(LAPORAN)
MESSAGES.update(ALASAN)
