"""Repository: every query the analysis, the CLI and the API need, on either backend.

Rules kept here:

- every function that returns data takes ``scope`` (the kabupaten the caller may see) as
  a required keyword; asking for a kabupaten outside it raises
  :class:`~geo_service.errors.AccessDeniedError`, asking for a run or batch by id outside
  it raises :class:`~geo_service.errors.NotFoundError` (ids do not reveal what exists);
- only domain errors, never HTTP errors;
- frames come back in the shapes the analysis uses: desa as from
  :func:`~geo_service.io.boundaries.read_boundaries`, families as
  ``validate_keluarga(...).valid``.

Functions take a :class:`~sqlalchemy.orm.Session` (a :class:`~sqlalchemy.Connection`
works too); they flush but never commit, so the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.functions import ST_AsBinary
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, delete, func, insert, select, true, update
from sqlalchemy.orm import Session

from geo_service import __version__
from geo_service.analysis import schema as S
from geo_service.analysis.validate import PROBLEM_COLUMNS, ValidationResult
from geo_service.db.models import (
    ROLES,
    RUN_BERJALAN,
    RUN_GAGAL,
    RUN_SELESAI,
    SRID,
    AnalisisHasil,
    AnalisisRun,
    AnalisisTabel,
    AuditLog,
    Desa,
    ImporBatch,
    ImporMasalah,
    Kabupaten,
    Karantina,
    Kecamatan,
    KeluargaSnapshot,
    KunciApi,
    Pengguna,
    PenggunaKabupaten,
    Provinsi,
    utcnow,
)
from geo_service.errors import AccessDeniedError, InvalidInputError, NotFoundError

Bind = Session | Connection
_KODE_KAB_RE = r"^\d{2}\.\d{2}$"


# --- scope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The kabupaten a caller may see: a set of codes, or every kabupaten (``Scope.all()``,
    for the CLI and administrators). There is no default: every call states it."""

    kabupaten: frozenset[str] | None

    @classmethod
    def all(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, *kode_kab: str | Iterable[str]) -> Scope:
        codes: set[str] = set()
        for k in kode_kab:
            codes.update([k] if isinstance(k, str) else k)
        return cls(frozenset(codes))

    @property
    def is_all(self) -> bool:
        return self.kabupaten is None

    def allows(self, kode_kab: str) -> bool:
        return self.kabupaten is None or kode_kab in self.kabupaten

    def check(self, kode_kab: str) -> None:
        """Raise :class:`AccessDeniedError` unless ``kode_kab`` is in the scope."""
        if not self.allows(kode_kab):
            raise AccessDeniedError(
                f"Anda tidak berwenang atas kabupaten {kode_kab}.",
                f"You are not allowed to access kabupaten {kode_kab}.",
            )

    def where(self, column):
        """SQL condition limiting ``column`` (a kabupaten code) to the scope."""
        if self.kabupaten is None:
            return true()
        return column.in_(sorted(self.kabupaten))


def _geoms(values) -> np.ndarray:
    return shapely.from_wkb([None if v is None else bytes(v) for v in values])


# --- wilayah --------------------------------------------------------------------------


def list_kabupaten(session: Bind, *, scope: Scope) -> pd.DataFrame:
    """Kabupaten with boundaries in the database: ``kode, nama, kode_prov, nama_prov, n_desa,
    versi_id``."""
    n_desa = select(Desa.kode_kab, func.count().label("n_desa")).group_by(Desa.kode_kab).subquery()
    stmt = (
        select(
            Kabupaten.kode,
            Kabupaten.nama,
            Kabupaten.kode_prov,
            Provinsi.nama.label("nama_prov"),
            func.coalesce(n_desa.c.n_desa, 0).label("n_desa"),
            Kabupaten.versi_id,
        )
        .join(Provinsi, Provinsi.kode == Kabupaten.kode_prov)
        .outerjoin(n_desa, n_desa.c.kode_kab == Kabupaten.kode)
        .where(scope.where(Kabupaten.kode))
        .order_by(Kabupaten.kode)
    )
    rows = session.execute(stmt).all()
    return pd.DataFrame(
        rows, columns=["kode", "nama", "kode_prov", "nama_prov", "n_desa", "versi_id"]
    )


