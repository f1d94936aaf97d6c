"""Erasure on request, retention by periode, and vault key rotation (all audited)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from cryptography.fernet import InvalidToken
from sqlalchemy import Connection, Engine, text

from geo_service.analysis.pseudonim import family_pseudonym
from geo_service.db.repo import identitas as repo
from geo_service.errors import AccessDeniedError, KunciError
from geo_service.services.identitas.kunci import (
    JENIS_BRANKAS,
    Pemohon,
    audit_row,
    pseudonym_key,
    require_purpose,
    vault,
)
from geo_service.settings import Settings

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
    reason = require_purpose(alasan)
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
        audit_row(
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
        audit_row(
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
            audit_row(
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
        audit_row(conn, who, "rotasi_kunci", objek="identitas", n_baris=len(rows))
    return len(rows)
