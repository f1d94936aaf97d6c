"""Languages: Bahasa Indonesia by default, English complete as an option.

The shared message catalogue (:data:`MESSAGES`, :func:`msg`), the one selector of a
module's ``{"id": ..., "en": ...}`` text table (:func:`pick`), and the language of a
request (``?lang=en`` or ``Accept-Language``). No web framework is imported here: this is
the lowest layer.
"""

from __future__ import annotations

from collections.abc import Mapping
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
