"""Stored field results: the latest result per family, a returned file imported as a batch
(same file twice changes nothing), progress and error rates from the stored results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.functions import ST_AsBinary
from geoalchemy2.shape import from_shape
from sqlalchemy import insert, select, update

from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.db.models import (
    BATCH_GAGAL,
    BATCH_SELESAI,
    JENIS_UJI_PETIK,
    SRID,
    Desa,
    ImporBatch,
    ImporMasalah,
    Kecamatan,
    UjiPetikHasil,
    UjiPetikItem,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope, _py
from geo_service.db.repo.uji_petik.sampel import (
    RESULT_FRAME_COLUMNS,
    STATUS_SUDAH_ADA,
    _sample_row,
    _text_or_none,
    load_sample,
)


def load_results(session: Bind, sampel_id: int, *, scope: Scope) -> pd.DataFrame:
    """The stored results of a sample in the shape of
    :func:`~geo_service.analysis.uji_petik.merge_results` (``RESULT_COLUMNS`` and
    ``kode_desa`` of the sample, sorted by ``id_keluarga``); empty when none yet."""
    _sample_row(session, sampel_id, scope)
    rows = session.execute(
        select(
            UjiPetikHasil.id_keluarga,
            UjiPetikHasil.status,
            UjiPetikHasil.petugas,
            UjiPetikHasil.tanggal,
            ST_AsBinary(UjiPetikHasil.geom),
            UjiPetikHasil.perubahan,
            UjiPetikHasil.catatan,
            UjiPetikItem.kode_desa,
        )
        .join(
            UjiPetikItem,
            (UjiPetikItem.sampel_id == UjiPetikHasil.sampel_id)
            & (UjiPetikItem.id_keluarga == UjiPetikHasil.id_keluarga),
        )
        .where(UjiPetikHasil.sampel_id == sampel_id)
        .order_by(UjiPetikHasil.id_keluarga)
    ).all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_FRAME_COLUMNS}).astype(
            {"lat_baru": "float64", "lon_baru": "float64"}
        )
    geoms = shapely.from_wkb([None if r[4] is None else bytes(r[4]) for r in rows])
    has = ~shapely.is_missing(geoms)
    lat = np.full(len(rows), np.nan)
    lon = np.full(len(rows), np.nan)
    lat[has] = shapely.get_y(geoms[has])
    lon[has] = shapely.get_x(geoms[has])
    frame = pd.DataFrame(
        {
            S.ID: [r[0] for r in rows],
            "status": [r[1] for r in rows],
            "petugas": [r[2] for r in rows],
            "tanggal": [None if r[3] is None else _date_text(r[3]) for r in rows],
            "lat_baru": lat,
            "lon_baru": lon,
            "perubahan": [json.dumps(r[5] or {}, sort_keys=True) for r in rows],
            "catatan": [r[6] for r in rows],
            S.KODE_DESA: [r[7] for r in rows],
        }
    )
    frame = frame.sort_values(S.ID, kind="stable").reset_index(drop=True)
    for c in RESULT_FRAME_COLUMNS:
        if c not in ("lat_baru", "lon_baru"):
            frame[c] = _text_or_none(frame[c].astype(object))
    return frame


def _date_text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


@dataclass
class ResultImport:
    """What an import of field results did."""

    status: str  # selesai | gagal | sudah_ada
    batch_id: int | None
    berkas: str
    sha256: str
    check: G.FieldResultCheck | None
    summary: G.MergeSummary | None

    @property
    def diimpor(self) -> bool:
        return self.status == BATCH_SELESAI

    def to_dict(self) -> dict[str, Any]:
        s = self.summary
        c = self.check
        return {
            "status": self.status,
            "batch_id": self.batch_id,
            "berkas": self.berkas,
            "sha256": self.sha256,
            "diimpor": self.diimpor,
            "baris_sah": None if c is None else len(c.valid),
            "baris_kosong": None if c is None else c.n_kosong,
            "n_masalah": None if c is None else len(c.problems),
            "baru": None if s is None else s.baru,
            "diperbarui": None if s is None else s.diperbarui,
            "sama": None if s is None else s.sama,
            "diabaikan_lebih_lama": None if s is None else s.diabaikan_lebih_lama,
        }


def import_results(
    session: Bind,
    sampel_id: int,
    raw: pd.DataFrame,
    *,
    scope: Scope,
    berkas: str,
    sha256: str,
    ukuran_byte: int = 0,
    partial: bool = False,
    today: date | None = None,
    lang: str = "id",
    pengguna_id: int | None = None,
) -> ResultImport:
    """Check returned field results against a stored sample and merge them, in the caller's
    transaction (all or nothing).

    Parameters
    ----------
    raw
        Rows as read from the file (:func:`~geo_service.io.uji_petik.read_field_results`).
    berkas, sha256, ukuran_byte
        The file's name, SHA-256 and size (recorded in the batch).
    partial
        Import the valid rows even when other rows have problems.

    Returns
    -------
    ResultImport
        ``status="sudah_ada"`` (nothing written) when a finished batch of the same file
        exists; ``"gagal"`` with the row report when a row has a problem and ``partial`` is
        not set (only the failed batch and its report are written); else ``"selesai"``.
    """
    row = _sample_row(session, sampel_id, scope)
    found = (
        session.execute(
            select(ImporBatch.id).where(
                ImporBatch.jenis == JENIS_UJI_PETIK,
                ImporBatch.sha256 == sha256,
                ImporBatch.status == BATCH_SELESAI,
            )
        )
        .scalars()
        .first()
    )
    if found is not None:
        return ResultImport(STATUS_SUDAH_ADA, int(found), berkas, sha256, None, None)
    sample = load_sample(session, sampel_id, scope=scope)
    check = G.validate_field_results(raw, sample.daftar, today=today or date.today(), lang=lang)
    ok = check.ok or partial
    codes = check.problems["kode_alasan"].value_counts().sort_index()
    batch_id = session.execute(
        insert(ImporBatch)
        .values(
            jenis=JENIS_UJI_PETIK,
            berkas=berkas[:255],
            sha256=sha256,
            ukuran_byte=ukuran_byte,
            periode=row.periode,
            kode_kab=[row.kode_kab],
            status=BATCH_SELESAI if ok else BATCH_GAGAL,
            sebagian=partial,
            ganti=False,
            mulai=utcnow(),
            selesai=utcnow(),
            n_baris=len(raw),
            n_sah=len(check.valid) if ok else 0,
            n_ditolak=int(check.problems["baris"].nunique()),
            n_masalah=len(check.problems),
            alasan=None if ok else "Ada baris bermasalah; tidak ada yang diimpor.",
            laporan={
                "sampel_id": sampel_id,
                "baris_kosong": check.n_kosong,
                "masalah_per_kode": {str(k): int(v) for k, v in codes.items()},
                "kolom_tidak_dikenal": list(check.unknown_columns),
            },
            pengguna_id=pengguna_id,
        )
        .returning(ImporBatch.id)
    ).scalar_one()
    if len(check.problems):
        session.execute(
            insert(ImporMasalah),
            [
                {
                    "batch_id": batch_id,
                    "baris": _py(r["baris"]),
                    "id_keluarga": _py(r[S.ID]),
                    "kolom": r["kolom"],
                    "nilai": _py(r["nilai"]),
                    "kode_alasan": r["kode_alasan"],
                    "keterangan": r["keterangan"],
                }
                for r in check.problems.to_dict("records")
            ],
        )
    if not ok:
        return ResultImport(BATCH_GAGAL, int(batch_id), berkas, sha256, check, None)
    existing = load_results(session, sampel_id, scope=scope)
    merged, summary = G.merge_results(existing if len(existing) else None, check.valid)
    old = existing.set_index(S.ID, drop=False) if len(existing) else None
    new_rows = []
    for rec in merged.to_dict("records"):
        key = rec[S.ID]
        if old is not None and key in old.index:
            if G._same(old.loc[key].to_dict(), rec):
                continue
            session.execute(
                update(UjiPetikHasil)
                .where(UjiPetikHasil.sampel_id == sampel_id, UjiPetikHasil.id_keluarga == key)
                .values(**_result_values(rec), batch_id=batch_id)
            )
        else:
            new_rows.append(
                {
                    "sampel_id": sampel_id,
                    "id_keluarga": key,
                    "batch_id": batch_id,
                    **_result_values(rec),
                }
            )
    for start in range(0, len(new_rows), 5_000):
        session.execute(insert(UjiPetikHasil), new_rows[start : start + 5_000])
    session.execute(
        update(ImporBatch)
        .where(ImporBatch.id == batch_id)
        .values(
            laporan={
                "sampel_id": sampel_id,
                "baris_kosong": check.n_kosong,
                "masalah_per_kode": {str(k): int(v) for k, v in codes.items()},
                "kolom_tidak_dikenal": list(check.unknown_columns),
                "baru": summary.baru,
                "diperbarui": summary.diperbarui,
                "sama": summary.sama,
                "diabaikan_lebih_lama": summary.diabaikan_lebih_lama,
            }
        )
    )
    return ResultImport(BATCH_SELESAI, int(batch_id), berkas, sha256, check, summary)


def _result_values(rec: Mapping[str, Any]) -> dict[str, Any]:
    lat, lon = rec.get("lat_baru"), rec.get("lon_baru")
    point = None
    if lat is not None and lon is not None and not (pd.isna(lat) or pd.isna(lon)):
        point = from_shape(shapely.Point(float(lon), float(lat)), srid=SRID)
    tanggal = rec.get("tanggal")
    return {
        "status": str(rec["status"]),
        "petugas": _py(rec.get("petugas")),
        "tanggal": date.fromisoformat(str(tanggal)[:10]) if tanggal else None,
        "perubahan": json.loads(rec.get("perubahan") or "{}"),
        "catatan": _py(rec.get("catatan")),
        "geom": point,
    }


def sample_progress(session: Bind, sampel_id: int, *, scope: Scope) -> pd.DataFrame:
    """How much of a sample is done per registered desa
    (:func:`~geo_service.analysis.uji_petik.sample_progress`), with ``nama_desa``,
    ``kode_kec`` and ``nama_kec``."""
    sample = load_sample(session, sampel_id, scope=scope)
    prog = G.sample_progress(sample.daftar, load_results(session, sampel_id, scope=scope))
    names = _desa_names(session, prog[S.KODE_DESA])
    return prog.join(names, on=S.KODE_DESA)


def _desa_names(session: Bind, codes: Iterable[str]) -> pd.DataFrame:
    codes = sorted(set(map(str, codes)))
    rows = (
        session.execute(
            select(Desa.kode, Desa.nama, Desa.kode_kec, Kecamatan.nama)
            .join(Kecamatan, Kecamatan.kode == Desa.kode_kec)
            .where(Desa.kode.in_(codes))
        ).all()
        if codes
        else []
    )
    return pd.DataFrame(rows, columns=[S.KODE_DESA, "nama_desa", "kode_kec", "nama_kec"]).set_index(
        S.KODE_DESA
    )


def error_rates(
    session: Bind,
    sampel_id: int,
    *,
    scope: Scope,
    kelompok: str | None = "kecamatan",
    level: float = 0.95,
    lang: str = "id",
) -> pd.DataFrame:
    """Estimated share of wrong records from the random part of a sample's stored results
    (:func:`~geo_service.analysis.uji_petik.estimate_error_rate`), by kecamatan (its name)
    or desa (``"name (code)"``) and for the kabupaten, with a sentence per row (``teks``)."""
    sample = load_sample(session, sampel_id, scope=scope)
    hasil = load_results(session, sampel_id, scope=scope)
    groups = None
    if kelompok in ("kecamatan", "desa"):
        codes = sample.daftar[S.KODE_DESA].astype(str).unique()
        names = _desa_names(session, codes)
        if kelompok == "kecamatan":
            groups = {k: str(names["nama_kec"].get(k) or k[:8]) for k in codes}
        else:  # desa names repeat across kecamatan: the code keeps groups apart
            groups = {k: f"{names['nama_desa'].get(k) or '-'} ({k})" for k in codes}
    est = G.estimate_error_rate(sample.daftar, sample.design, hasil, kelompok=groups, level=level)
    est["teks"] = [G.error_rate_text(r, lang) for r in est.to_dict("records")]
    return est
