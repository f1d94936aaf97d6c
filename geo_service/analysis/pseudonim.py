"""Pseudonyms for families: ``id_keluarga`` as a keyed hash of the family-card number.

Pure functions: the key is always passed in (the services load it from the settings), no
files, no database. NIK and family-card (KK) numbers are 16 digits; a value that is not
exactly 16 digits is not a number this module hashes (it is reported instead).

``id_keluarga = "DTSEN-HK-" + first 24 hex digits of HMAC-SHA-256(key, "kk:" + no_kk)``
(or ``"nik:" + nik`` of the head when a row has no valid KK number). The same family gets
the same id in every periode and in an OpenSID file; without the key nobody can compute it
from a NIK (16 digits are only ~10^16 values: an unkeyed hash would be reversible by trying
them all).
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from geo_service.errors import KunciError

ID_PREFIX = "DTSEN-HK-"
ID_HEX = 24  # 96 bits: collisions are negligible for any national family count
MIN_KEY_BYTES = 32
_SIDIK_INFO = b"geo_service:sidik-kunci:v1"


def check_key(key: bytes | None, what: str = "pseudonim") -> bytes:
    """The key itself, or :class:`KunciError` when it is missing or too short."""
    if not key:
        raise KunciError(
            f"Kunci {what} belum diatur (GEO_PSEUDONYM_KEY atau GEO_PSEUDONYM_KEY_FILE). "
            "Data identitas tidak diproses tanpa kunci.",
            f"The {what} key is not set (GEO_PSEUDONYM_KEY or GEO_PSEUDONYM_KEY_FILE). "
            "Identity data is not processed without a key.",
        )
    if len(key) < MIN_KEY_BYTES:
        raise KunciError(
            f"Kunci {what} terlalu pendek: minimal {MIN_KEY_BYTES} byte acak.",
            f"The {what} key is too short: at least {MIN_KEY_BYTES} random bytes.",
        )
    return key


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of a key (HMAC of a constant): tells keys apart, reveals nothing."""
    return hmac.new(check_key(key), _SIDIK_INFO, hashlib.sha256).hexdigest()


def nomor_16(values: pd.Series) -> pd.Series:
    """NIK/KK numbers as 16-digit text; anything else (wrong length, all zeros, a number
    Excel rounded to 15 significant digits, empty) becomes missing.

    Invisible characters, spaces, dots and the leading apostrophe Excel users type to keep
    a number as text are removed first (as OpenSID does on import).
    """
    s = values.astype("string").str.replace(r"\D", "", regex=True)
    ok = s.str.fullmatch(r"\d{16}").fillna(False).astype(bool) & (s != "0" * 16)
    return s.where(ok, pd.NA)


def pseudonym(values: pd.Series, key: bytes | None, *, jenis: str = "kk") -> pd.Series:
    """``id_keluarga`` for each 16-digit number (missing stays missing).

    ``jenis`` ("kk" or "nik") keeps the two number spaces apart.
    """
    if jenis not in ("kk", "nik"):
        raise ValueError(f"jenis must be 'kk' or 'nik', not {jenis!r}")
    key = check_key(key)
    nomor = nomor_16(values)
    out = np.full(len(nomor), None, dtype=object)
    for i, v in enumerate(nomor.tolist()):
        if v is not None and v is not pd.NA:
            digest = hmac.new(key, f"{jenis}:{v}".encode(), hashlib.sha256).hexdigest()
            out[i] = ID_PREFIX + digest[:ID_HEX].upper()
    return pd.Series(out, index=values.index, dtype="string")


def family_pseudonym(no_kk: pd.Series, nik: pd.Series | None, key: bytes | None) -> pd.Series:
    """The family id from its KK number, else from the head's NIK, else missing."""
    ids = pseudonym(no_kk, key, jenis="kk")
    if nik is not None:
        ids = ids.fillna(pseudonym(nik, key, jenis="nik"))
    return ids
