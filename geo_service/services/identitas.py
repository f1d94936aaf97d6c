"""Identities of families (UU PDP 27/2022): keys, the encrypted vault, who may read it,
field lists with names, erasure and retention.

- **Keys.** The pseudonym key (``GEO_PSEUDONYM_KEY`` or ``GEO_PSEUDONYM_KEY_FILE``) makes
  ``id_keluarga`` from a KK number (:mod:`geo_service.analysis.pseudonim`); the vault key(s)
  (``GEO_VAULT_KEY`` or ``GEO_VAULT_KEY_FILE``: Fernet keys, the first encrypts, the others
  only decrypt until :func:`rotate_vault_key` has re-encrypted everything) protect the
  identities. Neither is ever stored in the database or logged: the database keeps a
  fingerprint of each (HMAC of a constant), so another key is refused with a clear
  :class:`~geo_service.errors.KunciError` instead of giving other ids or unreadable rows.
- **Vault.** One encrypted token per family (name, NIK, KK number, address) in
  ``identitas_keluarga``; nothing else in the package reads that table.
- **Reading.** Only ``admin`` and ``analis`` (their kabupaten) and ``pendamping`` (the desa
  of their own sample) get names, and only with a stated purpose; every read writes an
  audit row (who, purpose, sample, how many rows) without any identity in it.
- **Erasure and retention.** :func:`erase` deletes a family's identity on request (its
  pseudonymous rows and every aggregate stay); :func:`apply_retention` erases the
  identities of periodes whose retention date has passed. Both are audited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.analysis.profil import IDENTITY_FIELDS, kode_10, kode_titik
from geo_service.analysis.pseudonim import check_key, family_pseudonym, key_fingerprint
from geo_service.db.models import Desa, Pengguna
from geo_service.db.repo import identitas as repo
from geo_service.db.repo import uji_petik as uji_repo
from geo_service.db.repo.audit import append_audit
from geo_service.db.repo.common import Scope
from geo_service.errors import AccessDeniedError, InvalidInputError, KunciError, NotFoundError
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


# --- storing (import) -----------------------------------------------------------------


def store_identities(
    conn: Connection,
    identitas: pd.DataFrame,
    *,
    periode: str,
    batch_id: int | None,
    brankas: Brankas,
    stored_ids: Iterable[str] | None = None,
) -> int:
    """Encrypt and store the identities of an import, in the caller's transaction.

    ``identitas`` comes from :func:`geo_service.analysis.profil.apply_profil`; only ids in
    ``stored_ids`` (the families the import actually stored) are kept.
    """
    if identitas.empty:
        return 0
    check_vault(conn, brankas)
    frame = identitas.drop_duplicates(S.ID, keep="first")
    if stored_ids is not None:
        frame = frame[frame[S.ID].isin(set(stored_ids))]
    erased = repo.erased_ids(conn, frame[S.ID].astype(str))
    if erased:  # erased on request: never stored again
        frame = frame[~frame[S.ID].isin(erased)]
    fields = [f for f in IDENTITY_FIELDS if f in frame.columns]
    tokens = [
        brankas.seal(
            {f: (None if pd.isna(v) else str(v)) for f, v in zip(fields, rec, strict=True)}
        )
        for rec in frame[fields].itertuples(index=False, name=None)
    ]
    rows = pd.DataFrame(
        {
            "id_keluarga": frame[S.ID].astype(str).to_numpy(),
            "kode_kab": frame[S.KODE_DESA].astype(str).str[:5].to_numpy(),
            "kode_desa": frame[S.KODE_DESA].to_numpy(),
            "data": tokens,
            "sidik_kunci": brankas.sidik,
        }
    )
    return repo.store_tokens(conn, rows, periode=periode, batch_id=batch_id)


# --- reading --------------------------------------------------------------------------


def _audit(conn: Connection | Session, who: Pemohon, aksi: str, **values: Any) -> None:
    append_audit(conn, aksi=aksi, pengguna_id=who.pengguna_id, aktor=who.aktor, **values)


def _decrypt(rows: pd.DataFrame, brankas: Brankas) -> pd.DataFrame:
    unknown = set(rows["sidik_kunci"]) - brankas.sidik_semua
    if unknown:
        raise KunciError(
            "Sebagian identitas dienkripsi dengan kunci yang tidak diatur: kunci brankas salah "
            "atau rotasi kunci belum selesai.",
            "Some identities were encrypted with a key that is not configured: wrong vault "
            "key, or a key rotation not finished.",
        )
    records = [brankas.open(t) for t in rows["data"]]
    out = pd.DataFrame.from_records(records, columns=list(NAME_COLUMNS))
    out.insert(0, S.ID, rows["id_keluarga"].to_numpy())
    out.insert(1, "kode_desa_identitas", rows["kode_desa"].to_numpy())
    return out


def _require_purpose(tujuan: str | None) -> str:
    t = (tujuan or "").strip()
    if len(t) < 3:
        raise InvalidInputError(
            "Sebutkan tujuan membuka identitas (mis. 'uji petik desa X'); dicatat di log audit.",
            "State the purpose of opening identities (e.g. 'ground check desa X'); it is "
            "recorded in the audit log.",
        )
    # The audit row never holds an identity: a NIK/KK typed into the purpose is masked.
    return re.sub(r"\d{12,}", "[nomor]", t)[:200]


def named_field_list(
    engine: Engine,
    who: Pemohon,
    sampel_id: int,
    *,
    tujuan: str | None,
    settings: Settings,
    desa: str | None = None,
    format: str = "xlsx",
) -> tuple[pd.DataFrame, Any]:
    """A ground-check sample list with name, NIK/KK and address of each family.

    ``admin``/``analis`` get every desa of the sample (in their kabupaten); a
    ``pendamping`` only the desa assigned to them for this sample. One audit row
    (``baca_identitas``: purpose, sample, format, desa, number of rows; no identity).

    Returns the list (sample columns + :data:`NAME_COLUMNS`) and the sample's info.
    """
    if who.peran not in (*FULL_ROLES, PENDAMPING):
        raise AccessDeniedError(
            "Peran Anda tidak boleh membuka nama dan alamat keluarga; gunakan daftar pseudonim.",
            "Your role may not open family names and addresses; use the pseudonymous list.",
        )
    with Session(engine) as conn, conn.begin():
        scope = who.scope
        info = uji_repo.get_sample_info(conn, sampel_id, scope=scope)  # 404 outside scope
        purpose = _require_purpose(tujuan)
        brankas = vault(settings)
        sample = uji_repo.load_sample(conn, sampel_id, scope=scope)
        daftar = sample.daftar
        if who.peran == PENDAMPING:
            if who.pengguna_id is None:
                raise AccessDeniedError("Pendamping tanpa akun.", "Facilitator without account.")
            allowed = repo.facilitator_desa(conn, who.pengguna_id, sampel_id)
            if desa is not None and desa not in allowed:
                raise AccessDeniedError(
                    f"Desa {desa} bukan desa sampel Anda.", f"Desa {desa} is not in your sample."
                )
            daftar = daftar[daftar[S.KODE_DESA].astype(str).isin(allowed)]
        if desa is not None:
            daftar = daftar[daftar[S.KODE_DESA].astype(str) == desa]
        rows = repo.token_rows(conn, ids=daftar[S.ID].astype(str).tolist())
        ident = _decrypt(rows, brankas) if len(rows) else None
        _audit(
            conn,
            who,
            "baca_identitas",
            objek=f"uji_petik:{sampel_id}",
            kode_kab=info.kode_kab,
            periode=info.periode,
            n_baris=0 if ident is None else len(ident),
            rincian={
                "tujuan": purpose,
                "format": format,
                "peran": who.peran,
                "desa": sorted(set(daftar[S.KODE_DESA].astype(str))),
            },
        )
    out = daftar.reset_index(drop=True)
    if ident is not None:
        out = out.merge(ident.drop(columns="kode_desa_identitas"), on=S.ID, how="left")
    else:
        for c in NAME_COLUMNS:
            out[c] = None
    return out, info


# --- facilitators ---------------------------------------------------------------------


def check_sample(engine: Engine, who: Pemohon, sampel_id: int) -> None:
    """:class:`~geo_service.errors.NotFoundError` unless the sample is in ``who``'s scope."""
    with Session(engine) as conn:
        uji_repo.get_sample_info(conn, sampel_id, scope=who.scope)


