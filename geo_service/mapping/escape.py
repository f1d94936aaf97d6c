"""HTML-escaping of the values a map page shows: folium's GeoJsonTooltip and popups build
their HTML from feature properties with ``innerHTML``, so every text property is escaped
before it goes into the page (a desa named ``<img src=x onerror=...>`` stays text)."""

from __future__ import annotations

import html

import pandas as pd


def escape_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text value HTML-escaped (geometry and numbers kept)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if col == "geometry" or not (
            pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
        ):
            continue
        out[col] = s.map(lambda v: html.escape(v) if isinstance(v, str) else v)
    return out
