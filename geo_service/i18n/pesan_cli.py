"""Messages of the command line (``geo-service ...``): ``key -> (Bahasa Indonesia,
English)`` (:func:`geo_service.i18n.msg`)."""

from __future__ import annotations

CLI: dict[str, tuple[str, str]] = {
    "impor_ringkas": (
        "{baris} baris, {sah} disimpan, {ditolak} ditolak, {masalah} masalah",
        "{baris} rows, {sah} stored, {ditolak} rejected, {masalah} problems",
    ),
}
