"""The identity vault's tables: encrypted identity tokens, the periode each came with,
retention dates, key fingerprints and the desa a facilitator (``pendamping``) works in.

Only ciphertext passes through here: encryption and decryption, role checks and audit are
in :mod:`geo_service.services.identitas`. Nothing else in the package reads these tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import pandas as pd
from sqlalchemy import delete, func, insert, select, update

from geo_service.db.models import (
    IdentitasDihapus,
    IdentitasKeluarga,
    IdentitasKunci,
    IdentitasPeriode,
    IdentitasRetensi,
    PendampingDesa,
    utcnow,
)
from geo_service.db.repo.common import Bind, rows_changed

_CHUNK = 500  # ids per IN (...) list (SQLite's default variable limit is far above)


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


# --- key fingerprints -----------------------------------------------------------------


def key_fingerprint(session: Bind, jenis: str) -> str | None:
    """The stored fingerprint of the ``jenis`` key ("pseudonim" or "brankas"), if any."""
    return session.execute(
        select(IdentitasKunci.sidik).where(IdentitasKunci.jenis == jenis)
    ).scalar_one_or_none()


def set_key_fingerprint(session: Bind, jenis: str, sidik: str) -> None:
    """Record (or replace, after a rotation) the fingerprint of the ``jenis`` key."""
    session.execute(delete(IdentitasKunci).where(IdentitasKunci.jenis == jenis))
    session.execute(insert(IdentitasKunci).values(jenis=jenis, sidik=sidik, dibuat=utcnow()))


# --- identities -----------------------------------------------------------------------


def store_tokens(
    session: Bind,
    rows: pd.DataFrame,
    *,
    periode: str,
    batch_id: int | None,
) -> int:
    """Insert or replace encrypted identities and link them to ``periode``.

    ``rows``: ``id_keluarga``, ``kode_kab``, ``kode_desa``, ``data`` (token bytes),
    ``sidik_kunci``. Returns the number of rows written.
    """
    if rows.empty:
        return 0
    ids = rows["id_keluarga"].astype(str).tolist()
    now = utcnow()
    # Links of earlier periodes stay: they are deleted with the identity only on erasure,
    # so the row is updated in place instead of deleted and inserted.
    existing: set[str] = set()
    for part in _chunks(ids):
        existing.update(
            session.execute(
                select(IdentitasKeluarga.id_keluarga).where(IdentitasKeluarga.id_keluarga.in_(part))
            ).scalars()
        )
    records = [
        {
            "id_keluarga": str(r.id_keluarga),
            "kode_kab": str(r.kode_kab),
            "kode_desa": None if pd.isna(r.kode_desa) else str(r.kode_desa),
            "data": bytes(r.data),
            "sidik_kunci": str(r.sidik_kunci),
            "dibuat": now,
            "diperbarui": now,
        }
        for r in rows.itertuples(index=False)
    ]
    links = [
        {
            "id_keluarga": rec["id_keluarga"],
            "periode": periode,
            "kode_kab": rec["kode_kab"],
            "batch_id": batch_id,
        }
        for rec in records
    ]
    fresh = [r for r in records if r["id_keluarga"] not in existing]
    for rec in records:
        if rec["id_keluarga"] in existing:
            session.execute(
                update(IdentitasKeluarga)
                .where(IdentitasKeluarga.id_keluarga == rec["id_keluarga"])
                .values(
                    kode_kab=rec["kode_kab"],
                    kode_desa=rec["kode_desa"],
                    data=rec["data"],
                    sidik_kunci=rec["sidik_kunci"],
                    diperbarui=now,
                )
            )
    for i in range(0, len(fresh), 5_000):
        session.execute(insert(IdentitasKeluarga), fresh[i : i + 5_000])
    for part in _chunks(ids):
        session.execute(
            delete(IdentitasPeriode).where(
                IdentitasPeriode.periode == periode, IdentitasPeriode.id_keluarga.in_(part)
            )
        )
    for i in range(0, len(links), 5_000):
        session.execute(insert(IdentitasPeriode), links[i : i + 5_000])
    return len(records)


def token_rows(
    session: Bind,
    *,
    ids: Iterable[str] | None = None,
    kode_kab: Iterable[str] | None = None,
    kode_desa: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Encrypted identities (``id_keluarga``, ``kode_kab``, ``kode_desa``, ``data``,
    ``sidik_kunci``) filtered by ids, kabupaten and/or desa (all given filters apply)."""
    cols = [
        IdentitasKeluarga.id_keluarga,
        IdentitasKeluarga.kode_kab,
        IdentitasKeluarga.kode_desa,
        IdentitasKeluarga.data,
        IdentitasKeluarga.sidik_kunci,
    ]
    names = ["id_keluarga", "kode_kab", "kode_desa", "data", "sidik_kunci"]
    base = select(*cols)
    if kode_kab is not None:
        base = base.where(IdentitasKeluarga.kode_kab.in_(sorted(set(kode_kab))))
    if kode_desa is not None:
        base = base.where(IdentitasKeluarga.kode_desa.in_(sorted(set(kode_desa))))
    rows: list = []
    if ids is None:
        rows = list(session.execute(base.order_by(IdentitasKeluarga.id_keluarga)).all())
    else:
        wanted = sorted({str(i) for i in ids})
        for part in _chunks(wanted):
            rows.extend(session.execute(base.where(IdentitasKeluarga.id_keluarga.in_(part))).all())
    frame = pd.DataFrame(rows, columns=names)
    frame["data"] = frame["data"].map(bytes)
    return frame


