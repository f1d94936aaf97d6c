"""Neutralising spreadsheet cells (OWASP "CSV injection"): one helper for every CSV and XLSX
writer (api/formats, io/export, io/report).

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by
spreadsheet programs as a formula (``=HYPERLINK(...)``, ``=cmd|...``, DDE); it gets a leading
apostrophe so it stays text. Numbers written as text (``-5``, ``+62 812``) are left alone,
and so is a lone ``-`` (the missing-value mark). openpyxl stores a string starting with ``=``
as a formula, so XLSX cells from data go through the same function.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBERISH = re.compile(r"^[+-]?[\d\s.,]+%?$")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would evaluate."""
    if not isinstance(value, str) or not value or value[0] not in FORMULA_START:
        return value
    if value == "-" or _NUMBERISH.match(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (numbers untouched)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if col == "geometry" or not (
            pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
        ):
            continue
        out[col] = s.map(neutralise, na_action="ignore")
    return out
