"""Sentences of the reports people read (targets, the meeting pack, field work):
``key -> (Bahasa Indonesia, English)`` (:func:`geo_service.i18n.msg`)."""

from __future__ import annotations

LAPORAN: dict[str, tuple[str, str]] = {
    # Target progress (analysis/target.py)
    "target_judul": ("Capaian target", "Progress towards targets"),
    "target_belum_ada_data": (
        "{head}: target {target} pada {tahun}; belum ada data.",
        "{head}: target {target} in {tahun}; no observation yet.",
    ),
    "target_kepala": (
        "{head}: {now} ({waktu}); target {target} pada {tahun}.",
        "{head}: {now} ({waktu}); target {target} in {tahun}.",
    ),
    "target_perlu": ("Perlu {laju}.", "Needed: {laju}."),
    "target_teramati": ("Laju teramati: {laju}{rasio}.", "Observed: {laju}{rasio}."),
    "target_rasio": (" ({pct} dari laju yang diperlukan)", " ({pct} of the needed pace)"),
    "target_proyeksi": ("Proyeksi {tahun}: {nilai}.", "Projection for {tahun}: {nilai}."),
    "target_status": ("Status: {status}.", "Status: {status}."),
    "target_sumber": ("Sumber target: {sumber}", "Target source: {sumber}"),
    "target_keterangan": ("Keterangan target: {keterangan}", "Target note: {keterangan}"),
    "target_dasar": ("{tahun}, dasar", "{tahun}, baseline"),
    "laju_per_tahun": ("{arah} {nilai} {satuan} per tahun", "{arah} {nilai} {satuan} a year"),
    "arah_turun": ("turun", "fall"),
    "arah_naik": ("naik", "rise"),
    "satuan_poin": ("poin", "points"),
    "satuan_jiwa": ("jiwa", "persons"),
    "n_jiwa": ("{n} jiwa", "{n} persons"),
    # Ground check (analysis/uji_petik/estimates.py)
    "galat_belum_ada": (
        "{kelompok}: belum ada hasil kunjungan acak.",
        "{kelompok}: no random visits completed yet.",
    ),
    "galat_taksiran": (
        "{kelompok}: diperkirakan {pct} data keluarga tidak sesuai (selang kepercayaan "
        "{tingkat}: {bawah}-{atas}), dari {n} kunjungan acak.",
        "{kelompok}: an estimated {pct} of records are wrong ({tingkat} CI {bawah}-{atas}), "
        "from {n} random visits.",
    ),
    # Field files of the ground check (io/uji_petik/field_files.py)
    "ya": ("ya", "yes"),
    "lapangan_status_salah": ("Status tidak valid", "Status"),
    "lapangan_pilih_salah_satu": ("Pilih salah satu: {pilihan}", "Choose one of: {pilihan}"),
    "lapangan_kolom": ("Kolom", "Column"),
    "lapangan_tipe": ("Tipe", "Type"),
    "lapangan_diisi_petugas": ("Diisi petugas", "Filled by officer"),
    "lapangan_keterangan": ("Keterangan", "Description"),
}
