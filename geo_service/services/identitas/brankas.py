"""Storing identities in the vault (import) and reading them back as a named field list;
facilitators (``pendamping``) and the desa they may read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.analysis.profil import IDENTITY_FIELDS
from geo_service.db.models import Pengguna
from geo_service.db.repo import identitas as repo
from geo_service.db.repo import uji_petik as uji_repo
from geo_service.errors import AccessDeniedError, InvalidInputError, KunciError, NotFoundError
from geo_service.services.identitas.kunci import (
    FULL_ROLES,
    NAME_COLUMNS,
    PENDAMPING,
    Brankas,
    Pemohon,
    audit_row,
    check_vault,
    require_purpose,
    vault,
)
from geo_service.settings import Settings

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
        purpose = require_purpose(tujuan)
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
        audit_row(
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
        audit_row(
            conn,
            who,
            "tugaskan_pendamping",
            objek=f"uji_petik:{sampel_id}",
            n_baris=n,
            rincian={"pengguna": nama_pengguna, "desa": codes},
        )
    return n
