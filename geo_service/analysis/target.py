"""Targets per kabupaten and progress towards them (for the API, the map page and TKPK packs).

A target says: indicator X of kabupaten K should reach value V in year T (optionally from a
baseline value in a baseline year). Observations of X come from BPS (``pct_miskin``,
``jiwa_miskin``: the March Susenas of each year) or from DTSEN snapshots analysed by this
service (``pct_miskin_ekstrem``, ``jiwa_miskin_ekstrem``: desil 1 by the household contract,
one value per periode).

Progress compares two paces, in units per year:

- **needed**: (target - current) / (years left), years left measured from the latest
  observation to the target moment (March of the target year for BPS indicators, the end of
  the target year for DTSEN indicators);
- **observed**: the least-squares slope of the observations (and the baseline) over the last
  ``jendela_tahun`` years.

Status: ``tercapai`` (the current value already meets the target), ``tenggat_lewat`` (the
target moment has passed, not met), ``data_kurang`` (fewer than two observations: no observed
pace), ``sesuai_jalur`` (the observed pace, continued, reaches the target in time) or
``tidak_sesuai_jalur``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_number, fmt_percent, fmt_periode, msg, teks

# indicator -> (label id, label en, unit, source kind, decimals)
INDICATORS: dict[str, tuple[str, str, str, str, int]] = {
    "pct_miskin": (
        "Persentase penduduk miskin (P0, BPS)",
        "Share of poor persons (P0, BPS)",
        "persen",
        "bps",
        2,
    ),
    "jiwa_miskin": (
        "Jumlah penduduk miskin (BPS)",
        "Number of poor persons (BPS)",
        "jiwa",
        "bps",
        0,
    ),
    "pct_miskin_ekstrem": (
        "Persentase jiwa miskin ekstrem (DTSEN desil 1)",
        "Share of extreme-poor persons (DTSEN desil 1)",
        "persen",
        "dtsen",
        2,
    ),
    "jiwa_miskin_ekstrem": (
        "Jumlah jiwa miskin ekstrem (DTSEN desil 1)",
        "Number of extreme-poor persons (DTSEN desil 1)",
        "jiwa",
        "dtsen",
        0,
    ),
}
BPS_MONTH = 3  # Susenas Maret

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "tercapai": ("tercapai", "achieved"),
    "sesuai_jalur": ("sesuai jalur", "on track"),
    "tidak_sesuai_jalur": ("tidak sesuai jalur", "off track"),
    "tenggat_lewat": ("tenggat lewat, belum tercapai", "deadline passed, not achieved"),
    "data_kurang": ("data belum cukup untuk menilai laju", "not enough data to judge the pace"),
}
TARGET_COLUMNS = (
    "kode_kab",
    "kabupaten",
    "indikator",
    "tahun_dasar",
    "nilai_dasar",
    "tahun_target",
    "nilai_target",
    "sumber",
    "catatan",
    "keterangan",
    "keterangan_en",
)
#: How a baseline observation's time label ends (rendered in the reader's language).
BASELINE_MARK = ", dasar"


@dataclass(frozen=True)
class Target:
    """One target of one kabupaten."""

    kode_kab: str
    kabupaten: str
    indikator: str
    tahun_target: int
    nilai_target: float
    tahun_dasar: int | None = None
    nilai_dasar: float | None = None
    sumber: str = ""
    #: The maintainers' note on where the target comes from (never shown to readers).
    catatan: str = ""
    #: What a reader is told about the target (Bahasa Indonesia, English).
    keterangan: str = ""
    keterangan_en: str = ""

    def __post_init__(self) -> None:
        if self.indikator not in INDICATORS:
            raise InvalidInputError(
                f"Indikator target tidak dikenal: {self.indikator} (pilih {', '.join(INDICATORS)})",
                f"Unknown target indicator: {self.indikator} (use {', '.join(INDICATORS)})",
            )


def _none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else v


def targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    """Targets from a table with ``TARGET_COLUMNS`` (e.g. ``data/targets.csv``)."""
    missing = [
        c
        for c in ("kode_kab", "indikator", "tahun_target", "nilai_target")
        if c not in frame.columns
    ]
    if missing:
        raise InvalidInputError(
            "Kolom target tidak ada: " + ", ".join(missing),
            "Target columns missing: " + ", ".join(missing),
        )
    out = []
    for rec in frame.to_dict("records"):
        td, nd = _none(rec.get("tahun_dasar")), _none(rec.get("nilai_dasar"))
        out.append(
            Target(
                kode_kab=str(rec["kode_kab"]),
                kabupaten=str(_none(rec.get("kabupaten")) or ""),
                indikator=str(rec["indikator"]),
                tahun_target=int(rec["tahun_target"]),
                nilai_target=float(rec["nilai_target"]),
                tahun_dasar=int(td) if td is not None else None,
                nilai_dasar=float(nd) if nd is not None else None,
                sumber=str(_none(rec.get("sumber")) or ""),
                catatan=str(_none(rec.get("catatan")) or ""),
                keterangan=str(_none(rec.get("keterangan")) or ""),
                keterangan_en=str(_none(rec.get("keterangan_en")) or ""),
            )
        )
    return out


def periode_to_years(periode: str) -> float:
    """``YYYY-MM`` (or ``YYYY``) as fractional years: 2025-03 -> 2025.1667."""
    text = str(periode)
    year = int(text[:4])
    month = int(text[5:7]) if len(text) >= 7 else BPS_MONTH
    return year + (month - 1) / 12.0


def observations_from_bps(bps: pd.DataFrame, kode_kab: str | None = None) -> pd.DataFrame:
    """BPS figures as observations: ``pct_miskin`` and ``jiwa_miskin`` per year (March)."""
    rows = []
    for rec in bps.to_dict("records"):
        if kode_kab is not None and str(rec["kode"]) != kode_kab:
            continue
        year = int(rec["year"])
        src = str(rec.get("source_url") or "")
        if pd.notna(rec.get("pct_poor")):
            rows.append(
                (
                    str(rec["kode"]),
                    "pct_miskin",
                    f"{year}",
                    year + (BPS_MONTH - 1) / 12,
                    float(rec["pct_poor"]),
                    "BPS " + src,
                )
            )
        if pd.notna(rec.get("n_poor_thousand")):
            rows.append(
                (
                    str(rec["kode"]),
                    "jiwa_miskin",
                    f"{year}",
                    year + (BPS_MONTH - 1) / 12,
                    round(float(rec["n_poor_thousand"]) * 1000.0),
                    "BPS " + src,
                )
            )
    return pd.DataFrame(
        rows, columns=["kode_kab", "indikator", "label_waktu", "waktu", "nilai", "sumber"]
    )


def observations_from_runs(kabupaten_by_periode: Mapping[str, Mapping]) -> pd.DataFrame:
    """DTSEN analysis results as observations.

    Parameters
    ----------
    kabupaten_by_periode
        Periode -> kabupaten indicator row (``kode_kab``, ``n_jiwa_ekstrem``,
        ``pct_jiwa_ekstrem``), e.g. ``IndicatorResult.kabupaten.iloc[0]``.
    """
    rows = []
    for periode, rec in kabupaten_by_periode.items():
        t = periode_to_years(periode)
        rows.append(
            (
                str(rec["kode_kab"]),
                "pct_miskin_ekstrem",
                periode,
                t,
                float(rec["pct_jiwa_ekstrem"]),
                "DTSEN",
            )
        )
        rows.append(
            (
                str(rec["kode_kab"]),
                "jiwa_miskin_ekstrem",
                periode,
                t,
                float(rec["n_jiwa_ekstrem"]),
                "DTSEN",
            )
        )
    return pd.DataFrame(
        rows, columns=["kode_kab", "indikator", "label_waktu", "waktu", "nilai", "sumber"]
    )


@dataclass(frozen=True)
class TargetProgress:
    """Where a kabupaten stands against one target."""

    kode_kab: str
    kabupaten: str
    indikator: str
    nilai_sekarang: float | None
    waktu_sekarang: str | None
    nilai_target: float
    tahun_target: int
    sisa_tahun: float | None
    laju_diperlukan: float | None  # units per year (negative = must fall)
    laju_teramati: float | None  # units per year
    laju_diperlukan_per_periode: float | None
    laju_teramati_per_periode: float | None
    bulan_per_periode: int
    proyeksi: float | None  # value at the target moment if the observed pace continues
    rasio_laju: float | None  # observed / needed pace
    n_observasi: int
    status: str
    sumber: str

    @property
    def sesuai_jalur(self) -> bool:
        return self.status in ("tercapai", "sesuai_jalur")

    def to_dict(self) -> dict:
        return asdict(self) | {"sesuai_jalur": self.sesuai_jalur}


def _target_moment(target: Target) -> float:
    if INDICATORS[target.indikator][3] == "bps":
        return target.tahun_target + (BPS_MONTH - 1) / 12.0
    return target.tahun_target + 11 / 12.0


def target_progress(
    target: Target,
    observations: pd.DataFrame,
    *,
    jendela_tahun: float = 5.0,
    bulan_per_periode: int = 12,
) -> TargetProgress:
    """Progress of one target from the observations of its kabupaten and indicator.

    Parameters
    ----------
    target
        The target.
    observations
        ``kode_kab``, ``indikator``, ``label_waktu``, ``waktu`` (fractional years), ``nilai``.
    jendela_tahun
        The observed pace is fitted on the observations of the last this many years.
    bulan_per_periode
        Length of the period the per-periode paces are given for (12: per year).
    """
    obs = observations[
        (observations["kode_kab"].astype(str) == target.kode_kab)
        & (observations["indikator"] == target.indikator)
    ]
    obs = obs.sort_values("waktu", kind="stable").drop_duplicates("waktu", keep="last")
    t = obs["waktu"].to_numpy(dtype=float)
    v = obs["nilai"].to_numpy(dtype=float)
    labels = obs["label_waktu"].astype(str).tolist()
    if target.tahun_dasar is not None and target.nilai_dasar is not None:
        tb = target.tahun_dasar + (
            (BPS_MONTH - 1) / 12.0 if INDICATORS[target.indikator][3] == "bps" else 0.0
        )
        if not np.any(np.abs(t - tb) < 1e-6):
            t = np.r_[tb, t]
            v = np.r_[target.nilai_dasar, v]
            labels = [f"{target.tahun_dasar}{BASELINE_MARK}"] + labels
            order = np.argsort(t, kind="stable")
            t, v, labels = t[order], v[order], [labels[i] for i in order]
    moment = _target_moment(target)
    source = "; ".join(sorted(set(obs["sumber"].astype(str)))) if len(obs) else ""
    if not len(t):
        return TargetProgress(
            target.kode_kab,
            target.kabupaten,
            target.indikator,
            None,
            None,
            target.nilai_target,
            target.tahun_target,
            None,
            None,
            None,
            None,
            None,
            bulan_per_periode,
            None,
            None,
            0,
            "data_kurang",
            source,
        )
    now_t, now_v = float(t[-1]), float(v[-1])
    decreasing = (
        target.nilai_dasar if target.nilai_dasar is not None else v[0]
    ) >= target.nilai_target
    met = now_v <= target.nilai_target if decreasing else now_v >= target.nilai_target
    left = moment - now_t
    needed = (target.nilai_target - now_v) / left if left > 0 else None
    window = t >= now_t - jendela_tahun - 1e-9
    observed = None
    if window.sum() >= 2:
        observed = float(np.polyfit(t[window], v[window], 1)[0])
    proj = now_v + observed * left if (observed is not None and left > 0) else None
    if met:
        status = "tercapai"
    elif left <= 0:
        status = "tenggat_lewat"
    elif observed is None:
        status = "data_kurang"
    else:
        assert proj is not None  # observed is set and time is left
        reach = proj <= target.nilai_target if decreasing else proj >= target.nilai_target
        status = "sesuai_jalur" if reach else "tidak_sesuai_jalur"
    ratio = observed / needed if (observed is not None and needed not in (None, 0)) else None
    per = bulan_per_periode / 12.0
    return TargetProgress(
        kode_kab=target.kode_kab,
        kabupaten=target.kabupaten,
        indikator=target.indikator,
        nilai_sekarang=now_v,
        waktu_sekarang=labels[-1],
        nilai_target=target.nilai_target,
        tahun_target=target.tahun_target,
        sisa_tahun=round(left, 3),
        laju_diperlukan=needed,
        laju_teramati=observed,
        laju_diperlukan_per_periode=needed * per if needed is not None else None,
        laju_teramati_per_periode=observed * per if observed is not None else None,
        bulan_per_periode=bulan_per_periode,
        proyeksi=proj,
        rasio_laju=ratio,
        n_observasi=int(len(t)),
        status=status,
        sumber=source,
    )


# --- text -------------------------------------------------------------------------------


def _value(x: float, indikator: str, lang: str) -> str:
    """A value of ``indikator``: ``8,40 %`` / ``8.40%`` or ``60.190 jiwa`` / ``60,190 persons``."""
    _, _, unit, _, dec = INDICATORS[indikator]
    if unit == "persen":
        return fmt_percent(x, lang, dec)
    return msg("n_jiwa", lang, n=fmt_number(x, lang, dec))


def _pace(x: float, indikator: str, lang: str) -> str:
    _, _, unit, _, dec = INDICATORS[indikator]
    return msg(
        "laju_per_tahun",
        lang,
        arah=msg("arah_turun" if x < 0 else "arah_naik", lang),
        nilai=fmt_number(abs(x), lang, max(dec, 2) if unit == "persen" else 0),
        satuan=msg("satuan_poin" if unit == "persen" else "satuan_jiwa", lang),
    )


def indicator_label(indikator: str, lang: str = "id") -> str:
    """The readable name of a target indicator."""
    return teks(INDICATORS[indikator][:2], lang)


def status_text(status: str, lang: str = "id") -> str:
    """The readable status of a target's progress."""
    return teks(STATUS_TEXT[status], lang)


