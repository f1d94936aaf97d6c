"""Analysis runs and their stored tables (one row per table row, values as JSON)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
from geoalchemy2.functions import ST_AsBinary
from geoalchemy2.shape import from_shape
from sqlalchemy import delete, insert, select, update

from geo_service import __version__
from geo_service.db.models import (
    RUN_BERJALAN,
    RUN_GAGAL,
    RUN_SELESAI,
    SRID,
    AnalisisHasil,
    AnalisisRun,
    AnalisisTabel,
    utcnow,
)
from geo_service.db.repo.audit import append_audit
from geo_service.db.repo.common import (
    Bind,
    Scope,
    _float_or_none,
    _geoms,
    _jsonable,
    _py,
    _restore,
    _row_json,
    _str_or_none,
)
from geo_service.errors import NotFoundError


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
    # Every run start is audited (issue 12): a run reads every family of the kabupaten.
    append_audit(
        session,
        aksi="analisis_mulai",
        objek=f"analisis:{int(run_id)}",
        pengguna_id=pengguna_id,
        aktor=None if pengguna_id is not None else "proses-lokal",
        kode_kab=kode_kab,
        periode=periode,
    )
    return int(run_id)


def finish_run(
    session: Bind,
    run_id: int,
    result,
    *,
    scope: Scope,
    extra: Mapping[str, pd.DataFrame] | None = None,
    parameter: Mapping[str, Any] | None = None,
) -> None:
    """Store the result frames of a run and mark it done (``selesai``); ``parameter``, when
    given, replaces the recorded parameters (e.g. with ``sintetis`` learnt from the data).

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
            **({"parameter": _jsonable(dict(parameter))} if parameter is not None else {}),
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
    records: list[dict[str, Any]] = []
    for i, row in enumerate(frame[plain].itertuples(index=False, name=None)):
        nilai = {c: _py(v) for c, v in zip(plain, row, strict=True)}
        rec: dict[str, Any] = {
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


def delete_run(session: Bind, run_id: int, *, scope: Scope) -> None:
    """Remove a run and its tables (e.g. a failed background run)."""
    _run_row(session, run_id, scope)
    tabel_ids = select(AnalisisTabel.id).where(AnalisisTabel.run_id == run_id)
    session.execute(delete(AnalisisHasil).where(AnalisisHasil.tabel_id.in_(tabel_ids)))
    session.execute(delete(AnalisisTabel).where(AnalisisTabel.run_id == run_id))
    session.execute(delete(AnalisisRun).where(AnalisisRun.id == run_id))