def desa_of_kabupaten(session: Bind, kode_kab: str, *, scope: Scope) -> gpd.GeoDataFrame:
    """Desa polygons of a kabupaten (EPSG:4326), columns as ``read_boundaries`` gives them:
    ``kode, nama, jenis, kode_kec, nama_kec, kode_kab, nama_kab, kode_prov, nama_prov``.

    Raises
    ------
    AccessDeniedError
        ``kode_kab`` outside ``scope``.
    NotFoundError
        No boundaries of ``kode_kab`` in the database.
    """
    scope.check(kode_kab)
    stmt = (
        select(
            Desa.kode,
            Desa.nama,
            Desa.jenis,
            Desa.kode_kec,
            Kecamatan.nama.label("nama_kec"),
            Desa.kode_kab,
            Kabupaten.nama.label("nama_kab"),
            Kabupaten.kode_prov,
            Provinsi.nama.label("nama_prov"),
            Desa.versi_id,
            ST_AsBinary(Desa.geom),
        )
        .join(Kecamatan, Kecamatan.kode == Desa.kode_kec)
        .join(Kabupaten, Kabupaten.kode == Desa.kode_kab)
        .join(Provinsi, Provinsi.kode == Kabupaten.kode_prov)
        .where(Desa.kode_kab == kode_kab)
        .order_by(Desa.kode)
    )
    rows = session.execute(stmt).all()
    if not rows:
        raise NotFoundError(
            f"Batas desa kabupaten {kode_kab} belum ada di basis data. "
            "Impor dulu: geo-service import boundaries BERKAS",
            f"No desa boundaries of kabupaten {kode_kab} in the database. "
            "Import them first: geo-service import boundaries FILE",
        )
    cols = [
        "kode",
        "nama",
        "jenis",
        "kode_kec",
        "nama_kec",
        "kode_kab",
        "nama_kab",
        "kode_prov",
        "nama_prov",
        "versi_id",
    ]
    frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    return gpd.GeoDataFrame(frame, geometry=_geoms([r[-1] for r in rows]), crs=SRID)


def kecamatan_of_kabupaten(session: Bind, kode_kab: str, *, scope: Scope) -> gpd.GeoDataFrame:
    """Kecamatan outlines of a kabupaten (union of their desa): ``kode, nama, kode_kab``."""
    scope.check(kode_kab)
    rows = session.execute(
        select(Kecamatan.kode, Kecamatan.nama, Kecamatan.kode_kab, ST_AsBinary(Kecamatan.geom))
        .where(Kecamatan.kode_kab == kode_kab)
        .order_by(Kecamatan.kode)
    ).all()
    frame = pd.DataFrame([r[:-1] for r in rows], columns=["kode", "nama", "kode_kab"])
    return gpd.GeoDataFrame(frame, geometry=_geoms([r[-1] for r in rows]), crs=SRID)


def kabupaten_outline(session: Bind, kode_kab: str, *, scope: Scope) -> gpd.GeoDataFrame:
    """The outline of a kabupaten (union of its desa): ``kode, nama, kode_prov``."""
    scope.check(kode_kab)
    rows = session.execute(
        select(
            Kabupaten.kode, Kabupaten.nama, Kabupaten.kode_prov, ST_AsBinary(Kabupaten.geom)
        ).where(Kabupaten.kode == kode_kab)
    ).all()
    frame = pd.DataFrame([r[:-1] for r in rows], columns=["kode", "nama", "kode_prov"])
    return gpd.GeoDataFrame(frame, geometry=_geoms([r[-1] for r in rows]), crs=SRID)


def desa_codes(session: Bind, *, scope: Scope) -> set[str]:
    """Codes of every desa in the scope (the ``known_desa`` of validation)."""
    return set(session.execute(select(Desa.kode).where(scope.where(Desa.kode_kab))).scalars())


# --- families -------------------------------------------------------------------------

VALID_COLUMNS: list[str] = [
    S.ID,
    S.PERIODE,
    S.KODE_DESA,
    "lat",
    "lon",
    "jumlah_art",
    "desil",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
    "baris",
]
LOCATION_COLUMNS = ["kode_desa_lokasi", "status_lokasi", "jarak_m", "lokasi_tidak_sesuai", "h3"]


def keluarga_frame(
    session: Bind, kode_kab: str, periode: str, *, scope: Scope, with_location: bool = False
) -> pd.DataFrame:
    """The families of a kabupaten and periode, in the shape of ``validate_keluarga(...).valid``
    (same columns, order and dtypes; rows in file order).

    With ``with_location`` the stored location columns (``kode_desa_lokasi``,
    ``status_lokasi``, ``jarak_m``, ``lokasi_tidak_sesuai``, ``h3`` as hex text) follow.
    Household-level data: the API records an audit row for every call.

    Raises
    ------
    AccessDeniedError
        ``kode_kab`` outside ``scope``.
    NotFoundError
        No snapshot of that kabupaten and periode.
    """
    scope.check(kode_kab)
    snapshot = session.execute(
        select(KeluargaSnapshot.batch_id).where(
            KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kode_kab
        )
    ).first()
    if snapshot is None:
        raise NotFoundError(
            f"Data keluarga kabupaten {kode_kab} periode {periode} belum diimpor.",
            f"No families of kabupaten {kode_kab} for periode {periode} have been imported.",
        )
    names = VALID_COLUMNS + (LOCATION_COLUMNS if with_location else [])
    frame = _family_rows(session, names, kode_kab, periode)
    return _valid_dtypes(frame)


_NULLABLE = ["lat", "lon", "pengeluaran_kapita", "kode_desa_lokasi", "jarak_m", "h3"]


