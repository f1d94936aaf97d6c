"""What the meeting pack says: texts in both languages, column headers, the data it is built
from (:class:`ReportData`) and the tables and paragraphs both writers show.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_service.analysis.target import INDICATORS, STATUS_TEXT, TargetProgress, progress_text
from geo_service.i18n import (
    COLUMNS,
    column_header,
    fmt_date,
    fmt_p,
    fmt_percent,
    fmt_periode,
    fmt_value,
    pick,
    pocket_label,
)

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


PRIORITY_COLUMNS = [
    "peringkat",
    "nama_desa",
    "nama_kec",
    "kuadran",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "skor",
    "alasan",
]


COVERAGE_COLUMNS = [
    "nama_desa",
    "nama_kec",
    "n_keluarga_ekstrem",
    "n_ekstrem_tanpa_bansos",
    "pct_eksklusi_pkh",
    "pct_eksklusi_bpnt",
    "pct_eksklusi_pbi_jk",
    "pct_inklusi_pkh",
]


POCKET_COLUMNS = [
    "kantong",
    "nama_desa_utama",
    "nama_kec_utama",
    "n_sel",
    "luas_km2",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "risiko_relatif",
    "p_value",
    "stabilitas",
]


TARGET_COLUMNS = [
    "kabupaten",
    "label",
    "nilai_sekarang",
    "waktu_sekarang",
    "nilai_target",
    "tahun_target",
    "laju_diperlukan",
    "laju_teramati",
    "proyeksi",
    "status_teks",
    "teks",
    "sumber_target",
    "catatan_target",
]


PDF_MAX_ROWS = 30

# The workbook's sheets: more columns than the PDF, every one in the catalogue.
XLSX_COLUMNS: dict[str, list[str]] = {
    "prioritas": [
        "peringkat", "kode_desa", "nama_desa", "nama_kec", "kuadran", "n_keluarga", "n_jiwa",
        "n_keluarga_ekstrem", "n_jiwa_ekstrem", "pct_jiwa_ekstrem", "skor",
        "peringkat_rentang_bawah", "peringkat_rentang_atas", "status_keterangan", "alasan",
    ],
    "target_opd": [
        "opd", "program", "nama_kebutuhan", "urutan", "kode_desa", "nama_desa", "nama_kec",
        "n_keluarga_sasaran", "n_keluarga_ekstrem", "pct_keluarga_sasaran", "peringkat",
    ],
    "cakupan": ["kode_desa", *COVERAGE_COLUMNS],
    "kantong": [
        "kantong", "kantong_id", "nama_desa_utama", "nama_kec_utama", "n_sel", "luas_km2",
        "n_keluarga_ekstrem", "n_jiwa_ekstrem", "pct_jiwa_ekstrem", "rasio_kabupaten",
        "risiko_relatif", "n_jiwa_ekstrem_harapan", "llr", "p_value", "stabilitas",
        "radius_m",
    ],
    "desa": [
        "kode_desa", "nama_desa", "kode_kec", "nama_kec", "n_keluarga", "n_jiwa",
        "n_keluarga_ekstrem", "n_jiwa_ekstrem", "pct_jiwa_ekstrem", "pct_jiwa_ekstrem_eb",
    ],
}  # fmt: skip


@dataclass
class ReportData:
    """Everything the meeting pack shows, prepared by the caller.

    Parameters
    ----------
    nama_kab, kode_kab
        The kabupaten.
    periode
        Data period (YYYY-MM).
    desa
        Desa indicators with geometry (suppressed if the reader's role requires it).
    kabupaten
        One-row kabupaten totals.
    priorities, opd_targets, coverage, pockets
        Planning tables; ``None`` when not computed (the section says so).
    targets
        Progress towards the kabupaten's targets, one row per target as
        :func:`geo_service.analysis.target.progress_table` gives it (``teks``,
        ``sumber_target``, ``catatan_target`` and the numbers); ``None`` or empty: the
        section says there is no data.
    params
        Method parameters as recorded with the run (flat or nested dict).
    data_date
        Kept for callers; the pack dates its data by the DTSEN ``periode`` (never the
        run date).
    sintetis
        The families come from the generator: every page says "DATA SINTETIS".
    suppression_k
        ``k`` of the small-cell suppression applied, or ``None`` when not applied.
    """

    nama_kab: str
    kode_kab: str
    periode: str
    desa: gpd.GeoDataFrame
    kabupaten: pd.DataFrame
    priorities: pd.DataFrame | None = None
    opd_targets: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    pockets: gpd.GeoDataFrame | None = None
    targets: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)
    data_date: str | None = None
    sumber: str = "DTSEN"
    version: str = ""
    suppression_k: int | None = None
    sintetis: bool = False
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        # A run recorded as synthetic (``sintetis`` in its parameters) makes a synthetic pack.
        self.sintetis = self.sintetis or is_synthetic(self.params)


def is_synthetic(params: dict[str, Any] | None, sources: Any = None) -> bool:
    """Whether a run record says its families come from the generator (``sintetis``)."""
    for rec in (params, sources):
        if isinstance(rec, dict) and rec.get("sintetis"):
            return True
    return False


def header(col: str, lang: str) -> str:
    """The readable header of a column (the catalogue of :mod:`geo_service.i18n` first)."""
    if col in COLUMNS:
        return column_header(col, lang)
    pair = HEADERS.get(col)
    return pick({"id": pair[0], "en": pair[1]}, lang) if pair else col


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, val in params.items():
        name = f"{prefix}{key}"
        if isinstance(val, dict):
            rows += _flatten(val, name + ".")
        else:
            rows.append((name, "" if val is None else str(val)))
    return rows


def _fmt(value: Any, lang: str = "id", column: str | None = None) -> str:
    """A table value as the reader sees it (:func:`geo_service.i18n.fmt_value`)."""
    return fmt_value(value, lang, column=column)


def _table_frame(frame: pd.DataFrame | None, preferred: list[str] | None = None) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame()
    frame = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    if preferred:
        cols = [c for c in preferred if c in frame.columns]
        if cols:
            frame = frame[cols]
    return frame.reset_index(drop=True)


def pocket_table(data: ReportData, lang: str = "id") -> pd.DataFrame:
    """Pockets as shown: ``kantong`` is the one pocket name used everywhere
    ("Kantong 3 (K-7b05904ebf)", :func:`geo_service.i18n.pocket_label`)."""
    frame = _table_frame(data.pockets)
    if len(frame) and {"nomor", "kantong_id"} <= set(frame.columns):
        frame.insert(
            0,
            "kantong",
            [
                pocket_label(n, k, lang)
                for n, k in zip(frame["nomor"], frame["kantong_id"], strict=True)
            ],
        )
    # The scan's evidence as a planner reads it: p as "p < 0,0001", stability in percent.
    if "p_value" in frame.columns:
        frame["p_value"] = [fmt_p(v, lang) for v in pd.to_numeric(frame["p_value"])]
    if "risiko_relatif" in frame.columns:
        frame["risiko_relatif"] = pd.to_numeric(frame["risiko_relatif"]).round(1)
    if "stabilitas" in frame.columns:
        frame["stabilitas"] = [
            fmt_percent(100 * v, lang, 0) for v in pd.to_numeric(frame["stabilitas"])
        ]
    return _table_frame(frame, POCKET_COLUMNS)


def priority_table(data: ReportData) -> pd.DataFrame:
    """Ranked priorities as shown (the preferred columns that exist)."""
    frame = _table_frame(data.priorities)
    if len(frame) and "peringkat" not in frame.columns:
        frame.insert(0, "peringkat", range(1, len(frame) + 1))
    if "skor" in frame.columns:
        frame["skor"] = pd.to_numeric(frame["skor"], errors="coerce").round(3)
    return _table_frame(frame, PRIORITY_COLUMNS)


def opd_summary(data: ReportData) -> pd.DataFrame:
    """Per OPD and programme: number of target desa, target families, the main desa."""
    frame = _table_frame(data.opd_targets)
    if frame.empty or not {"opd", "program"} <= set(frame.columns):
        return frame
    rows = []
    for (opd, program), grp in frame.groupby(["opd", "program"], sort=True):
        # The programme's own order (its need), not the overall priority rank.
        key = "urutan" if "urutan" in grp.columns else "peringkat"
        if key in grp.columns:
            grp = grp.sort_values(key, na_position="last")
        fams = (
            pd.to_numeric(grp.get("n_keluarga_sasaran"), errors="coerce")
            if "n_keluarga_sasaran" in grp.columns
            else None
        )
        total = None if fams is None or fams.isna().any() else int(fams.sum())
        names = grp["nama_desa"].astype(str).head(5).tolist() if "nama_desa" in grp else []
        rows.append(
            {
                "opd": opd,
                "program": program,
                "n_desa_sasaran": len(grp),
                "n_keluarga_sasaran": total,
                "desa_teratas": ", ".join(names),
            }
        )
    return pd.DataFrame(rows)


def coverage_desa(data: ReportData) -> pd.DataFrame:
    """The desa rows of the coverage table (pocket rows, ``tingkat == "kantong"``, have no
    desa and are left to the pocket section)."""
    frame = _table_frame(data.coverage)
    if "tingkat" in frame.columns:
        frame = frame[frame["tingkat"].astype(str) == "desa"].reset_index(drop=True)
    return frame


def coverage_table(data: ReportData) -> pd.DataFrame:
    """Coverage gaps, the desa with most extreme-poor families without any aid first."""
    frame = coverage_desa(data)
    if "n_ekstrem_tanpa_bansos" in frame.columns:
        key = pd.to_numeric(frame["n_ekstrem_tanpa_bansos"], errors="coerce")
        frame = frame.loc[key.sort_values(ascending=False, na_position="last").index]
    return _table_frame(frame, COVERAGE_COLUMNS)


def _targets_in(data: ReportData, lang: str) -> pd.DataFrame:
    """The target rows with label, status and sentence in ``lang`` (rebuilt from the numbers
    when the rows carry them, so the pack's language decides, not the caller's)."""

    frame = _table_frame(data.targets)
    names = [f.name for f in fields(TargetProgress)]
    if frame.empty or not set(names) <= set(frame.columns):
        return frame
    frame = frame.copy()
    values = frame[names].astype(object).where(frame[names].notna(), None)
    frame["teks"] = [
        progress_text(TargetProgress(**rec), lang) for rec in values.to_dict("records")
    ]
    frame["label"] = [
        pick({"id": INDICATORS[x][0], "en": INDICATORS[x][1]}, lang) for x in frame["indikator"]
    ]
    frame["status_teks"] = [
        pick({"id": STATUS_TEXT[x][0], "en": STATUS_TEXT[x][1]}, lang) for x in frame["status"]
    ]
    return frame


def target_table(data: ReportData, lang: str = "id") -> pd.DataFrame:
    """Target progress as shown in the workbook (the preferred columns that exist)."""
    return _table_frame(_targets_in(data, lang), TARGET_COLUMNS)


def target_paragraphs(data: ReportData, lang: str) -> list[str]:
    """The "Capaian target" section as paragraphs: each target's sentence (as
    :func:`geo_service.analysis.target.progress_text` writes it) and its source or note."""
    t = pick(TEXT, lang)
    frame = _targets_in(data, lang)
    out = []
    for rec in frame.to_dict("records"):
        text = str(rec.get("teks") or "")
        if not text:
            continue
        src, note = rec.get("sumber_target"), rec.get("catatan_target")
        if isinstance(src, str) and src:
            text += f" {t['targets_source']}: {src}"
        elif isinstance(note, str) and note:
            text += f" {t['targets_note']}: {note}"
        out.append(text)
    return out


SUMMARY_COLUMNS = (
    "n_keluarga",
    "n_jiwa",
    "n_keluarga_ekstrem",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
)


def summary_values(
    data: ReportData, lang: str, texts: dict[str, str]
) -> list[tuple[str, Any, str | None]]:
    """The summary rows for the workbook: ``(label, value, number format)``, with the key
    figures as numbers (``texts``: the rows of :func:`_summary_rows`)."""
    numbers: dict[str, tuple[Any, str]] = {}
    if len(data.kabupaten):
        kab = data.kabupaten.iloc[0]
        for col in SUMMARY_COLUMNS:
            if col in kab.index and not pd.isna(kab[col]):
                val = kab[col].item() if hasattr(kab[col], "item") else kab[col]
                numbers[header(col, lang)] = (val, "0.0" if col.startswith("pct") else "#,##0")
    if data.pockets is not None:
        numbers[pick(TEXT, lang)["n_pockets"]] = (len(data.pockets), "#,##0")
    out: list[tuple[str, Any, str | None]] = []
    for label, text in texts.items():
        if label in numbers:
            out.append((label, numbers[label][0], numbers[label][1]))
        else:
            out.append((label, text, None))
    return out


def _summary_rows(data: ReportData, lang: str) -> list[tuple[str, str]]:
    t = pick(TEXT, lang)
    periode = fmt_periode(data.periode, lang)
    rows = [
        (t["kabupaten"], f"{data.nama_kab} ({data.kode_kab})"),
        (t["periode"], f"{periode} ({data.periode})" if periode != data.periode else periode),
        (t["source"], t["source_value"].format(sumber=data.sumber, periode=periode)),
        (t["data_date"], periode),
        (t["made"], fmt_date(data.made_at, lang)),
    ]
    if data.sintetis:
        rows.insert(0, (t["synthetic"], t["synthetic_note"]))
    if len(data.kabupaten):
        kab = data.kabupaten.iloc[0]
        for col in SUMMARY_COLUMNS:
            if col in kab.index:
                rows.append((header(col, lang), _fmt(kab[col], lang, col)))
    if data.pockets is not None:
        rows.append((t["n_pockets"], _fmt(len(data.pockets), lang)))
    pri = priority_table(data)
    if "nama_desa" in pri.columns and len(pri):
        rows.append((t["top_desa"], ", ".join(pri["nama_desa"].astype(str).head(5))))
    return rows