def replace_token(session: Bind, id_keluarga: str, data: bytes, sidik_kunci: str) -> None:
    """Store a re-encrypted token (key rotation)."""
    session.execute(
        update(IdentitasKeluarga)
        .where(IdentitasKeluarga.id_keluarga == id_keluarga)
        .values(data=data, sidik_kunci=sidik_kunci, diperbarui=utcnow())
    )


def delete_identities(session: Bind, ids: Iterable[str], *, for_good: bool = False) -> int:
    """Delete identities (and their periode links); returns how many identities went.

    ``for_good`` (erasure on request): the ids are remembered so that a later import does
    not store their identity again (:func:`erased_ids`).
    """
    wanted = sorted({str(i) for i in ids})
    n = 0
    if for_good:
        known = erased_ids(session, wanted)
        fresh = [{"id_keluarga": i, "waktu": utcnow()} for i in wanted if i not in known]
        if fresh:
            session.execute(insert(IdentitasDihapus), fresh)
    for part in _chunks(wanted):
        session.execute(delete(IdentitasPeriode).where(IdentitasPeriode.id_keluarga.in_(part)))
        n += rows_changed(
            session, delete(IdentitasKeluarga).where(IdentitasKeluarga.id_keluarga.in_(part))
        )
    return n


def erased_ids(session: Bind, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` whose identity was erased on request."""
    wanted = sorted({str(i) for i in ids})
    found: set[str] = set()
    for part in _chunks(wanted):
        found.update(
            session.execute(
                select(IdentitasDihapus.id_keluarga).where(IdentitasDihapus.id_keluarga.in_(part))
            ).scalars()
        )
    return found


# --- retention ------------------------------------------------------------------------


def set_retention(
    session: Bind, kode_kab: str, periode: str, sampai: date, *, pengguna_id: int | None
) -> None:
    """Keep the identities of ``periode`` in ``kode_kab`` until ``sampai`` (inclusive)."""
    session.execute(
        delete(IdentitasRetensi).where(
            IdentitasRetensi.kode_kab == kode_kab, IdentitasRetensi.periode == periode
        )
    )
    session.execute(
        insert(IdentitasRetensi).values(
            kode_kab=kode_kab,
            periode=periode,
            simpan_sampai=sampai,
            diubah=utcnow(),
            pengguna_id=pengguna_id,
        )
    )


def retention_dates(session: Bind) -> dict[tuple[str, str], date]:
    """Explicit retention dates per (kabupaten, periode)."""
    rows = session.execute(
        select(IdentitasRetensi.kode_kab, IdentitasRetensi.periode, IdentitasRetensi.simpan_sampai)
    ).all()
    return {(k, p): d for k, p, d in rows}


def stored_periods(session: Bind) -> pd.DataFrame:
    """(``kode_kab``, ``periode``, ``n``) of the identities held, per periode."""
    rows = session.execute(
        select(IdentitasPeriode.kode_kab, IdentitasPeriode.periode, func.count())
        .group_by(IdentitasPeriode.kode_kab, IdentitasPeriode.periode)
        .order_by(IdentitasPeriode.kode_kab, IdentitasPeriode.periode)
    ).all()
    return pd.DataFrame(rows, columns=["kode_kab", "periode", "n"])


def drop_period(session: Bind, kode_kab: str, periode: str) -> list[str]:
    """Remove a periode's links; return the ids left without any periode (to erase)."""
    ids = list(
        session.execute(
            select(IdentitasPeriode.id_keluarga).where(
                IdentitasPeriode.kode_kab == kode_kab, IdentitasPeriode.periode == periode
            )
        ).scalars()
    )
    session.execute(
        delete(IdentitasPeriode).where(
            IdentitasPeriode.kode_kab == kode_kab, IdentitasPeriode.periode == periode
        )
    )
    orphans: list[str] = []
    for part in _chunks(ids):
        still = set(
            session.execute(
                select(IdentitasPeriode.id_keluarga).where(IdentitasPeriode.id_keluarga.in_(part))
            ).scalars()
        )
        orphans.extend(i for i in part if i not in still)
    return orphans


# --- facilitators ---------------------------------------------------------------------


def assign_desa(session: Bind, pengguna_id: int, sampel_id: int, kode_desa: Iterable[str]) -> int:
    """Give a facilitator the desa of a sample (adds to what they already have)."""
    have = facilitator_desa(session, pengguna_id, sampel_id)
    new = sorted(set(kode_desa) - have)
    if new:
        session.execute(
            insert(PendampingDesa),
            [{"pengguna_id": pengguna_id, "sampel_id": sampel_id, "kode_desa": k} for k in new],
        )
    return len(new)


def facilitator_desa(session: Bind, pengguna_id: int, sampel_id: int) -> set[str]:
    """The desa of ``sampel_id`` the facilitator ``pengguna_id`` works in."""
    return set(
        session.execute(
            select(PendampingDesa.kode_desa).where(
                PendampingDesa.pengguna_id == pengguna_id, PendampingDesa.sampel_id == sampel_id
            )
        ).scalars()
    )