def assign_facilitator(
    engine: Engine, nama_pengguna: str, sampel_id: int, desa: Iterable[str], *, who: Pemohon
) -> int:
    """Give the ``pendamping`` user ``nama_pengguna`` desa of a sample (audited)."""
    codes = sorted(set(desa))
    with Session(engine) as conn, conn.begin():
        user = conn.execute(
            select(Pengguna.id, Pengguna.peran).where(Pengguna.nama_pengguna == nama_pengguna)
        ).first()
        if user is None:
            raise NotFoundError(
                f"Pengguna tidak ditemukan: {nama_pengguna}", f"User not found: {nama_pengguna}"
            )
        if user.peran != PENDAMPING:
            raise InvalidInputError(
                f"{nama_pengguna} berperan {user.peran}, bukan pendamping.",
                f"{nama_pengguna} has role {user.peran}, not pendamping.",
            )
        sample = uji_repo.load_sample(conn, sampel_id, scope=who.scope)
        in_sample = set(sample.daftar[S.KODE_DESA].astype(str))
        outside = [c for c in codes if c not in in_sample]
        if outside:
            raise InvalidInputError(
                f"Desa bukan bagian sampel #{sampel_id}: {', '.join(outside)}",
                f"Desa not in sample #{sampel_id}: {', '.join(outside)}",
            )
        n = repo.assign_desa(conn, int(user.id), sampel_id, codes)
        _audit(
            conn,
            who,
            "tugaskan_pendamping",
            objek=f"uji_petik:{sampel_id}",
            n_baris=n,
            rincian={"pengguna": nama_pengguna, "desa": codes},
        )
    return n


