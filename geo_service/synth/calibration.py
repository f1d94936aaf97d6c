"""BPS figures a synthetic kabupaten is calibrated to: the published ones where
``data/bps_poverty_figures.csv`` has them, documented national defaults otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Calibration:
    """BPS figures a synthetic kabupaten is calibrated to."""

    kode_kab: str
    nama: str
    tahun_p0: int
    p0: float  # percent of persons below the poverty line
    tahun_garis: int
    garis_kemiskinan: float  # Rp per person per month
    sumber: str = ""
    bawaan: bool = False  # True: national defaults, no published figure for the kabupaten


# Defaults for a kabupaten without figures in ``data/bps_poverty_figures.csv`` (any of the
# 514 of the national desa layer): the national figures of BPS for March 2025 (Berita Resmi
# Statistik "Profil Kemiskinan di Indonesia Maret 2025"): P0 8.47 % of persons, poverty
# line Rp 609,160 per person per month. A synthetic kabupaten made with them looks like an
# average Indonesian one, not like the real kabupaten; ``truth.json`` says so (``bawaan``).
NATIONAL_P0 = 8.47
NATIONAL_GARIS_KEMISKINAN = 609_160.0
NATIONAL_TAHUN = 2025
NATIONAL_SUMBER = (
    "BPS, Profil Kemiskinan di Indonesia Maret 2025 (angka nasional, bawaan untuk kabupaten "
    "tanpa angka BPS di data/bps_poverty_figures.csv)"
)


def calibration_for(bps: pd.DataFrame, kode_kab: str, *, nama: str | None = None) -> Calibration:
    """BPS figures of ``kode_kab`` when published in ``bps``, else the national defaults."""
    try:
        return calibration_from_bps(bps, kode_kab)
    except KeyError:
        return Calibration(
            kode_kab=kode_kab,
            nama=nama or kode_kab,
            tahun_p0=NATIONAL_TAHUN,
            p0=NATIONAL_P0,
            tahun_garis=NATIONAL_TAHUN,
            garis_kemiskinan=NATIONAL_GARIS_KEMISKINAN,
            sumber=NATIONAL_SUMBER,
            bawaan=True,
        )


def calibration_from_bps(bps: pd.DataFrame, kode_kab: str) -> Calibration:
    """Latest P0 and latest poverty line published for ``kode_kab`` in the BPS table."""
    rows = bps[bps["kode"].astype(str) == kode_kab]
    if rows.empty:
        raise KeyError(kode_kab)
    with_p0 = rows.dropna(subset=["pct_poor"]).sort_values("year")
    with_line = rows.dropna(subset=["poverty_line_rp"]).sort_values("year")
    if with_p0.empty or with_line.empty:
        raise KeyError(kode_kab)
    p0_row, line_row = with_p0.iloc[-1], with_line.iloc[-1]
    return Calibration(
        kode_kab=kode_kab,
        nama=str(p0_row["kab"]),
        tahun_p0=int(p0_row["year"]),
        p0=float(p0_row["pct_poor"]),
        tahun_garis=int(line_row["year"]),
        garis_kemiskinan=float(line_row["poverty_line_rp"]),
        sumber=str(p0_row["source_url"]),
    )