def _family_rows(session: Bind, names: list[str], kode_kab: str, periode: str) -> pd.DataFrame:
    """Family rows straight from the driver (COPY on PostgreSQL): 300,000 rows in about a
    second or two instead of the ORM's ten."""
    conn = session.connection() if isinstance(session, Session) else session
    raw = conn.connection.driver_connection
    cols = ", ".join(f'"{c}"' for c in names)
    query = f"SELECT {cols} FROM keluarga WHERE kode_kab = {{}} AND periode = {{}} ORDER BY baris"
    if conn.dialect.name == "postgresql":
        import io

        from psycopg import sql

        copy_sql = sql.SQL("COPY (" + query + ") TO STDOUT WITH (FORMAT csv)").format(
            sql.Literal(kode_kab), sql.Literal(periode)
        )
        buf = io.BytesIO()
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for block in copy:
                buf.write(block)
        buf.seek(0)
        frame = pd.read_csv(
            buf,
            names=names,
            header=None,
            keep_default_na=False,
            na_values={c: [""] for c in _NULLABLE if c in names},
            dtype={
                c: str
                for c in [S.ID, S.PERIODE, S.KODE_DESA, "kode_desa_lokasi", "status_lokasi", "h3"]
                if c in names
            },
        )
        if "lokasi_tidak_sesuai" in names:
            frame["lokasi_tidak_sesuai"] = frame["lokasi_tidak_sesuai"].map(
                {"t": True, "f": False, True: True, False: False}
            )
        return frame
    cur = raw.cursor()
    try:
        cur.execute(query.format("?", "?"), (kode_kab, periode))
        rows = cur.fetchall()
    finally:
        cur.close()
    return pd.DataFrame.from_records(rows, columns=names)


def _valid_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            S.ID: frame[S.ID].astype(str),
            S.PERIODE: frame[S.PERIODE].astype(str),
            S.KODE_DESA: frame[S.KODE_DESA].astype(str),
            "lat": pd.to_numeric(frame["lat"]).astype("float64"),
            "lon": pd.to_numeric(frame["lon"]).astype("float64"),
            "jumlah_art": frame["jumlah_art"].astype("int16"),
            "desil": frame["desil"].astype("int8"),
            "pengeluaran_kapita": pd.to_numeric(frame["pengeluaran_kapita"]).astype("float64"),
            **{c: frame[c].astype("int8") for c in S.FLAG_COLUMNS},
            "baris": frame["baris"].astype("int64"),
        }
    )
    if "kode_desa_lokasi" in frame.columns:
        out["kode_desa_lokasi"] = frame["kode_desa_lokasi"].astype("string")
        out["status_lokasi"] = frame["status_lokasi"].astype("string")
        out["jarak_m"] = pd.to_numeric(frame["jarak_m"]).astype("float64")
        out["lokasi_tidak_sesuai"] = frame["lokasi_tidak_sesuai"].astype(bool)
        out["h3"] = frame["h3"].astype("string")
    return out


def list_snapshots(session: Bind, *, scope: Scope, kode_kab: str | None = None) -> pd.DataFrame:
    """Imported family snapshots: ``periode, kode_kab, batch_id, n_keluarga, n_jiwa,
    h3_resolusi, dibuat`` (newest periode first)."""
    stmt = select(
        KeluargaSnapshot.periode,
        KeluargaSnapshot.kode_kab,
        KeluargaSnapshot.batch_id,
        KeluargaSnapshot.n_keluarga,
        KeluargaSnapshot.n_jiwa,
        KeluargaSnapshot.h3_resolusi,
        KeluargaSnapshot.dibuat,
    ).where(scope.where(KeluargaSnapshot.kode_kab))
    if kode_kab is not None:
        scope.check(kode_kab)
        stmt = stmt.where(KeluargaSnapshot.kode_kab == kode_kab)
    rows = session.execute(
        stmt.order_by(KeluargaSnapshot.periode.desc(), KeluargaSnapshot.kode_kab)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "periode",
            "kode_kab",
            "batch_id",
            "n_keluarga",
            "n_jiwa",
            "h3_resolusi",
            "dibuat",
        ],
    )


@dataclass(frozen=True)
class AnalysisInputs:
    """What :func:`~geo_service.analysis.pipeline.compute_indicators` needs from the DB:
    ``compute_indicators(None, inputs.desa, params, validation=inputs.validation)``."""

    desa: gpd.GeoDataFrame
    kecamatan: gpd.GeoDataFrame
    validation: ValidationResult
    kode_kab: str
    periode: str
    batch_id: int
    versi_batas: int | None

    @property
    def sumber(self) -> dict[str, Any]:
        """Provenance recorded with a run."""
        return {
            "batch_keluarga": self.batch_id,
            "versi_batas": self.versi_batas,
            "n_keluarga": len(self.validation.valid),
        }


