"""Sentences of a priority desa's reason (:mod:`geo_service.analysis.alasan`):
``key -> (Bahasa Indonesia, English)``."""

from __future__ import annotations

ALASAN: dict[str, tuple[str, str]] = {
    "alasan_jumlah": (
        "{n} jiwa miskin ekstrem (terbanyak ke-{pos} dari {n_aktif} desa)",
        "{n} persons in extreme poverty (rank {pos} of {n_aktif} villages by number)",
    ),
    "alasan_tingkat": (
        "tingkat kemiskinan ekstrem {pct} (disesuaikan untuk jumlah penduduk: {pct_eb}; "
        "kabupaten {pct_kab})",
        "extreme-poverty rate {pct} (adjusted for population size: {pct_eb}; kabupaten {pct_kab})",
    ),
    "alasan_kedalaman": (
        "indeks kedalaman kemiskinan P1 {p1}",
        "poverty gap index P1 {p1}",
    ),
    "alasan_keparahan": (
        "indeks keparahan kemiskinan P2 {p2}",
        "poverty severity index P2 {p2}",
    ),
    "alasan_deprivasi": (
        "keluarga miskin ekstrem rata-rata mengalami {k} dari {n} kekurangan dasar",
        "extreme-poor families lack on average {k} of {n} basic needs",
    ),
    "alasan_kantong": (
        "{pct} jiwa miskin ekstrem bergeotag tinggal di kantong kemiskinan{names}",
        "{pct} of geotagged extreme-poor persons live in poverty pocket{names}",
    ),
    "alasan_celah": (
        "keluarga miskin ekstrem yang tidak menerima PKH {pkh}, BPNT {bpnt}, PBI-JK {pbi}",
        "extreme-poor families not receiving PKH {pkh}, BPNT {bpnt}, PBI-JK {pbi}",
    ),
    "alasan_sedikit": (
        "hanya {n} keluarga, sehingga angka ini kurang pasti",
        "only {n} families, so these figures are uncertain",
    ),
    "alasan_memuat": ("memuat bagian dari {cited}", "holds part of {cited}"),
    "alasan_rasio": ("tingkat {r}x kabupaten", "rate {r}x the kabupaten"),
    "alasan_peringkat": (
        "Peringkat {rank} (rentang {pct}: {lo}-{hi}); masuk {n} teratas pada {p} ulangan bootstrap",
        "Rank {rank} ({pct} range: {lo}-{hi}); in the top {n} in {p} of bootstrap replicates",
    ),
    "alasan_kutipan_kantong": (
        "{name} ({id}; risiko relatif {rr}x; {p})",
        "{name} ({id}; relative risk {rr}x; {p})",
    ),
    "alasan_tanpa_keluarga": ("tidak ada keluarga", "no families"),
    # Released (suppressed) priority list: geo_service/analysis/disclosure/released.py
    "alasan_rilis": (
        "{n} jiwa miskin ekstrem dalam {nk} keluarga, {pct} penduduk desa{kab}{kuadran}; "
        "peringkat {rank} dari {m} desa yang angkanya dipublikasikan.",
        "{n} extremely poor persons in {nk} families, {pct} of residents{kab}{kuadran}; "
        "rank {rank} of {m} desa with published figures.",
    ),
    "alasan_rilis_kab": (" (kabupaten {pct})", " (kabupaten {pct})"),
    "alasan_rilis_kuadran": ("; kuadran {q}", "; quadrant {q}"),
}
