"""Keys of the identity vault and the pseudonyms, the vault itself, and who asks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from geo_service.analysis.pseudonim import check_key, key_fingerprint
from geo_service.db.repo import identitas as repo
from geo_service.db.repo.audit import append_audit
from geo_service.db.repo.common import Scope
from geo_service.errors import InvalidInputError, KunciError
from geo_service.settings import Settings

JENIS_PSEUDONIM = "pseudonim"
JENIS_BRANKAS = "brankas"
FULL_ROLES = ("admin", "analis")
PENDAMPING = "pendamping"
SIDIK_LEN = 16
# Columns a named field list adds to the sample list (after the pseudonymous ones).
NAME_COLUMNS: tuple[str, ...] = ("nama_kk", "nik", "no_kk", "alamat", "dusun", "rt", "rw")


@dataclass(frozen=True)
class Pemohon:
    """Who asks (the API's principal or the CLI operator), in service terms."""

    peran: str
    scope: Scope
    pengguna_id: int | None = None
    aktor: str | None = None

    @classmethod
    def cli(cls, aktor: str = "cli") -> Pemohon:
        """The operator at the command line: administrator over every kabupaten."""
        return cls(peran="admin", scope=Scope.all(), pengguna_id=None, aktor=aktor)


# --- keys -----------------------------------------------------------------------------


def _secret(value: Any, path: Path | None) -> bytes | None:
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if raw:
        return str(raw).strip().encode()
    if path is not None and str(path) not in ("", "."):  # an empty variable means unset
        p = Path(path)
        if not p.is_file():
            raise KunciError(f"Berkas kunci tidak ditemukan: {p}", f"Key file not found: {p}")
        return p.read_bytes().strip()
    return None


def pseudonym_key(settings: Settings) -> bytes:
    """The pseudonym key from the settings; :class:`KunciError` when missing or short."""
    cfg = settings.identitas
    return check_key(_secret(cfg.pseudonym_key, cfg.pseudonym_key_file), "pseudonim")


@dataclass(frozen=True)
class Brankas:
    """The vault's keys: the first encrypts, all decrypt (key rotation)."""

    keys: tuple[bytes, ...]

    @property
    def fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in self.keys])

    @property
    def sidik(self) -> str:
        """Fingerprint (prefix) of the encrypting key."""
        return key_fingerprint(self.keys[0])[:SIDIK_LEN]

    @property
    def sidik_semua(self) -> set[str]:
        return {key_fingerprint(k)[:SIDIK_LEN] for k in self.keys}

    def seal(self, record: dict[str, Any]) -> bytes:
        data = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
        return self.fernet.encrypt(data)

    def open(self, token: bytes) -> dict[str, Any]:
        try:
            return json.loads(self.fernet.decrypt(token))
        except InvalidToken as exc:
            raise KunciError(
                "Kunci brankas identitas salah: data identitas tidak dapat dibuka.",
                "Wrong identity vault key: the identity data cannot be opened.",
            ) from exc


def vault(settings: Settings) -> Brankas:
    """The vault keys from the settings (comma- or line-separated Fernet keys)."""
    cfg = settings.identitas
    raw = _secret(cfg.vault_key, cfg.vault_key_file)
    if not raw:
        raise KunciError(
            "Kunci brankas identitas belum diatur (GEO_VAULT_KEY atau GEO_VAULT_KEY_FILE). "
            "Identitas tidak disimpan atau dibaca tanpa kunci.",
            "The identity vault key is not set (GEO_VAULT_KEY or GEO_VAULT_KEY_FILE). "
            "Identities are neither stored nor read without a key.",
        )
    keys = tuple(
        k.strip().encode()
        for line in raw.decode().splitlines()
        for k in line.split(",")
        if k.strip() and not k.strip().startswith("#")
    )
    for k in keys:
        try:
            Fernet(k)
        except ValueError as exc:
            raise KunciError(
                "Kunci brankas identitas tidak sah: harus kunci Fernet (32 byte, base64 URL). "
                "Buat dengan: geo-service identitas kunci-baru",
                "The identity vault key is malformed: it must be a Fernet key (32 bytes, "
                "URL-safe base64). Make one with: geo-service identitas kunci-baru",
            ) from exc
    return Brankas(keys)


def new_keys() -> dict[str, str]:
    """Fresh keys for a key file: a pseudonym key and a vault key."""
    return {
        "GEO_PSEUDONYM_KEY": Fernet.generate_key().decode(),
        "GEO_VAULT_KEY": Fernet.generate_key().decode(),
    }


def check_pseudonym_key(conn: Connection, key: bytes) -> None:
    """Refuse a pseudonym key other than the one the stored ids were made with."""
    sidik = key_fingerprint(key)
    stored = repo.key_fingerprint(conn, JENIS_PSEUDONIM)
    if stored is None:
        repo.set_key_fingerprint(conn, JENIS_PSEUDONIM, sidik)
    elif stored != sidik:
        raise KunciError(
            "Kunci pseudonim berbeda dari kunci yang membuat id_keluarga yang tersimpan: "
            "keluarga yang sama akan mendapat id lain. Pakai kunci yang benar.",
            "The pseudonym key differs from the key the stored id_keluarga were made with: "
            "the same family would get another id. Use the right key.",
        )


def check_vault(conn: Connection, brankas: Brankas) -> None:
    stored = repo.key_fingerprint(conn, JENIS_BRANKAS)
    if stored is None:
        repo.set_key_fingerprint(conn, JENIS_BRANKAS, brankas.sidik)
    elif stored not in brankas.sidik_semua:
        raise KunciError(
            "Kunci brankas identitas salah: identitas tersimpan dienkripsi dengan kunci lain.",
            "Wrong identity vault key: the stored identities were encrypted with another key.",
        )


def audit_row(conn: Connection | Session, who: Pemohon, aksi: str, **values: Any) -> None:
    """One audit row for ``who`` (never an identity in it)."""
    append_audit(conn, aksi=aksi, pengguna_id=who.pengguna_id, aktor=who.aktor, **values)


def require_purpose(tujuan: str | None) -> str:
    """The stated purpose (or reason) of opening or erasing identities, as the audit row
    keeps it: at least 3 characters, long numbers masked."""
    t = (tujuan or "").strip()
    if len(t) < 3:
        raise InvalidInputError(
            "Sebutkan tujuan membuka identitas (mis. 'uji petik desa X'); dicatat di log audit.",
            "State the purpose of opening identities (e.g. 'ground check desa X'); it is "
            "recorded in the audit log.",
        )
    # The audit row never holds an identity: a NIK/KK typed into the purpose is masked.
    return re.sub(r"\d{12,}", "[nomor]", t)[:200]