def analysis_inputs(session: Bind, kode_kab: str, periode: str, *, scope: Scope) -> AnalysisInputs:
    """Desa, kecamatan outlines and the families of a kabupaten and periode, ready to analyse."""
    desa = desa_of_kabupaten(session, kode_kab, scope=scope)
    fam = keluarga_frame(session, kode_kab, periode, scope=scope)
    batch_id = session.execute(
        select(KeluargaSnapshot.batch_id).where(
            KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kode_kab
        )
    ).scalar_one()
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
    validation = ValidationResult(
        valid=fam,
        problems=empty,
        rejected=pd.DataFrame(columns=["baris", *S.ALL_COLUMNS]),
        unknown_columns=[],
    )
    versi = desa["versi_id"].iloc[0]
    return AnalysisInputs(
        desa=desa.drop(columns="versi_id"),
        kecamatan=kecamatan_of_kabupaten(session, kode_kab, scope=scope),
        validation=validation,
        kode_kab=kode_kab,
        periode=periode,
        batch_id=int(batch_id),
        versi_batas=None if pd.isna(versi) else int(versi),
    )


# --- analysis runs --------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    """A stored analysis run (without its tables)."""

    id: int
    kode_kab: str
    periode: str
    status: str
    parameter: dict[str, Any]
    seed: int | None
    versi: str
    mulai: datetime
    selesai: datetime | None
    detik: float | None
    alasan: str | None
    sumber: dict[str, Any]
    ringkasan: dict[str, Any]
    tabel: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()
        }


@dataclass(frozen=True)
class StoredRun:
    """A run and its result frames (``desa``, ``kecamatan``, ``kabupaten``, ``h3``, ...)."""

    info: RunInfo
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def start_run(
    session: Bind,
    *,
    kode_kab: str,
    periode: str,
    parameter: Mapping[str, Any],
    scope: Scope,
    seed: int | None = None,
    sumber: Mapping[str, Any] | None = None,
    pengguna_id: int | None = None,
) -> int:
    """Record a run as started (``berjalan``); returns its id. For background runs."""
    scope.check(kode_kab)
    run_id = session.execute(
        insert(AnalisisRun)
        .values(
            kode_kab=kode_kab,
            periode=periode,
            status=RUN_BERJALAN,
            parameter=_jsonable(parameter),
            seed=seed,
            versi=__version__,
            mulai=utcnow(),
            sumber=_jsonable(sumber or {}),
            ringkasan={},
            pengguna_id=pengguna_id,
        )
        .returning(AnalisisRun.id)
    ).scalar_one()
    return int(run_id)


