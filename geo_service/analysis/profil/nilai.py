"""Cell values as the contract wants them: text, codes, periode, coordinates, desil, flags.

The validator (:mod:`geo_service.analysis.validate`) judges the result; these only rewrite
what sources commonly write differently and leave anything else for its report.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # type only: the profile module imports this one
    from geo_service.analysis.profil.definisi import Profil

_EXCEL_EPOCH = datetime(1899, 12, 30)
_MONTHS = {
    "JAN": 1, "JANUARI": 1, "JANUARY": 1, "FEB": 2, "FEBRUARI": 2, "FEBRUARY": 2,
    "MAR": 3, "MARET": 3, "MARCH": 3, "APR": 4, "APRIL": 4, "MEI": 5, "MAY": 5,
    "JUN": 6, "JUNI": 6, "JUNE": 6, "JUL": 7, "JULI": 7, "JULY": 7, "AGU": 8, "AGS": 8,
    "AGUSTUS": 8, "AUG": 8, "AUGUST": 8, "SEP": 9, "SEPT": 9, "SEPTEMBER": 9, "OKT": 10,
    "OKTOBER": 10, "OCT": 10, "OCTOBER": 10, "NOV": 11, "NOVEMBER": 11, "DES": 12,
    "DESEMBER": 12, "DEC": 12, "DECEMBER": 12,
}  # fmt: skip


def norm_value(v: Any) -> str:
    return re.sub(r"\s+", " ", str(v)).strip().upper()


def as_text(values: pd.Series) -> pd.Series:
    """Raw cells as text the validator reads: whole floats without ".0", empty = missing."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return pd.NA
        if isinstance(v, bool | np.bool_):
            return "1" if v else "0"
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, datetime | date | pd.Timestamp):
            return v.isoformat()
        s = str(v).strip()
        return s if s else pd.NA

    return values.map(one).astype("string")


def kode_titik(kode10: pd.Series) -> pd.Series:
    """10-digit Kemendagri codes (``3324012001``) as dotted codes (``33.24.01.2001``);
    anything else stays as it is (the validator then reports its format)."""
    s = kode10.astype("string").str.replace(r"[\s.']", "", regex=True)
    ok = s.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    dotted = s.str[0:2] + "." + s.str[2:4] + "." + s.str[4:6] + "." + s.str[6:10]
    return dotted.where(ok, kode10.astype("string"))


def kode_10(titik: pd.Series) -> pd.Series:
    """Dotted codes as 10 digits (OpenSID's ``kode_desa``)."""
    return titik.astype("string").str.replace(".", "", regex=False)


def periode_text(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` from dates as sources write them: Excel dates (cells or serial numbers
    such as 45717), ISO dates, ``dd/mm/yyyy``, ``mm/yyyy``, ``Maret 2025``. Anything else
    stays as it is for the validator's ``periode_salah_format``."""

    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, datetime | date | pd.Timestamp):
            return f"{v.year:04d}-{v.month:02d}"
        if isinstance(v, int | float | np.integer | np.floating) and 20000 < float(v) < 80000:
            d = _EXCEL_EPOCH + timedelta(days=float(v))
            return f"{d.year:04d}-{d.month:02d}"
        s = str(v).strip()
        if re.fullmatch(r"\d{5}(\.0+)?", s) and 20000 < float(s) < 80000:
            d = _EXCEL_EPOCH + timedelta(days=float(s))
            return f"{d.year:04d}-{d.month:02d}"
        m = re.fullmatch(r"(\d{4})-(\d{1,2})(-\d{1,2}([ T].*)?)?", s)
        if m:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)  # dd/mm/yyyy
        if m:
            return f"{int(m.group(3)):04d}-{int(m.group(2)):02d}"
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", s)  # mm/yyyy
        if m:
            return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
        m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{4})", s)
        if m and m.group(1).upper() in _MONTHS:
            return f"{int(m.group(2)):04d}-{_MONTHS[m.group(1).upper()]:02d}"
        return s if s else pd.NA

    return values.map(one).astype("string")


def coordinate_text(values: pd.Series) -> pd.Series:
    s = as_text(values)
    return s.str.replace(",", ".", regex=False).str.replace("\u2212", "-", regex=False)


def desil_text(values: pd.Series, profil: Profil) -> pd.Series:
    s = as_text(values)
    if profil.desil_nilai:
        mapped = s.map(lambda v: profil.desil_nilai.get(norm_value(v)) if v is not pd.NA else v)
        s = mapped.astype("string").fillna(s)
    if profil.desil_pola:
        got = s.str.extract(profil.desil_pola, expand=False, flags=re.IGNORECASE)
        s = got.astype("string").fillna(s)
    return s


def flag_text(values: pd.Series, profil: Profil) -> pd.Series:
    s = as_text(values)
    up = s.map(norm_value, na_action="ignore")
    out = s.copy()
    out[up.isin(profil.ya).fillna(False).astype(bool)] = "1"
    out[up.isin(profil.tidak).fillna(False).astype(bool)] = "0"
    return out  # anything else stays: the validator reports nilai_biner_tidak_valid
