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

from collections.abc import Mapping
from typing import Any, Literal

from geo_service.i18n.angka import (
    EMPTY,
    MONTHS,
    SEPARATORS,
    YES_NO,
    _lang,
    decimals_for,
    fmt_date,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_periode,
    fmt_value,
    pocket_label,
)
from geo_service.i18n.halaman import HALAMAN
from geo_service.i18n.kolom import COLUMNS
from geo_service.i18n.pesan import MESSAGES
from geo_service.i18n.validasi import VALIDATION

Lang = Literal["id", "en"]

__all__ = [
    "COLUMNS",
    "EMPTY",
    "HALAMAN",
    "MESSAGES",
    "MONTHS",
    "SEPARATORS",
    "VALIDATION",
    "YES_NO",
    "Lang",
    "column_description",
    "column_header",
    "decimals_for",
    "fmt_date",
    "fmt_int",
    "fmt_number",
    "fmt_p",
    "fmt_percent",
    "fmt_periode",
    "fmt_value",
    "msg",
    "negotiate",
    "pick",
    "pocket_label",
    "request_lang",
    "teks",
    "validation_message",
]


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
    return (message if _lang(lang) == "en" else pesan).format(**kwargs)


def teks(pair: tuple[str, str] | tuple[str, str, Any], lang: str, **kwargs) -> str:
    """The ``lang`` text of a ``(Bahasa Indonesia, English)`` pair of a module's own table,
    filled with ``kwargs`` when given (the one place such pairs are chosen)."""
    text = str(pair[1] if _lang(lang) == "en" else pair[0])
    return text.format(**kwargs) if kwargs else text


def pick(table: Mapping[str, Any], lang: str) -> Any:
    """The ``lang`` entry of a ``{"id": ..., "en": ...}`` text table; anything but ``en``
    gives Bahasa Indonesia."""
    return table["en" if lang == "en" else "id"]


def column_header(col: str, lang: str = "id") -> str:
    """The header of column ``col`` in ``lang`` (the name itself when not catalogued)."""
    entry = COLUMNS.get(col)
    return entry[1 if _lang(lang) == "en" else 0] if entry else col


def column_description(col: str, lang: str = "id") -> str:
    """What column ``col`` means, in ``lang`` (empty when not catalogued)."""
    entry = COLUMNS.get(col)
    return entry[3 if _lang(lang) == "en" else 2] if entry else ""


def validation_message(kind: str, ctx: Mapping[str, Any] | None, lang: str, fallback: str) -> str:
    """The detail of one validation error in ``lang`` (``fallback``: the validator's own
    English text, used in English for unknown kinds; Bahasa Indonesia gets a general
    sentence then)."""
    entry = VALIDATION.get(kind)
    if entry is None:
        return fallback if _lang(lang) == "en" else f"Nilai tidak valid ({kind})."
    try:
        return entry[1 if _lang(lang) == "en" else 0].format(**dict(ctx or {}))
    except (KeyError, IndexError):
        return entry[1 if _lang(lang) == "en" else 0].split(":")[0].rstrip(".") + "."