def finish_run(
    session: Bind,
    run_id: int,
    result,
    *,
    scope: Scope,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Store the result frames of a run and mark it done (``selesai``).

    Parameters
    ----------
    result
        An :class:`~geo_service.analysis.pipeline.IndicatorResult`; its ``desa``,
        ``kecamatan``, ``kabupaten`` and ``h3`` frames are stored. ``None`` stores only
        ``extra``.
    extra
        More frames by name (e.g. ``kantong``, ``prioritas``, ``opd``, ``cakupan``); any
        columns, a geometry column if it is a GeoDataFrame.
    """
    run = _run_row(session, run_id, scope)
    frames: dict[str, pd.DataFrame] = {}
    if result is not None:
        frames.update(
            desa=result.desa, kecamatan=result.kecamatan, kabupaten=result.kabupaten, h3=result.h3
        )
    frames.update(extra or {})
    for nama, frame in frames.items():
        _store_frame(session, run_id, nama, frame)
    ringkasan: dict[str, Any] = {}
    if result is not None and len(result.kabupaten):
        ringkasan = _row_json(result.kabupaten.iloc[0])
        ringkasan["lokasi"] = {k: int(v) for k, v in result.location_summary().items()}
    now = utcnow()
    started = run.mulai if run.mulai.tzinfo else run.mulai.replace(tzinfo=UTC)
    session.execute(
        update(AnalisisRun)
        .where(AnalisisRun.id == run_id)
        .values(
            status=RUN_SELESAI,
            selesai=now,
            detik=(now - started).total_seconds(),
            ringkasan=ringkasan,
        )
    )


def fail_run(session: Bind, run_id: int, reason: str, *, scope: Scope) -> None:
    """Mark a run as failed (``gagal``) with the reason a person reads."""
    _run_row(session, run_id, scope)
    session.execute(
        update(AnalisisRun)
        .where(AnalisisRun.id == run_id)
        .values(status=RUN_GAGAL, selesai=utcnow(), alasan=reason)
    )


def save_run(
    session: Bind,
    *,
    kode_kab: str,
    periode: str,
    result,
    scope: Scope,
    extra: Mapping[str, pd.DataFrame] | None = None,
    seed: int | None = None,
    parameter: Mapping[str, Any] | None = None,
    sumber: Mapping[str, Any] | None = None,
    pengguna_id: int | None = None,
) -> int:
    """Start and finish a run in one go (the CLI); returns the run id.

    ``parameter`` defaults to ``result.params`` as a dict.
    """
    if parameter is None and result is not None:
        from dataclasses import asdict

        parameter = asdict(result.params)
    run_id = start_run(
        session,
        kode_kab=kode_kab,
        periode=periode,
        parameter=parameter or {},
        scope=scope,
        seed=seed,
        sumber=sumber,
        pengguna_id=pengguna_id,
    )
    finish_run(session, run_id, result, scope=scope, extra=extra)
    return run_id


def _run_row(session: Bind, run_id: int, scope: Scope) -> AnalisisRun:
    row = session.execute(select(AnalisisRun).where(AnalisisRun.id == run_id)).scalar_one_or_none()
    if row is None or not scope.allows(row.kode_kab):
        raise NotFoundError(f"Analisis #{run_id} tidak ditemukan.", f"Run #{run_id} not found.")
    return row


def _info(run: AnalisisRun, tables: list[str]) -> RunInfo:
    return RunInfo(
        id=run.id,
        kode_kab=run.kode_kab,
        periode=run.periode,
        status=run.status,
        parameter=run.parameter,
        seed=run.seed,
        versi=run.versi,
        mulai=run.mulai,
        selesai=run.selesai,
        detik=run.detik,
        alasan=run.alasan,
        sumber=run.sumber,
        ringkasan=run.ringkasan,
        tabel=tables,
    )


def list_runs(
    session: Bind,
    *,
    scope: Scope,
    kode_kab: str | None = None,
    periode: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RunInfo]:
    """Past runs in the scope, newest first."""
    stmt = select(AnalisisRun).where(scope.where(AnalisisRun.kode_kab))
    if kode_kab is not None:
        scope.check(kode_kab)
        stmt = stmt.where(AnalisisRun.kode_kab == kode_kab)
    if periode is not None:
        stmt = stmt.where(AnalisisRun.periode == periode)
    if status is not None:
        stmt = stmt.where(AnalisisRun.status == status)
    runs = (
        session.execute(stmt.order_by(AnalisisRun.id.desc()).limit(limit).offset(offset))
        .scalars()
        .all()
    )
    names: dict[int, list[str]] = {r.id: [] for r in runs}
    if runs:
        for rid, nama in session.execute(
            select(AnalisisTabel.run_id, AnalisisTabel.nama)
            .where(AnalisisTabel.run_id.in_(list(names)))
            .order_by(AnalisisTabel.id)
        ):
            names[rid].append(nama)
    return [_info(r, names[r.id]) for r in runs]


def get_run(session: Bind, run_id: int, *, scope: Scope) -> RunInfo:
    """One run (NotFoundError when it does not exist or lies outside the scope)."""
    run = _run_row(session, run_id, scope)
    names = list(
        session.execute(
            select(AnalisisTabel.nama)
            .where(AnalisisTabel.run_id == run_id)
            .order_by(AnalisisTabel.id)
        ).scalars()
    )
    return _info(run, names)


def load_run(
    session: Bind, run_id: int, *, scope: Scope, tables: Iterable[str] | None = None
) -> StoredRun:
    """A run with its result frames rebuilt (same columns, order, dtypes; geometry as
    GeoDataFrame in EPSG:4326)."""
    info = get_run(session, run_id, scope=scope)
    wanted = info.tabel if tables is None else list(tables)
    return StoredRun(info, {n: load_run_table(session, run_id, n, scope=scope) for n in wanted})


def load_run_table(session: Bind, run_id: int, nama: str, *, scope: Scope) -> pd.DataFrame:
    """One result frame of a run."""
    _run_row(session, run_id, scope)
    tabel = session.execute(
        select(AnalisisTabel).where(AnalisisTabel.run_id == run_id, AnalisisTabel.nama == nama)
    ).scalar_one_or_none()
    if tabel is None:
        raise NotFoundError(
            f"Analisis #{run_id} tidak punya tabel '{nama}'.",
            f"Run #{run_id} has no table '{nama}'.",
        )
    rows = session.execute(
        select(AnalisisHasil.nilai, ST_AsBinary(AnalisisHasil.geom))
        .where(AnalisisHasil.tabel_id == tabel.id)
        .order_by(AnalisisHasil.urutan)
    ).all()
    columns = [(c[0], c[1]) for c in tabel.kolom]
    data = {name: [r[0].get(name) for r in rows] for name, dtype in columns if dtype != "geometry"}
    frame = pd.DataFrame(data, columns=[n for n, d in columns if d != "geometry"])
    for name, dtype in columns:
        if dtype != "geometry":
            frame[name] = _restore(frame[name], dtype)
    if tabel.geometri:
        geom_name = next(n for n, d in columns if d == "geometry")
        gdf = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(_geoms([r[1] for r in rows]), crs=SRID), crs=SRID
        )
        gdf = gdf.rename_geometry(geom_name) if geom_name != "geometry" else gdf
        return gdf[[n for n, _ in columns]]
    return frame


_KEY_CANDIDATES = ("kode_desa", "h3", "id_kantong", "kantong_id", "id", "kode_kec", "kode_kab")
_INT_KEYS = ("n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem", "peringkat")


def _store_frame(session: Bind, run_id: int, nama: str, frame: pd.DataFrame) -> None:
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geom_col is not None and frame.crs is not None and frame.crs.to_epsg() != SRID:
        frame = frame.to_crs(SRID)
    frame = frame.rename(columns=str)
    kolom = [[c, "geometry" if c == geom_col else str(frame[c].dtype)] for c in frame.columns]
    tabel_id = session.execute(
        insert(AnalisisTabel)
        .values(
            run_id=run_id,
            nama=nama,
            kolom=kolom,
            n_baris=len(frame),
            geometri=geom_col is not None,
        )
        .returning(AnalisisTabel.id)
    ).scalar_one()
    plain = [c for c in frame.columns if c != geom_col]
    key = next((c for c in _KEY_CANDIDATES if c in plain), None)
    geoms = frame[geom_col].to_numpy() if geom_col else None
    records = []
    for i, row in enumerate(frame[plain].itertuples(index=False, name=None)):
        nilai = {c: _py(v) for c, v in zip(plain, row, strict=True)}
        rec = {
            "tabel_id": tabel_id,
            "urutan": i,
            "kunci": None if key is None or nilai[key] is None else str(nilai[key])[:64],
            "kode_desa": _str_or_none(nilai.get("kode_desa"), 13),
            "h3": _str_or_none(nilai.get("h3"), 16),
            "pct_jiwa_ekstrem": _float_or_none(nilai.get("pct_jiwa_ekstrem")),
            "skor": _float_or_none(nilai.get("skor")),
            "nilai": nilai,
            "geom": None,
        }
        for k in _INT_KEYS:
            v = nilai.get(k)
            rec[k] = (
                int(v)
                if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                else None
            )
        if geoms is not None and geoms[i] is not None and not geoms[i].is_empty:
            rec["geom"] = from_shape(geoms[i], srid=SRID)
        records.append(rec)
    for start in range(0, len(records), 5_000):
        session.execute(insert(AnalisisHasil), records[start : start + 5_000])


def _py(v: Any) -> Any:
    """A JSON-ready Python value (NaN/NA -> None, numpy scalars -> Python)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, datetime | date | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, shapely.Geometry):
        return v.wkt
    if isinstance(v, np.ndarray):
        return [_py(x) for x in v.tolist()]
    if isinstance(v, list | tuple):
        return [_py(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _py(x) for k, x in v.items()}
    return v


def _jsonable(obj: Any) -> Any:
    return json.loads(
        json.dumps(
            _py(obj) if not isinstance(obj, Mapping) else {str(k): _py(v) for k, v in obj.items()}
        )
    )


def _row_json(row: pd.Series) -> dict[str, Any]:
    return {str(k): _py(v) for k, v in row.items() if k != "geometry"}


def _str_or_none(v: Any, n: int) -> str | None:
    return None if v is None else str(v)[:n]


def _float_or_none(v: Any) -> float | None:
    return (
        float(v)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        else None
    )


def _restore(s: pd.Series, dtype: str) -> pd.Series:
    """Back to the stored dtype (JSON gave Python values)."""
    try:
        if dtype.startswith(("int", "uint")):
            if s.isna().any():
                return s.astype("Int64" if dtype.startswith("int") else "UInt64")
            return pd.Series(np.array(s.tolist(), dtype=dtype), index=s.index, name=s.name)
        if dtype.startswith("float"):
            return pd.to_numeric(s).astype(dtype)
        if dtype == "bool":
            return s.astype(bool)
        if dtype.startswith("datetime64"):
            return pd.to_datetime(s, utc="UTC" in dtype or "tz" in dtype)
        if dtype == "object":
            return s.astype(object)
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s


# --- imports --------------------------------------------------------------------------


def _batch_row(session: Bind, batch_id: int, scope: Scope) -> ImporBatch:
    row = session.execute(select(ImporBatch).where(ImporBatch.id == batch_id)).scalar_one_or_none()
    if row is None or not (
        scope.is_all or (row.kode_kab and all(scope.allows(k) for k in row.kode_kab))
    ):
        raise NotFoundError(f"Impor #{batch_id} tidak ditemukan.", f"Import #{batch_id} not found.")
    return row


def list_batches(
    session: Bind,
    *,
    scope: Scope,
    jenis: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """Import batches, newest first: ``id, jenis, berkas, sha256, periode, kode_kab, status,
    sebagian, ganti, mulai, selesai, n_baris, n_sah, n_ditolak, n_masalah, alasan``.

    A limited scope sees the batches whose kabupaten all lie in it.
    """
    stmt = select(ImporBatch).order_by(ImporBatch.id.desc())
    if jenis is not None:
        stmt = stmt.where(ImporBatch.jenis == jenis)
    if status is not None:
        stmt = stmt.where(ImporBatch.status == status)
    cols = [
        "id",
        "jenis",
        "berkas",
        "sha256",
        "periode",
        "kode_kab",
        "status",
        "sebagian",
        "ganti",
        "mulai",
        "selesai",
        "n_baris",
        "n_sah",
        "n_ditolak",
        "n_masalah",
        "alasan",
    ]
    rows = []
    for b in session.execute(stmt).scalars():
        if not (scope.is_all or (b.kode_kab and all(scope.allows(k) for k in b.kode_kab))):
            continue
        rows.append([getattr(b, c) for c in cols])
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=cols)


def get_batch(session: Bind, batch_id: int, *, scope: Scope) -> ImporBatch:
    """One import batch with its summary report (``laporan``)."""
    return _batch_row(session, batch_id, scope)


def batch_problems(session: Bind, batch_id: int, *, scope: Scope) -> pd.DataFrame:
    """The full row report of an import: ``baris, id_keluarga, kolom, nilai, kode_alasan,
    keterangan`` (the validator's columns)."""
    _batch_row(session, batch_id, scope)
    rows = session.execute(
        select(
            ImporMasalah.baris,
            ImporMasalah.id_keluarga,
            ImporMasalah.kolom,
            ImporMasalah.nilai,
            ImporMasalah.kode_alasan,
            ImporMasalah.keterangan,
        )
        .where(ImporMasalah.batch_id == batch_id)
        .order_by(ImporMasalah.id)
    ).all()
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["baris"] = frame["baris"].astype("Int64")
    return frame


def quarantined_rows(session: Bind, batch_id: int, *, scope: Scope) -> pd.DataFrame:
    """Rows kept in quarantine by a ``--partial`` import: ``baris, id_keluarga, kode_alasan``
    and the row's values as read."""
    _batch_row(session, batch_id, scope)
    rows = session.execute(
        select(Karantina.baris, Karantina.id_keluarga, Karantina.kode_alasan, Karantina.data)
        .where(Karantina.batch_id == batch_id)
        .order_by(Karantina.baris)
    ).all()
    data = pd.DataFrame([r[3] for r in rows])
    head = pd.DataFrame(rows, columns=["baris", "id_keluarga_karantina", "kode_alasan", "_"]).drop(
        columns="_"
    )
    return pd.concat([head, data], axis=1)


# --- audit ----------------------------------------------------------------------------


def append_audit(
    session: Bind,
    *,
    aksi: str,
    objek: str | None = None,
    pengguna_id: int | None = None,
    aktor: str | None = None,
    kode_kab: str | None = None,
    periode: str | None = None,
    n_baris: int | None = None,
    rincian: Mapping[str, Any] | None = None,
    alamat_ip: str | None = None,
) -> None:
    """Append one audit row (who, what, when, how many rows). Never pass personal data in
    ``rincian``: ids of runs or batches, filters and formats only."""
    session.execute(
        insert(AuditLog).values(
            waktu=utcnow(),
            pengguna_id=pengguna_id,
            aktor=aktor,
            aksi=aksi,
            objek=objek,
            kode_kab=kode_kab,
            periode=periode,
            n_baris=n_baris,
            rincian=_jsonable(rincian or {}),
            alamat_ip=alamat_ip,
        )
    )


def audit_entries(session: Bind, *, scope: Scope, limit: int = 100) -> pd.DataFrame:
    """The newest audit rows in the scope (rows without kabupaten only for ``Scope.all()``)."""
    stmt = select(
        AuditLog.id,
        AuditLog.waktu,
        AuditLog.pengguna_id,
        AuditLog.aktor,
        AuditLog.aksi,
        AuditLog.objek,
        AuditLog.kode_kab,
        AuditLog.periode,
        AuditLog.n_baris,
        AuditLog.rincian,
    )
    if not scope.is_all:
        stmt = stmt.where(scope.where(AuditLog.kode_kab))
    rows = session.execute(stmt.order_by(AuditLog.id.desc()).limit(limit)).all()
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "waktu",
            "pengguna_id",
            "aktor",
            "aksi",
            "objek",
            "kode_kab",
            "periode",
            "n_baris",
            "rincian",
        ],
    )


