"""Domain errors. No HTTP here: the API maps each type to a status in one table.

Every error carries a user message in Bahasa Indonesia and English and an optional
log detail that is never shown to users.
"""

from __future__ import annotations

from typing import Any


class GeoServiceError(Exception):
    """Base of all domain errors."""

    code = "kesalahan"

    def __init__(self, pesan: str, message: str | None = None, *, detail: Any = None) -> None:
        super().__init__(pesan)
        self.pesan = pesan
        self.message = message or pesan
        self.detail = detail

    def text(self, lang: str = "id") -> str:
        """The user message in ``lang`` ("id" or "en"). This compares the language itself:
        errors is the same layer as i18n and may not import it (lint-imports)."""
        return self.message if lang == "en" else self.pesan


class InvalidInputError(GeoServiceError):
    """Input rows or files break the contract; ``detail`` holds the row report."""

    code = "input_tidak_valid"


class BoundaryError(GeoServiceError):
    """A boundary file cannot be used (no CRS, no codes, unreadable)."""

    code = "batas_wilayah_tidak_valid"


class NotFoundError(GeoServiceError):
    """A kabupaten, periode, run or file that does not exist."""

    code = "tidak_ditemukan"


class DuplicateError(GeoServiceError):
    """The same thing already exists (e.g. a file imported before)."""

    code = "duplikat"


class TooLargeError(GeoServiceError):
    """An upload or archive is larger than allowed."""

    code = "terlalu_besar"


class AccessDeniedError(GeoServiceError):
    """The caller may not see or change this."""

    code = "akses_ditolak"


class KunciError(GeoServiceError):
    """A secret key (pseudonym or identity vault) is missing, malformed or not the one the
    stored data was made with. Never answered with plaintext or a silent fallback."""

    code = "kunci_tidak_valid"
