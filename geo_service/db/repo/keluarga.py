"""Families (keluarga): snapshots and the inputs of an analysis."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.analysis.validate import PROBLEM_COLUMNS, ValidationResult
from geo_service.db.models import (
    Keluarga,
    KeluargaSnapshot,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope
from geo_service.db.repo.wilayah import desa_of_kabupaten, kecamatan_of_kabupaten
from geo_service.errors import (
    DuplicateError,
    NotFoundError,
)

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
    assert raw is not None, "reading families needs an open DBAPI connection"
    cols = ", ".join(f'"{c}"' for c in names)
    query = f"SELECT {cols} FROM keluarga WHERE kode_kab = {{}} AND periode = {{}} ORDER BY baris"
    if conn.dialect.name == "postgresql":
        from psycopg import sql  # lazy: PostgreSQL driver (~0.4 s), not loaded on SpatiaLite

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


def keluarga_rows(fam: pd.DataFrame, loc: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    out = pd.DataFrame(
        {"batch_id": batch_id, "kode_kab": fam[S.KODE_DESA].str[:5]}, index=fam.index
    )
    for c in [
        S.ID,
        S.PERIODE,
        S.KODE_DESA,
        "lat",
        "lon",
        "jumlah_art",
        "desil",
        *S.FLAG_COLUMNS,
        "baris",
    ]:
        out[c] = fam[c]
    out["pengeluaran_kapita"] = fam["pengeluaran_kapita"].round().astype("Int64")
    for c in ["kode_desa_lokasi", "status_lokasi", "jarak_m", "lokasi_tidak_sesuai", "h3"]:
        out[c] = loc[c]
    out["lokasi_tidak_sesuai"] = out["lokasi_tidak_sesuai"].astype(bool)
    return out.reset_index(drop=True)


def claim_snapshots(
    conn: Connection,
    valid: pd.DataFrame,
    periode: str,
    batch_id: int,
    replace: bool,
    snapshots: dict[str, dict[str, int]],
    replaced: set[int],
    h3_resolution: int,
) -> None:
    """Take the snapshot (periode x kabupaten) of every new kabupaten of this chunk
    (``valid``: the chunk's valid rows, or its :func:`keluarga_rows` with ``kode_kab``)."""
    kabs = (
        valid["kode_kab"] if "kode_kab" in valid.columns else valid[S.KODE_DESA].str[:5]
    ).to_numpy(dtype=object)
    for kab in sorted(set(pd.unique(kabs)) - set(snapshots)):
        old = conn.execute(
            select(KeluargaSnapshot.batch_id).where(
                KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kab
            )
        ).scalar()
        if old is not None:
            if not replace:
                raise (
                    DuplicateError(
                        f"Data keluarga periode {periode} kabupaten {kab} sudah ada (impor #{old}). "
                        "Gunakan --replace untuk menggantinya; tidak ada yang diimpor.",
                        f"Families of periode {periode} for kabupaten {kab} exist already "
                        f"(import #{old}). Use --replace to replace them; nothing imported.",
                    )
                )
            conn.execute(
                delete(Keluarga).where(Keluarga.periode == periode, Keluarga.kode_kab == kab)
            )
            conn.execute(
                delete(KeluargaSnapshot).where(
                    KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kab
                )
            )
            replaced.add(int(old))
        conn.execute(
            insert(KeluargaSnapshot).values(
                periode=periode,
                kode_kab=kab,
                batch_id=batch_id,
                n_keluarga=0,
                n_jiwa=0,
                h3_resolusi=h3_resolution,
                dibuat=utcnow(),
            )
        )
        snapshots[kab] = {"n_keluarga": 0, "n_jiwa": 0}