# --- users, scopes, API keys ----------------------------------------------------------


def create_user(
    session: Session,
    nama_pengguna: str,
    peran: str,
    *,
    kabupaten: Iterable[str],
    nama_lengkap: str | None = None,
    email: str | None = None,
    kata_sandi_hash: str | None = None,
    kode_opd: str | None = None,
) -> Pengguna:
    """A user with a role (``admin``, ``analis``, ``opd``, ``publik``) and the kabupaten
    they may see. Password hashing is the caller's (the API's) business."""
    if peran not in ROLES:
        raise InvalidInputError(
            f"Peran tidak dikenal: {peran} (pilih: {', '.join(ROLES)})",
            f"Unknown role: {peran} (choose: {', '.join(ROLES)})",
        )
    codes = sorted(set(kabupaten))
    bad = [k for k in codes if not pd.Series([k]).str.match(_KODE_KAB_RE).iloc[0]]
    if bad:
        raise InvalidInputError(
            f"Kode kabupaten salah format: {', '.join(bad)} (NN.NN)",
            f"Bad kabupaten code: {', '.join(bad)} (NN.NN)",
        )
    user = Pengguna(
        nama_pengguna=nama_pengguna,
        peran=peran,
        nama_lengkap=nama_lengkap,
        email=email,
        kata_sandi_hash=kata_sandi_hash,
        kode_opd=kode_opd,
        aktif=True,
        kabupaten=[PenggunaKabupaten(kode_kab=k) for k in codes],
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, nama_pengguna: str) -> Pengguna | None:
    return session.execute(
        select(Pengguna).where(Pengguna.nama_pengguna == nama_pengguna)
    ).scalar_one_or_none()