def progress_text(p: TargetProgress, lang: str = "id") -> str:
    """One paragraph about a target's progress, for the meeting pack and the map page."""
    head = f"{p.kabupaten} — {indicator_label(p.indikator, lang)}"
    target = _value(p.nilai_target, p.indikator, lang)
    if p.nilai_sekarang is None:
        return msg("target_belum_ada_data", lang, head=head, target=target, tahun=p.tahun_target)
    now = _value(p.nilai_sekarang, p.indikator, lang)
    waktu = str(p.waktu_sekarang or "")
    if waktu.endswith(BASELINE_MARK):
        waktu = msg("target_dasar", lang, tahun=waktu[: -len(BASELINE_MARK)])
    elif re.fullmatch(r"\d{4}-\d{2}", waktu):
        waktu = fmt_periode(waktu, lang)  # a DTSEN periode: "Maret 2025"
    parts = [
        msg(
            "target_kepala",
            lang,
            head=head,
            now=now,
            waktu=waktu,
            target=target,
            tahun=p.tahun_target,
        )
    ]
    open_ = p.status != "tercapai"
    if p.laju_diperlukan is not None and open_:
        parts.append(msg("target_perlu", lang, laju=_pace(p.laju_diperlukan, p.indikator, lang)))
    if p.laju_teramati is not None:
        ratio = (
            msg("target_rasio", lang, pct=fmt_percent(100 * p.rasio_laju, lang, 0))
            if p.rasio_laju is not None and open_
            else ""
        )
        laju = _pace(p.laju_teramati, p.indikator, lang)
        parts.append(msg("target_teramati", lang, laju=laju, rasio=ratio))
    if p.proyeksi is not None and open_:
        nilai = _value(p.proyeksi, p.indikator, lang)
        parts.append(msg("target_proyeksi", lang, tahun=p.tahun_target, nilai=nilai))
    parts.append(msg("target_status", lang, status=status_text(p.status, lang)))
    return " ".join(parts)