# --- erasure, retention, rotation -----------------------------------------------------


def _secure_delete(conn: Connection) -> None:
    # SQLite would otherwise leave deleted tokens in free pages of the file.
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA secure_delete = ON"))


def erase(
    engine: Engine,
    *,
    who: Pemohon,
    alasan: str,
    settings: Settings,
    id_keluarga: Iterable[str] = (),
    nomor_kk: Iterable[str] = (),
) -> int:
    """Delete the identities of families on request (by id, or by KK number hashed with
    the pseudonym key). Their pseudonymous rows and every aggregate stay. Audited with the
    number erased and the reason, never the numbers."""
    if who.peran != "admin":
        raise AccessDeniedError(
            "Hanya admin yang boleh menghapus identitas.", "Only admin may erase identities."
        )
    reason = _require_purpose(alasan)
    ids = {str(i) for i in id_keluarga}
    kk = list(nomor_kk)
    if kk:
        hashed = family_pseudonym(pd.Series(kk, dtype="string"), None, pseudonym_key(settings))
        ids |= {str(v) for v in hashed.dropna()}
    with engine.begin() as conn:
        _secure_delete(conn)
        rows = repo.token_rows(conn, ids=sorted(ids))
        for kab in sorted(set(rows["kode_kab"])):
            who.scope.check(kab)
        n = repo.delete_identities(conn, rows["id_keluarga"].tolist(), for_good=True)
        _audit(
            conn,
            who,
            "hapus_identitas",
            objek="identitas",
            n_baris=n,
            rincian={"alasan": reason, "diminta": len(ids)},
        )
    return n