def user_scope(user: Pengguna) -> Scope:
    """The kabupaten scope of a user (the codes in ``pengguna_kabupaten``)."""
    return Scope.of(k.kode_kab for k in user.kabupaten)


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, pengguna_id: int, nama: str, *, kedaluwarsa: datetime | None = None
) -> str:
    """Make an API key for a user; returns the key itself, shown once. Only its SHA-256
    is stored (keys are 256-bit random, so a fast hash is enough)."""
    awalan = secrets.token_hex(6)
    key = f"gs_{awalan}_{secrets.token_urlsafe(32)}"
    session.add(
        KunciApi(
            pengguna_id=pengguna_id,
            nama=nama,
            awalan=awalan,
            hash=_key_hash(key),
            kedaluwarsa=kedaluwarsa,
        )
    )
    session.flush()
    return key


def user_for_api_key(session: Session, key: str) -> Pengguna | None:
    """The active user owning ``key`` (None for unknown, revoked or expired keys)."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "gs":
        return None
    row = session.execute(select(KunciApi).where(KunciApi.awalan == parts[1])).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.hash, _key_hash(key)):
        return None
    now = utcnow()
    if row.dicabut is not None:
        return None
    if row.kedaluwarsa is not None:
        exp = row.kedaluwarsa if row.kedaluwarsa.tzinfo else row.kedaluwarsa.replace(tzinfo=UTC)
        if exp <= now:
            return None
    user = session.get(Pengguna, row.pengguna_id)
    if user is None or not user.aktif:
        return None
    row.terakhir_dipakai = now
    return user


def revoke_api_key(session: Session, awalan: str) -> None:
    """Revoke a key by its prefix (the part after ``gs_``)."""
    stmt = (
        update(KunciApi)
        .where(KunciApi.awalan == awalan, KunciApi.dicabut.is_(None))
        .values(dicabut=utcnow())
    )
    n = session.execute(stmt).rowcount
    if not n:
        raise NotFoundError(f"Kunci API {awalan} tidak ditemukan.", f"API key {awalan} not found.")


def delete_run(session: Bind, run_id: int, *, scope: Scope) -> None:
    """Remove a run and its tables (e.g. a failed background run)."""
    _run_row(session, run_id, scope)
    tabel_ids = select(AnalisisTabel.id).where(AnalisisTabel.run_id == run_id)
    session.execute(delete(AnalisisHasil).where(AnalisisHasil.tabel_id.in_(tabel_ids)))
    session.execute(delete(AnalisisTabel).where(AnalisisTabel.run_id == run_id))
    session.execute(delete(AnalisisRun).where(AnalisisRun.id == run_id))


# --- fast-join boundary index ----------------------------------------------------------


def boundary_index(
    session: Bind,
    kode_kab: str,
    desa: gpd.GeoDataFrame,
    *,
    scope: Scope,
    build_from: int | None = None,
):
    """The stored fast-join index of ``desa`` (the layer of ``kode_kab`` as returned by
    :func:`desa_of_kabupaten`), or ``None``.

    With ``build_from``: when no index of this boundary version is stored and at least that
    many families are to be located (``analysis.locate.FAST_JOIN_MIN_POINTS`` pays off),
    build it and store it for the next analyses. A new boundary version has another
    fingerprint, so a stale index is never returned.
    """
    from geo_service.analysis.fastjoin import (
        BoundaryIndex,
        boundary_fingerprint,
        build_boundary_index,
    )
    from geo_service.db.models import IndeksBatas

    scope.check(kode_kab)
    sidik = boundary_fingerprint(desa)
    row = session.execute(
        select(IndeksBatas.sidik, IndeksBatas.data).where(IndeksBatas.kode_kab == kode_kab)
    ).first()
    if row is not None and row.sidik == sidik:
        return BoundaryIndex.from_bytes(row.data)
    if build_from is None:
        return None
    from geo_service.analysis.locate import FAST_JOIN_MIN_POINTS

    if build_from < FAST_JOIN_MIN_POINTS:
        return None
    index = build_boundary_index(desa)
    store_boundary_index(session, kode_kab, index, sidik=sidik)
    return index


def store_boundary_index(session: Bind, kode_kab: str, index, *, sidik: str) -> None:
    """Keep ``index`` (a ``BoundaryIndex``) as the one of ``kode_kab``'s current boundaries."""
    from geo_service.db.models import IndeksBatas

    session.execute(delete(IndeksBatas).where(IndeksBatas.kode_kab == kode_kab))
    session.execute(
        insert(IndeksBatas).values(
            kode_kab=kode_kab, sidik=sidik, data=index.to_bytes(), dibuat=utcnow()
        )
    )