def progress_table(
    targets: Iterable[Target], observations: pd.DataFrame, *, lang: str = "id", **kwargs
) -> pd.DataFrame:
    """One row per target: the numbers of :class:`TargetProgress`, ``label``,
    ``status_teks``, ``teks``, ``sumber_target`` and ``catatan_target`` (the note meant for
    readers, :attr:`Target.keterangan`, in ``lang``; ``catatan_target_id`` and
    ``catatan_target_en`` in both, so a pack can be written in another language; the
    maintainers' ``catatan`` is never shown)."""
    rows = []
    for target in targets:
        p = target_progress(target, observations, **kwargs)
        notes = (target.keterangan, target.keterangan_en or target.keterangan)
        rows.append(
            p.to_dict()
            | {
                "label": indicator_label(target.indikator, lang),
                "status_teks": status_text(p.status, lang),
                "teks": progress_text(p, lang),
                "sumber_target": target.sumber,
                "catatan_target": teks(notes, lang),
                "catatan_target_id": notes[0],
                "catatan_target_en": notes[1],
            }
        )
    return pd.DataFrame(rows)


def progress_report(table: pd.DataFrame, lang: str = "id") -> str:
    """Plain-text section for the TKPK meeting pack (one paragraph per target)."""
    title = msg("target_judul", lang)
    lines = [title, "=" * len(title), ""]
    for rec in table.to_dict("records"):
        lines.append("- " + rec["teks"])
        if rec.get("sumber_target"):
            lines.append("  " + msg("target_sumber", lang, sumber=rec["sumber_target"]))
        if rec.get("catatan_target"):
            lines.append("  " + msg("target_keterangan", lang, keterangan=rec["catatan_target"]))
    return "\n".join(lines) + "\n"
