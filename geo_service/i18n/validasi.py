"""Validation details (Pydantic error types) as a person reads them, in both languages
(:func:`geo_service.i18n.validation_message`)."""

from __future__ import annotations

#: Pydantic error types as a person reads them (``{...}`` filled from the error's ``ctx``).
VALIDATION: dict[str, tuple[str, str]] = {
    "missing": ("Wajib diisi.", "Field required."),
    "string_type": ("Harus berupa teks.", "Must be text."),
    "string_too_short": ("Terlalu pendek: minimal {min_length} karakter.", "Too short: at least {min_length} characters."),
    "string_too_long": ("Terlalu panjang: maksimal {max_length} karakter.", "Too long: at most {max_length} characters."),
    "string_pattern_mismatch": ("Bentuknya tidak sesuai (pola {pattern}).", "Does not match the pattern {pattern}."),
    "int_parsing": ("Harus bilangan bulat.", "Must be a whole number."),
    "int_type": ("Harus bilangan bulat.", "Must be a whole number."),
    "int_from_float": ("Harus bilangan bulat.", "Must be a whole number."),
    "float_parsing": ("Harus berupa angka.", "Must be a number."),
    "float_type": ("Harus berupa angka.", "Must be a number."),
    "bool_parsing": ("Harus ya/tidak (true/false).", "Must be true or false."),
    "greater_than": ("Harus lebih dari {gt}.", "Must be greater than {gt}."),
    "greater_than_equal": ("Harus paling sedikit {ge}.", "Must be at least {ge}."),
    "less_than": ("Harus kurang dari {lt}.", "Must be less than {lt}."),
    "less_than_equal": ("Harus paling banyak {le}.", "Must be at most {le}."),
    "literal_error": ("Harus salah satu dari: {expected}.", "Must be one of: {expected}."),
    "enum": ("Harus salah satu dari: {expected}.", "Must be one of: {expected}."),
    "json_invalid": ("JSON tidak valid.", "Invalid JSON."),
    "model_attributes_type": ("Harus berupa objek.", "Must be an object."),
    "dict_type": ("Harus berupa objek.", "Must be an object."),
    "list_type": ("Harus berupa daftar.", "Must be a list."),
    "date_parsing": ("Harus tanggal (YYYY-MM-DD).", "Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": ("Harus tanggal (YYYY-MM-DD).", "Must be a date (YYYY-MM-DD)."),
    "value_error": ("Nilai tidak valid: {error}", "Invalid value: {error}"),
    "extra_forbidden": ("Isian ini tidak dikenal.", "Unknown field."),
}  # fmt: skip
