"""What the meeting pack says in both languages: section texts, the method, the attribution
and the pack's own column headers (columns not here come from the catalogue of
:mod:`geo_service.i18n`)."""

from __future__ import annotations

ATTRIBUTION = {
    "id": (
        "Batas wilayah: cahyadsn/wilayah_boundaries (MIT), kode Kemendagri. Angka kemiskinan "
        "kabupaten: BPS. Data keluarga: DTSEN ({sumber}). Dibuat dengan geo_service {versi}."
    ),
    "en": (
        "Boundaries: cahyadsn/wilayah_boundaries (MIT), Kemendagri codes. District poverty "
        "figures: BPS. Family data: DTSEN ({sumber}). Made with geo_service {versi}."
    ),
}


TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Paket Rapat TKPK",
        "subtitle": "Kantong kemiskinan ekstrem dan lokasi prioritas",
        "kabupaten": "Kabupaten",
        "periode": "Periode data",
        "data_date": "Tanggal data",
        "made": "Dibuat",
        "summary": "Ringkasan",
        "map": "Peta persentase jiwa miskin ekstrem per desa",
        "pocket_map": "Peta kantong kemiskinan dan desa prioritas",
        "priorities": "Daftar desa prioritas (berperingkat, dengan alasan)",
        "opd": "Target per OPD",
        "coverage": "Kesenjangan cakupan program",
        "pockets": "Kantong kemiskinan",
        "targets": "Capaian target",
        "targets_source": "Sumber target",
        "targets_note": "Catatan target",
        "targets_sheet": "Capaian target",
        "method": "Metode dan parameter",
        "attribution": "Sumber dan atribusi",
        "none": "Tidak ada data untuk bagian ini.",
        "suppressed_note": (
            "Angka di bawah {k} (atau yang selisihnya dengan total di bawah {k}) "
            "disembunyikan (tanda '-') untuk melindungi data pribadi."
        ),
        "desa_sheet": "Indikator desa",
        "param": "Parameter",
        "value": "Nilai",
        "more_rows": "… dan {n} baris lagi (lihat lampiran XLSX).",
        "synthetic": "DATA SINTETIS — bukan data nyata",
        "synthetic_note": (
            "Data keluarga dalam paket ini dibuat oleh generator (geo-service generate) pada "
            "batas desa nyata. Angka dan kantong TIDAK menggambarkan keadaan sebenarnya."
        ),
        "source": "Sumber data",
        "source_value": "{sumber}, periode {periode}",
        "key_figures": "Angka kunci",
        "n_pockets": "Kantong kemiskinan",
        "top_desa": "Desa prioritas teratas",
        "opd_intro": (
            "Tiap program mengurutkan desa sasarannya menurut kebutuhannya sendiri "
            "(keluarga miskin ekstrem dengan kebutuhan itu). Daftar pendek: lima desa pertama."
        ),
    },
    "en": {
        "title": "TKPK meeting pack",
        "subtitle": "Extreme-poverty pockets and priority locations",
        "kabupaten": "District",
        "periode": "Data period",
        "data_date": "Data date",
        "made": "Made",
        "summary": "Summary",
        "map": "Share of persons in extreme poverty by village",
        "pocket_map": "Poverty pockets and priority villages",
        "priorities": "Priority villages (ranked, with reasons)",
        "opd": "Targets per agency (OPD)",
        "coverage": "Programme coverage gaps",
        "pockets": "Poverty pockets",
        "targets": "Progress towards targets",
        "targets_source": "Target source",
        "targets_note": "Target note",
        "targets_sheet": "Targets",
        "method": "Method and parameters",
        "attribution": "Sources and attribution",
        "none": "No data for this section.",
        "suppressed_note": (
            "Counts below {k} (or whose difference from the total is below {k}) "
            "are suppressed ('-') to protect personal data."
        ),
        "desa_sheet": "Village indicators",
        "param": "Parameter",
        "value": "Value",
        "more_rows": "… and {n} more rows (see the XLSX workbook).",
        "synthetic": "SYNTHETIC DATA — not real data",
        "synthetic_note": (
            "The family data in this pack were made by the generator (geo-service generate) "
            "on real village boundaries. Figures and pockets do NOT describe the real situation."
        ),
        "source": "Data source",
        "source_value": "{sumber}, period {periode}",
        "key_figures": "Key figures",
        "n_pockets": "Poverty pockets",
        "top_desa": "Top priority villages",
        "opd_intro": (
            "Each programme ranks its target villages by its own need (extreme-poor families "
            "with that need). Short list: the first five villages."
        ),
    },
}


