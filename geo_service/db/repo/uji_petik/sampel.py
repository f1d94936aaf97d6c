"""Stored ground-check samples: save one (list, design, parameters), read it back as the
frames :class:`~geo_service.io.uji_petik.SampleStore` gives, list them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import insert, select

from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.db.models import (
    UjiPetikItem,
    UjiPetikSampel,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope, _py, _restore
from geo_service.errors import NotFoundError

STATUS_SUDAH_ADA = "sudah_ada"  # returned, never stored: the file was imported before


# Columns of the list kept as typed columns of uji_petik_item; the others go to ``nilai``.
ITEM_COLUMNS = (
    "id_keluarga",
    "kode_desa",
    "jenis",
    "alasan",
    "strata",
    "bobot",
    "urutan",
    "petugas",
)


RESULT_FRAME_COLUMNS = [*G.RESULT_COLUMNS, S.KODE_DESA]


@dataclass(frozen=True)
class SampleInfo:
    """A stored sample without its list."""

    id: int
    kode: str
    kode_kab: str
    periode: str
    seed: int | None
    run_id: int | None
    n_item: int
    n_acak: int
    n_bendera: int
    n_bendera_dipotong: int
    dibuat: datetime
    parameter: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()
        }


def _sample_row(session: Bind, sampel_id: int, scope: Scope) -> UjiPetikSampel:
    row = session.execute(
        select(UjiPetikSampel).where(UjiPetikSampel.id == sampel_id)
    ).scalar_one_or_none()
    if row is None or not scope.allows(row.kode_kab):
        raise NotFoundError(
            f"Sampel uji petik #{sampel_id} tidak ditemukan.",
            f"Ground-check sample #{sampel_id} not found.",
        )
    return row


def _info(row: UjiPetikSampel) -> SampleInfo:
    p = row.parameter or {}
    return SampleInfo(
        id=row.id,
        kode=str(p.get("kode", "")),
        kode_kab=row.kode_kab,
        periode=row.periode,
        seed=row.seed,
        run_id=row.run_id,
        n_item=row.n_item,
        n_acak=int(p.get("n_acak", 0)),
        n_bendera=int(p.get("n_bendera", 0)),
        n_bendera_dipotong=int(p.get("n_bendera_dipotong", 0)),
        dibuat=row.dibuat
        if row.dibuat.tzinfo
        else row.dibuat.replace(tzinfo=UTC),  # SQLite keeps no zone: the value is UTC
        parameter=dict(p.get("sampel", {})),
    )


def save_sample(
    session: Bind,
    sample: G.GroundCheckSample,
    *,
    kode_kab: str,
    periode: str,
    scope: Scope,
    run_id: int | None = None,
    pengguna_id: int | None = None,
) -> int:
    """Store a sample (list, design and parameters); returns its id.

    Raises
    ------
    AccessDeniedError
        ``kode_kab`` outside ``scope``.
    """
    scope.check(kode_kab)
    daftar = sample.daftar.reset_index(drop=True)
    kolom = [[str(c), str(daftar[c].dtype)] for c in daftar.columns]
    parameter = {
        "kode": G.sample_id(kode_kab, periode, sample.params),
        "sampel": sample.params.to_dict(),
        "design": {
            "kolom": [[str(c), str(sample.design[c].dtype)] for c in sample.design.columns],
            "baris": [
                [_py(v) for v in rec] for rec in sample.design.itertuples(index=False, name=None)
            ],
        },
        "kolom": kolom,
        "n_acak": len(sample.acak),
        "n_bendera": int(sample.n_bendera),
        "n_bendera_dipotong": int(sample.n_bendera_dipotong),
    }
    sampel_id = session.execute(
        insert(UjiPetikSampel)
        .values(
            kode_kab=kode_kab,
            periode=periode,
            seed=int(sample.params.seed),
            parameter=json.loads(json.dumps(parameter)),
            run_id=run_id,
            n_item=len(daftar),
            dibuat=utcnow(),
            pengguna_id=pengguna_id,
        )
        .returning(UjiPetikSampel.id)
    ).scalar_one()
    rest = [c for c in daftar.columns if c not in ITEM_COLUMNS]
    records = []
    for rec in daftar.to_dict("records"):
        typed = {c: _py(rec.get(c)) for c in ITEM_COLUMNS}
        records.append(
            {
                "sampel_id": sampel_id,
                "id_keluarga": str(typed["id_keluarga"]),
                "kode_desa": str(typed["kode_desa"]),
                "jenis": str(typed["jenis"]),
                "alasan": typed["alasan"],
                "strata": typed["strata"],
                "bobot": typed["bobot"],
                "urutan": int(typed["urutan"]),
                "petugas": typed["petugas"],
                "nilai": {c: _py(rec[c]) for c in rest},
            }
        )
    for start in range(0, len(records), 5_000):
        session.execute(insert(UjiPetikItem), records[start : start + 5_000])
    return int(sampel_id)


def get_sample_info(session: Bind, sampel_id: int, *, scope: Scope) -> SampleInfo:
    """One sample's summary (NotFoundError when missing or outside the scope)."""
    return _info(_sample_row(session, sampel_id, scope))


def list_samples(
    session: Bind, *, scope: Scope, kode_kab: str | None = None, limit: int = 100
) -> list[SampleInfo]:
    """Samples in the scope, newest first."""
    stmt = select(UjiPetikSampel).where(scope.where(UjiPetikSampel.kode_kab))
    if kode_kab is not None:
        scope.check(kode_kab)
        stmt = stmt.where(UjiPetikSampel.kode_kab == kode_kab)
    rows = session.execute(stmt.order_by(UjiPetikSampel.id.desc()).limit(limit)).scalars()
    return [_info(r) for r in rows]


def _frame(kolom: list, rows: list[list]) -> pd.DataFrame:
    names = [c for c, _ in kolom]
    frame = (
        pd.DataFrame(rows, columns=names)
        if rows
        else pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    )
    for name, dtype in kolom:
        frame[name] = _restore(frame[name], dtype)
    return frame


def _text_or_none(series: pd.Series) -> pd.Series:
    """Object columns as the file store keeps them: text or None."""
    return series.map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    )


def load_sample(session: Bind, sampel_id: int, *, scope: Scope) -> G.GroundCheckSample:
    """A stored sample with its list and design, as it was drawn."""
    row = _sample_row(session, sampel_id, scope)
    p = row.parameter or {}
    items = session.execute(
        select(*[getattr(UjiPetikItem, c) for c in ITEM_COLUMNS], UjiPetikItem.nilai)
        .where(UjiPetikItem.sampel_id == sampel_id)
        .order_by(UjiPetikItem.urutan)
    ).all()
    kolom = p["kolom"]
    rows = []
    for r in items:
        values = dict(zip(ITEM_COLUMNS, r[:-1], strict=True)) | (r[-1] or {})
        rows.append([values.get(c) for c, _ in kolom])
    daftar = _frame(kolom, rows)
    for c, dtype in kolom:
        if dtype == "object":
            daftar[c] = _text_or_none(daftar[c])
    design = _frame(p["design"]["kolom"], p["design"]["baris"])
    return G.GroundCheckSample(
        daftar=daftar,
        design=design,
        params=G.SampleParams.from_dict(p["sampel"]),
        n_bendera=int(p.get("n_bendera", 0)),
        n_bendera_dipotong=int(p.get("n_bendera_dipotong", 0)),
    )
