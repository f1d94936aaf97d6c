"""Languages: Bahasa Indonesia by default, English complete as an option.

The shared message catalogue (:data:`MESSAGES`, :func:`msg`), the one selector of a
module's ``{"id": ..., "en": ...}`` text table (:func:`pick`), and the language of a
request (``?lang=en`` or ``Accept-Language``). No web framework is imported here: this is
the lowest layer.

Numbers, percentages and dates a person reads go through ONE formatter here
(:func:`fmt_number`, :func:`fmt_int`, :func:`fmt_percent`, :func:`fmt_date`,
:func:`fmt_periode`, :func:`fmt_value`), used by the CLI, the API texts, the maps, the PDF
and the XLSX: Bahasa Indonesia ``6.838``, ``40,2 %``, ``29 November 2026``; English
``6,838``, ``40.2%``, ``29 November 2026``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

Lang = Literal["id", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    "tidak_terautentikasi": (
        "Perlu login: kirim token Bearer atau kunci API.",
        "Authentication required: send a Bearer token or an API key.",
    ),
    "token_tidak_valid": (
        "Token atau kunci API tidak valid atau kedaluwarsa.",
        "Token or API key is invalid or expired.",
    ),
    "login_gagal": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "peran_ditolak": ("Peran Anda tidak boleh mengakses ini.", "Your role may not access this."),
    "kabupaten_ditolak": (
        "Anda tidak punya akses ke kabupaten ini.",
        "You have no access to this kabupaten.",
    ),
    "geografi_ditolak": (
        "Peran publik hanya melihat satu jenis wilayah ({geo}).",
        "The public role sees one geography family only ({geo}).",
    ),
    "input_tidak_valid": ("Masukan tidak valid.", "Invalid input."),
    "tidak_ditemukan": ("Tidak ditemukan.", "Not found."),
    "terlalu_besar": (
        "Berkas terlalu besar (maksimal {max} byte).",
        "File too large (at most {max} bytes).",
    ),
    "kesalahan_server": ("Terjadi kesalahan pada server.", "Internal server error."),
    "belum_ada_hasil": (
        "Belum ada hasil analisis untuk kabupaten {kab} periode {periode}.",
        "No analysis results for kabupaten {kab} periode {periode} yet.",
    ),
    "format_tidak_dikenal": ("Format tidak dikenal: {fmt}.", "Unknown format: {fmt}."),
}


def negotiate(query_lang: str | None, accept_language: str | None) -> Lang:
    """``query_lang`` wins; else the first of id/en in ``Accept-Language`` by weight; else id."""
    if query_lang:
        return "en" if query_lang.lower().startswith("en") else "id"
    if not accept_language:
        return "id"
    best: tuple[float, Lang] | None = None
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        lang: Lang | None = (
            "en" if tag.startswith("en") else ("id" if tag.startswith(("id", "in")) else None)
        )
        if lang and q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else "id"


def request_lang(request: Any) -> Lang:
    """The language of ``request`` (anything with ``query_params`` and ``headers``, such as
    a Starlette request)."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def msg(key: str, lang: str, **kwargs) -> str:
    """A user message in ``lang``."""
    pesan, message = MESSAGES[key]
    return (message if lang == "en" else pesan).format(**kwargs)


def pick(table: Mapping[str, Any], lang: str) -> Any:
    """The ``lang`` entry of a ``{"id": ..., "en": ...}`` text table; anything but ``en``
    gives Bahasa Indonesia."""
    return table["en" if lang == "en" else "id"]


# ------------------------------------------------------------------------- numbers, dates

#: Thousands and decimal separators per language.
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