METHOD = {
    "id": [
        "Keluarga miskin ekstrem: keluarga desil 1 DTSEN (atau pengeluaran per kapita di bawah "
        "garis ekstrem bila diberikan). Persentase dihitung atas jumlah jiwa.",
        "Lokasi: keluarga bergeotag ditempatkan pada desa yang memuat titiknya (desa terdekat "
        "dalam jarak maksimum bila di celah batas); tanpa geotag memakai kode desa terdaftar.",
        "Kantong kemiskinan: statistik pindai Kulldorff (model Bernoulli, seperti SaTScan) "
        "pada lingkaran sel H3 hingga 3 km; nilai p dari 999 pelabelan acak keluarga dengan "
        "benih tetap (Gumbel di bawah 1/1.000), berlaku untuk semua lingkaran sekaligus; "
        "kantong kedua dan seterusnya tanpa tumpang tindih. Risiko relatif = tingkat di dalam "
        "dibagi tingkat di luar kantong; stabilitas = bagian ulangan bootstrap yang "
        "menemukannya lagi. Peta titik panas/dingin: Getis-Ord Gi* satu sisi dengan koreksi "
        "FDR Benjamini-Hochberg.",
        "Desa prioritas: metode kuadran (persentase dan jumlah jiwa miskin ekstrem terhadap "
        "nilai kabupaten) dan skor komposit berbobot; interval peringkat dari bootstrap.",
        "Target OPD: tiap deprivasi dipetakan ke OPD dan programnya (tabel di data/).",
        "Cakupan program: keluarga miskin ekstrem yang tidak menerima PKH/BPNT/PBI-JK "
        "(exclusion) dan keluarga desil 6-10 yang menerima (inclusion).",
    ],
    "en": [
        "Extreme-poor family: DTSEN decile 1 (or per-capita expenditure below the extreme "
        "line when given). Rates are per person.",
        "Location: geotagged families go to the village containing the point (nearest village "
        "within the distance limit in boundary gaps); others use the registered village code.",
        "Pockets: Kulldorff spatial scan statistic (Bernoulli model, as SaTScan) on circles of "
        "H3 cells up to 3 km; p-values from 999 random labellings of families with a fixed "
        "seed (Gumbel below 1/1,000), valid over all circles at once; secondary pockets do not "
        "overlap. Relative risk = rate inside divided by rate outside the pocket; stability = "
        "share of bootstrap repeats finding it again. Hot/cold spot map: one-sided Getis-Ord "
        "Gi* with Benjamini-Hochberg FDR.",
        "Priority villages: quadrant method (rate and number of extreme-poor persons against "
        "the district value) and a weighted composite score; rank intervals by bootstrap.",
        "Agency targets: each deprivation maps to the agency and programme that addresses it.",
        "Programme coverage: extreme-poor families without PKH/BPNT/PBI-JK (exclusion) and "
        "decile 6-10 families receiving them (inclusion).",
    ],
}


# Column headers a person reads (Bahasa Indonesia / English); unknown columns keep their name.
HEADERS: dict[str, tuple[str, str]] = {
    "peringkat": ("Peringkat", "Rank"),
    "kode_desa": ("Kode desa", "Village code"),
    "nama_desa": ("Desa", "Village"),
    "kode_kec": ("Kode kec.", "District code"),
    "nama_kec": ("Kecamatan", "Sub-district"),
    "kuadran": ("Kuadran", "Quadrant"),
    "skor": ("Skor", "Score"),
    "n_keluarga": ("Keluarga", "Families"),
    "n_jiwa": ("Jiwa", "Persons"),
    "n_keluarga_ekstrem": ("Keluarga miskin ekstrem", "Extreme-poor families"),
    "n_jiwa_ekstrem": ("Jiwa miskin ekstrem", "Extreme-poor persons"),
    "pct_jiwa_ekstrem": ("% jiwa ekstrem", "% persons extreme"),
    "alasan": ("Alasan", "Reasons"),
    "opd": ("OPD", "Agency"),
    "program": ("Program", "Programme"),
    "deprivasi": ("Deprivasi", "Deprivation"),
    "n_desa": ("Jumlah desa", "Villages"),
    "n_keluarga_sasaran": ("Keluarga sasaran", "Target families"),
    "id_kantong": ("Kantong", "Pocket"),
    "disembunyikan": ("Disembunyikan", "Suppressed"),
    "n_desa_sasaran": ("Desa sasaran", "Target villages"),
    "desa_teratas": ("Desa sasaran utama", "Main target villages"),
    "nama_kebutuhan": ("Kebutuhan", "Need"),
    "n_ekstrem_tanpa_bansos": ("Keluarga ekstrem tanpa bansos", "Extreme-poor without aid"),
    "pct_eksklusi_pkh": ("% tanpa PKH", "% without PKH"),
    "pct_eksklusi_bpnt": ("% tanpa BPNT", "% without BPNT"),
    "pct_eksklusi_pbi_jk": ("% tanpa PBI-JK", "% without PBI-JK"),
    "pct_inklusi_pkh": ("% desil 6-10 menerima PKH", "% decile 6-10 with PKH"),
    "nomor": ("No.", "No."),
    "kantong": ("Kantong", "Pocket"),
    "nama_desa_utama": ("Desa utama", "Main village"),
    "nama_kec_utama": ("Kecamatan utama", "Main sub-district"),
    "n_sel": ("Sel H3", "H3 cells"),
    "luas_km2": ("Luas km²", "Area km²"),
    "rasio_kabupaten": ("× kabupaten", "× district"),
    "label": ("Indikator", "Indicator"),
    "nilai_sekarang": ("Nilai sekarang", "Current value"),
    "waktu_sekarang": ("Per", "As of"),
    "nilai_target": ("Target", "Target"),
    "tahun_target": ("Tahun target", "Target year"),
    "laju_diperlukan": ("Laju diperlukan per tahun", "Pace needed per year"),
    "laju_teramati": ("Laju teramati per tahun", "Observed pace per year"),
    "proyeksi": ("Proyeksi", "Projection"),
    "status_teks": ("Status", "Status"),
    "teks": ("Keterangan", "Description"),
    "sumber_target": ("Sumber target", "Target source"),
    "catatan_target": ("Catatan target", "Target note"),
}
