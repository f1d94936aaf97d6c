"""Numbers, percentages and dates as people read them: the ONE formatter of the service
(Bahasa Indonesia ``6.838``, ``40,2 %``; English ``6,838``, ``40.2%``)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

SEPARATORS: dict[str, tuple[str, str]] = {"id": (".", ","), "en": (",", ".")}

MONTHS: dict[str, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

#: Yes/no as a person reads them.
YES_NO: dict[str, tuple[str, str]] = {"id": ("ya", "tidak"), "en": ("yes", "no")}

#: What an empty (missing or suppressed) value shows.
EMPTY = "-"


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "id"


def _missing(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or (
            not isinstance(value, str | int | float) and value != value
        )
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as Python ones."""
    if hasattr(value, "item") and not isinstance(value, str | int | float):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def fmt_number(value: Any, lang: str = "id", decimals: int = 0) -> str:
    """``value`` with the thousands and decimal separators of ``lang`` and ``decimals``
    decimals: ``fmt_number(6838, "id") == "6.838"``, ``fmt_number(1234.5, "en", 1) ==
    "1,234.5"``. Missing values give ``"-"``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    thousands, decimal = SEPARATORS[_lang(lang)]
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,}"
    if text in ("-0", "-0.0") or (text.startswith("-") and float(text.replace(",", "")) == 0):
        text = text[1:]
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def fmt_int(value: Any, lang: str = "id") -> str:
    """A count: ``6.838`` / ``6,838``."""
    return fmt_number(value, lang, 0)


def fmt_percent(value: Any, lang: str = "id", decimals: int = 1) -> str:
    """A percentage given in percent units: ``40,2 %`` / ``40.2%``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    text = fmt_number(value, lang, decimals)
    return f"{text}%" if _lang(lang) == "en" else f"{text} %"


def fmt_p(value: Any, lang: str = "id") -> str:
    """A p-value: ``p < 0,0001`` below 1e-4 (the scan reports down to 1e-17, which no reader
    needs), else two significant digits, ``p = 0,0032`` / ``p = 0.0032``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    p = float(value)
    if p < 1e-4:
        return "p < " + fmt_number(0.0001, lang, 4)
    decimals = max(2, 1 - math.floor(math.log10(p)))
    return "p = " + fmt_number(p, lang, decimals)


def fmt_date(value: date | datetime | str | None, lang: str = "id") -> str:
    """A date in words: ``29 November 2026`` (both languages; month names per language).
    ISO strings are accepted."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        value = datetime.fromisoformat(value[:10])
    return f"{value.day} {MONTHS[_lang(lang)][value.month - 1]} {value.year}"


def fmt_periode(periode: str | None, lang: str = "id") -> str:
    """A DTSEN periode ``YYYY-MM`` in words: ``Maret 2025`` / ``March 2025`` (anything else
    as given)."""
    if not periode:
        return EMPTY
    try:
        year, month = str(periode).split("-")[:2]
        return f"{MONTHS[_lang(lang)][int(month) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return str(periode)


def decimals_for(value: float) -> int:
    """How many decimals a number shows when nothing else is known: whole numbers none,
    small fractions 3, the rest 1."""
    if float(value).is_integer():
        return 0
    return 3 if abs(value) < 1 else 1


def fmt_value(value: Any, lang: str = "id", *, column: str | None = None) -> str:
    """Any table value as text: counts, percentages (columns starting ``pct``), scores,
    booleans, lists; missing values ``"-"``."""
    value = _plain(value)
    if isinstance(value, str):
        return value
    if _missing(value):
        return EMPTY
    if isinstance(value, bool):
        yes, no = YES_NO[_lang(lang)]
        return yes if value else no
    if isinstance(value, int):
        return fmt_int(value, lang)
    if isinstance(value, float):
        if column and column.startswith("pct"):
            return fmt_percent(value, lang)
        if column and (column.startswith("n_") or column in ("peringkat", "nomor")):
            return fmt_int(value, lang)
        return fmt_number(value, lang, decimals_for(value))
    if isinstance(value, date | datetime):
        return fmt_date(value, lang)
    if isinstance(value, list | tuple):
        return "; ".join(fmt_value(v, lang) for v in value)
    return str(value)


def pocket_label(nomor: Any, kantong_id: Any, lang: str = "id") -> str:
    """The one name of a pocket in tables, maps and texts: its number and its stable id,
    ``Kantong 3 (K-7b05904ebf)`` / ``Pocket 3 (K-7b05904ebf)``."""
    word = "Pocket" if _lang(lang) == "en" else "Kantong"
    nomor = _plain(nomor)
    num = "?" if _missing(nomor) else str(int(nomor))
    return f"{word} {num} ({kantong_id})" if kantong_id else f"{word} {num}"