def _add_months(periode: str, months: int) -> date:
    y, m = int(periode[:4]), int(periode[5:7])
    total = y * 12 + (m - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def set_retention(
    engine: Engine, kode_kab: str, periode: str, sampai: date, *, who: Pemohon
) -> None:
    """Keep the identities of one periode until ``sampai`` (audited)."""
    who.scope.check(kode_kab)
    with engine.begin() as conn:
        repo.set_retention(conn, kode_kab, periode, sampai, pengguna_id=who.pengguna_id)
        _audit(
            conn,
            who,
            "retensi_identitas",
            kode_kab=kode_kab,
            periode=periode,
            rincian={"simpan_sampai": sampai.isoformat()},
        )


def apply_retention(
    engine: Engine, *, who: Pemohon, settings: Settings, today: date | None = None
) -> pd.DataFrame:
    """Erase the identities of every periode past its retention date (explicit per
    periode, else ``periode + GEO_IDENTITAS_RETENSI_BULAN`` months). An identity that
    also came with a younger periode stays. One audit row per periode erased."""
    today = today or date.today()
    months = settings.identitas.retensi_bulan
    done = []
    with engine.begin() as conn:
        _secure_delete(conn)
        explicit = repo.retention_dates(conn)
        for rec in repo.stored_periods(conn).itertuples(index=False):
            if not who.scope.allows(rec.kode_kab):
                continue
            until = explicit.get((rec.kode_kab, rec.periode)) or _add_months(rec.periode, months)
            if until >= today:
                continue
            orphans = repo.drop_period(conn, rec.kode_kab, rec.periode)
            n = repo.delete_identities(conn, orphans)
            _audit(
                conn,
                who,
                "retensi_hapus",
                kode_kab=rec.kode_kab,
                periode=rec.periode,
                n_baris=n,
                rincian={"simpan_sampai": until.isoformat(), "tautan_periode": int(rec.n)},
            )
            done.append((rec.kode_kab, rec.periode, until.isoformat(), n))
    return pd.DataFrame(done, columns=["kode_kab", "periode", "simpan_sampai", "n_dihapus"])


def rotate_vault_key(engine: Engine, *, who: Pemohon, settings: Settings) -> int:
    """Re-encrypt every identity with the first vault key (the others must still be
    configured to read the old tokens); then only the new key is needed. Audited."""
    if who.peran != "admin":
        raise AccessDeniedError("Hanya admin.", "Admin only.")
    brankas = vault(settings)
    f = brankas.fernet
    with engine.begin() as conn:
        _secure_delete(conn)
        rows = repo.token_rows(conn)
        unknown = set(rows["sidik_kunci"]) - brankas.sidik_semua
        if unknown:
            raise KunciError(
                'Kunci lama tidak diatur: tulis GEO_VAULT_KEY="KUNCI_BARU,KUNCI_LAMA" untuk rotasi.',
                'The old key is not configured: set GEO_VAULT_KEY="NEW_KEY,OLD_KEY" to rotate.',
            )
        for rec in rows.itertuples(index=False):
            try:
                token = f.rotate(rec.data)
            except InvalidToken as exc:
                raise KunciError(
                    "Kunci brankas identitas salah: identitas tidak dapat dibuka untuk rotasi.",
                    "Wrong identity vault key: identities cannot be opened for rotation.",
                ) from exc
            repo.replace_token(conn, rec.id_keluarga, token, brankas.sidik)
        repo.set_key_fingerprint(conn, JENIS_BRANKAS, brankas.sidik)
        _audit(conn, who, "rotasi_kunci", objek="identitas", n_baris=len(rows))
    return len(rows)


# --- OpenSID --------------------------------------------------------------------------


def desa_names(engine: Engine, codes: Iterable[str]) -> dict[str, str]:
    """Desa names by code (for the registered desa column of field lists)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(Desa.kode, Desa.nama).where(Desa.kode.in_(wanted))).all()
    return {k: n for k, n in rows}


def opensid_frame(named: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """A named field list in the columns an OpenSID operator matches on: NIK, no_kk,
    dusun/RT/RW as OpenSID writes them (dusun upper case without "DUSUN", "-" when
    unknown), the 10-digit desa code, plus the result columns to fill."""
    dusun = (
        named["dusun"]
        .astype("string")
        .str.upper()
        .str.replace(r"^DUSUN\s+", "", regex=True)
        .str.replace("_", " ", regex=False)
        .str.strip()
    )
    out = pd.DataFrame(
        {
            "kode_desa": kode_10(named[S.KODE_DESA].astype("string")),
            "nama_desa": named[S.KODE_DESA].astype(str).map(names),
            "dusun": dusun.fillna("-"),
            "rw": named["rw"].astype("string").fillna("-"),
            "rt": named["rt"].astype("string").fillna("-"),
            "no_kk": named["no_kk"].astype("string"),
            "nik": named["nik"].astype("string"),
            "nama": named["nama_kk"].astype("string"),
            "alamat": named["alamat"].astype("string"),
            "id_keluarga": named[S.ID].astype(str),
            "status": None,
            "petugas": None,
            "tanggal": None,
            "catatan": None,
        }
    )
    return out.sort_values(["kode_desa", "dusun", "rw", "rt", "nama"], kind="stable").reset_index(
        drop=True
    )


def opensid_results(raw: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Field results returned in OpenSID's terms -> the field-result layout: ``no_kk``
    (or ``nik`` of the head) hashed to ``id_keluarga`` with the pseudonym key, 10-digit
    ``kode_desa`` made dotted; NIK and KK columns dropped before anything is stored."""
    cols = {c.strip().lower(): c for c in raw.columns}
    if "id_keluarga" not in cols and "no_kk" not in cols and "nik" not in cols:
        raise InvalidInputError(
            "Berkas hasil OpenSID perlu kolom no_kk, nik atau id_keluarga.",
            "An OpenSID result file needs a no_kk, nik or id_keluarga column.",
        )
    frame = raw.rename(columns={v: k for k, v in cols.items()})
    key = pseudonym_key(settings)
    ids = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "no_kk" in frame:
        ids = family_pseudonym(
            frame["no_kk"].astype("string"),
            frame["nik"].astype("string") if "nik" in frame else None,
            key,
        )
    elif "nik" in frame:
        ids = family_pseudonym(pd.Series(pd.NA, index=frame.index), frame["nik"], key)
    if "id_keluarga" in frame:
        ids = ids.fillna(frame["id_keluarga"].astype("string"))
    out = frame.drop(
        columns=[
            c
            for c in ("no_kk", "nik", "nama", "alamat", "dusun", "rt", "rw", "nama_desa")
            if c in frame
        ]
    )
    out[S.ID] = ids
    if S.KODE_DESA in out:
        out[S.KODE_DESA] = kode_titik(out[S.KODE_DESA].astype("string"))
    return out
