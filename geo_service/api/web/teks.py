"""Words of the web pages, Bahasa Indonesia first and English complete.

Page words first, then the service catalogue (:data:`geo_service.i18n.MESSAGES`), so a message
shared with the API (e.g. ``login_gagal``) reads the same on a page.
"""

from __future__ import annotations

from geo_service import i18n

TEKS: dict[str, tuple[str, str]] = {
    "judul_aplikasi": ("Kantong Kemiskinan Ekstrem", "Extreme-Poverty Pockets"),
    "masuk": ("Masuk", "Log in"),
    "keluar": ("Keluar", "Log out"),
    "nama_pengguna": ("Nama pengguna", "Username"),
    "kata_sandi": ("Kata sandi", "Password"),
    "masuk_judul": ("Masuk ke layanan", "Log in to the service"),
    "masuk_ket": (
        "Gunakan akun yang diberikan admin kabupaten Anda.",
        "Use the account your kabupaten administrator gave you.",
    ),
    "csrf_ditolak": (
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "terlalu_sering": (
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {detik} detik.",
        "Too many failed log-in attempts. Try again in {detik} seconds.",
    ),
    "bahasa_lain": ("English", "Bahasa Indonesia"),
    "kode_bahasa_lain": ("en", "id"),
    "beranda": ("Beranda", "Home"),
    "kabupaten_anda": ("Kabupaten Anda", "Your kabupaten"),
    "tidak_ada_kabupaten": (
        "Belum ada kabupaten dengan batas wilayah dalam lingkup akun Anda.",
        "No kabupaten with boundaries in your account's scope yet.",
    ),
    "n_desa": ("{n} desa", "{n} villages"),
    "peran": ("Peran", "Role"),
    "periode": ("Periode", "Periode"),
    "tampilkan": ("Tampilkan", "Show"),
    "ringkasan": ("Ringkasan", "Summary"),
    "n_keluarga": ("Keluarga", "Families"),
    "n_jiwa": ("Jiwa", "People"),
    "n_keluarga_ekstrem": ("Keluarga miskin ekstrem", "Extremely poor families"),
    "n_jiwa_ekstrem": ("Jiwa miskin ekstrem", "Extremely poor people"),
    "pct_jiwa_ekstrem": ("% jiwa miskin ekstrem", "% people in extreme poverty"),
    "target": ("Capaian target", "Progress towards targets"),
    "tidak_ada_target": ("Belum ada target untuk kabupaten ini.", "No targets for this kabupaten."),
    "analisis_terakhir": ("Analisis terakhir", "Last analysis"),
    "analisis": ("Analisis", "Analysis"),
    "parameter": ("Parameter", "Parameters"),
    "mulai": ("Mulai", "Started"),
    "selesai": ("Selesai", "Finished"),
    "status": ("Status", "Status"),
    "durasi": ("Durasi", "Duration"),
    "detik": ("{n} detik", "{n} s"),
    "status_berjalan": ("berjalan", "running"),
    "status_selesai": ("selesai", "finished"),
    "status_gagal": ("gagal", "failed"),
    "jalankan_analisis": ("Jalankan analisis baru", "Start a new analysis"),
    "jalankan": ("Jalankan", "Start"),
    "analisis_berjalan": (
        "Analisis sedang berjalan. Halaman ini diperbarui sendiri tiap 3 detik.",
        "The analysis is running. This page refreshes itself every 3 seconds.",
    ),
    "analisis_selesai": ("Analisis selesai.", "The analysis has finished."),
    "analisis_gagal": ("Analisis gagal: {alasan}", "The analysis failed: {alasan}"),
    "lihat_hasil": ("Lihat hasil", "See the results"),
    "sudah_berjalan": ("sudah berjalan {n} detik", "running for {n} s"),
    "peta": ("Peta", "Map"),
    "peta_ket": (
        "Warna: persentase jiwa miskin ekstrem per desa. Garis merah: kantong. Bulatan bernomor: "
        "desa prioritas yang sedang ditampilkan. Klik desa untuk profilnya.",
        "Colour: share of people in extreme poverty per village. Red outline: pockets. "
        "Numbered circles: the priority villages listed. Click a village for its profile.",
    ),
    "peta_tanpa_js": (
        "Peta memerlukan JavaScript; tabel di bawah memuat angka yang sama.",
        "The map needs JavaScript; the table below has the same figures.",
    ),
    "prioritas": ("Desa prioritas", "Priority villages"),
    "prioritas_teratas": ("10 desa prioritas teratas", "Top 10 priority villages"),
    "semua_prioritas": ("Daftar lengkap, saring dan unduh", "Full list, filter and download"),
    "kantong": ("Kantong kemiskinan", "Poverty pockets"),
    "opd": ("Target OPD", "OPD targets"),
    "uji_petik": ("Uji petik", "Ground check"),
    "laporan_warga": ("Laporan warga", "Citizen reports"),
    "peringkat": ("Peringkat", "Rank"),
    "rentang": ("Rentang peringkat", "Rank interval"),
    "desa": ("Desa", "Village"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "kabupaten": ("Kabupaten", "Kabupaten"),
    "kuadran": ("Kuadran", "Quadrant"),
    "alasan": ("Alasan", "Reasons"),
    "dalam_kantong": ("Kantong", "Pocket"),
    "saring": ("Saring", "Filter"),
    "semua": ("Semua", "All"),
    "ya": ("Ya", "Yes"),
    "tidak": ("Tidak", "No"),
    "min_keluarga": ("Minimal keluarga miskin ekstrem", "Minimum extremely poor families"),
    "urutkan": ("Urutkan", "Sort"),
    "naik": ("naik", "ascending"),
    "turun": ("turun", "descending"),
    "unduh": ("Unduh yang ditampilkan", "Download what is shown"),
    "n_baris": ("{n} desa ditampilkan", "{n} villages shown"),
    "disembunyikan": ("disembunyikan", "suppressed"),
    "catatan_disembunyikan": (
        "Angka di bawah {k} disembunyikan untuk melindungi data pribadi (UU PDP).",
        "Counts below {k} are suppressed to protect personal data.",
    ),
    "catatan_unduh": ("Analisis #{run}; saringan: {query}", "Analysis #{run}; filters: {query}"),
    "profil_desa": ("Profil desa", "Village profile"),
    "indikator": ("Indikator", "Indicators"),
    "kebutuhan": ("Kebutuhan dan program OPD", "Needs and OPD programmes"),
    "kebutuhan_kol": ("Kebutuhan", "Need"),
    "kebutuhan_kosong": ("Tidak ada kebutuhan tercatat.", "No needs recorded."),
    "program": ("Program", "Programme"),
    "sasaran": ("Keluarga sasaran", "Target families"),
    "cakupan": ("Cakupan program dan salah sasaran", "Programme coverage and targeting errors"),
    "eksklusi": ("Miskin ekstrem tidak menerima", "Extremely poor not receiving"),
    "inklusi": ("Mampu tetapi menerima", "Better-off but receiving"),
    "tren": ("Tren antar periode", "Trend across periodes"),
    "status_uji_petik": ("Status uji petik", "Ground-check status"),
    "tidak_ada_sampel": ("Belum ada sampel uji petik.", "No ground-check sample yet."),
    "tidak_dalam_sampel": (
        "Desa ini tidak masuk sampel #{id}.",
        "This village is not in sample #{id}.",
    ),
    "anggota_kantong": ("Termasuk kantong", "In pocket"),
    "bukan_kantong": ("Tidak termasuk kantong mana pun.", "Not in any pocket."),
    "tidak_ada_hasil": ("Belum ada hasil analisis.", "No analysis results yet."),
    "kembali": ("Kembali", "Back"),
    "galat": ("Tidak dapat ditampilkan", "Cannot be shown"),
    "cetak": ("Cetak", "Print"),
    "kantong_ket": (
        "Kantong: lingkaran sel H3 dengan kemiskinan ekstrem tinggi yang bermakna "
        "(statistik pindai Kulldorff).",
        "Pockets: circles of H3 cells with significantly high extreme poverty "
        "(Kulldorff scan statistic).",
    ),
    "rasio": ("Risiko relatif terhadap kabupaten", "Relative risk against the kabupaten"),
    "luas": ("Luas (km²)", "Area (km²)"),
    "desa_tercakup": ("Desa tercakup", "Villages covered"),
    "desa_utama": ("Desa utama", "Main village"),
    "tidak_ada_kantong": ("Tidak ada kantong terdeteksi.", "No pockets detected."),
    "opd_ket": (
        "Desa sasaran program OPD, diurutkan menurut kebutuhan.",
        "Target villages of OPD programmes, ordered by need.",
    ),
    "pilih_opd": ("OPD", "OPD"),
    "sampel": ("Sampel", "Sample"),
    "progres": ("Progres per desa", "Progress per village"),
    "taksiran": ("Taksiran galat data", "Error-rate estimates"),
    "unggah_hasil": ("Unggah hasil lapangan", "Upload field results"),
    "berkas": ("Berkas (.csv, .xlsx, .gpkg)", "File (.csv, .xlsx, .gpkg)"),
    "sebagian": ("Impor baris yang sah walau ada baris bermasalah", "Import the valid rows"),
    "unggah": ("Unggah", "Upload"),
    "laporan_validasi": ("Laporan validasi", "Validation report"),
    "impor_berhasil": ("Impor #{batch}: {n} baris diimpor.", "Import #{batch}: {n} rows imported."),
    "berkas_lapangan": ("Berkas lapangan", "Field file"),
    "antrean": ("Antrean laporan warga", "Citizen report queue"),
    "tidak_ada_laporan": ("Tidak ada laporan.", "No reports."),
    "lapor_judul": ("Laporkan keluarga yang perlu dicek", "Report a family that needs checking"),
    "kirim": ("Kirim", "Send"),
    "kode_desa_lapor": ("Kode desa (mis. 33.24.01.2001)", "Village code (e.g. 33.24.01.2001)"),
    "jenis_laporan": ("Jenis laporan", "Kind of report"),
    "keterangan": ("Keterangan", "Description"),
    "kontak": ("Kontak (tidak wajib)", "Contact (optional)"),
    "foto": ("Foto (JPEG/PNG, maks 5 MB)", "Photo (JPEG/PNG, at most 5 MB)"),
    "n_sampel": ("Sampel", "Sampled"),
    "n_selesai": ("Selesai", "Done"),
    "n_salah": ("Tidak sesuai", "Mismatch"),
    "pct_selesai": ("% selesai", "% done"),
    "buat_sampel_api": (
        "Sampel baru dibuat lewat API atau CLI (geo-service uji-petik sample).",
        "New samples are drawn through the API or the CLI (geo-service uji-petik sample).",
    ),
}


def t(key: str, lang: str, **kwargs) -> str:
    """A page text in ``lang`` (``en`` or Bahasa Indonesia), formatted with ``kwargs``."""
    pair = TEKS.get(key) or i18n.MESSAGES.get(key)
    if pair is None:
        return key
    pesan, message = pair
    return (message if lang == "en" else pesan).format(**kwargs)
