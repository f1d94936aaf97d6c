"""What the meeting pack says: texts in both languages, column headers, the data it is built
from (:class:`ReportData`) and the tables and paragraphs both writers show.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_service.analysis.target import (
    TargetProgress,
    indicator_label,
    progress_text,
    status_text,
)
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
    teks,
)
from geo_service.io.report.teks import ATTRIBUTION, HEADERS, METHOD, TEXT

__all__ = ["ATTRIBUTION", "HEADERS", "METHOD", "TEXT"]


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
    frame["label"] = [indicator_label(x, lang) for x in frame["indikator"]]
    frame["status_teks"] = [status_text(x, lang) for x in frame["status"]]
    if {"catatan_target_id", "catatan_target_en"} <= set(frame.columns):
        notes = frame[["catatan_target_id", "catatan_target_en"]].fillna("").astype(str)
        frame["catatan_target"] = [teks(pair, lang) for pair in notes.itertuples(index=False)]
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
        if isinstance(note, str) and note:
            text += f" {t['targets_note']}: {note}"
        if isinstance(src, str) and src:
            text += f" {t['targets_source']}: {src}"
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
