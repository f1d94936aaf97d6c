"""Boundaries (wilayah): kabupaten, kecamatan and desa, and the fast-join index stored with them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.functions import ST_AsBinary
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, delete, func, insert, select, update

from geo_service.analysis.fastjoin import (
    BoundaryIndex,
    boundary_fingerprint,
    build_boundary_index,
    build_join_table,
)
from geo_service.analysis.locate import FAST_JOIN_MIN_POINTS
from geo_service.analysis.provinsi import nama_provinsi
from geo_service.db.models import (
    SRID,
    BatasVersi,
    Desa,
    IndeksBatas,
    Kabupaten,
    Kecamatan,
    Provinsi,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope, _geoms
from geo_service.errors import (
    NotFoundError,
)


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
            "Impor dulu: geo-service import batas BERKAS",
            f"No desa boundaries of kabupaten {kode_kab} in the database. "
            "Import them first: geo-service import batas FILE",
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


def boundary_index(
    session: Bind,
    kode_kab: str,
    desa: gpd.GeoDataFrame,
    *,
    scope: Scope,
    build_from: int | None = None,
    h3_resolution: int | None = 8,
):
    """The stored fast-join index of ``desa`` (the layer of ``kode_kab`` as returned by
    :func:`desa_of_kabupaten`), or ``None``.

    With ``build_from``: when no index of this boundary version is stored and at least that
    many families are to be located (``analysis.locate.FAST_JOIN_MIN_POINTS`` pays off),
    build it and store it for the next analyses. A new boundary version has another
    fingerprint, so a stale index is never returned. A built index carries the block table
    (desa and, unless ``h3_resolution`` is ``None``, the H3 cell at that resolution of every
    block inside one of each), which answers most families without a range search or H3.
    """

    scope.check(kode_kab)
    sidik = boundary_fingerprint(desa)
    row = session.execute(
        select(IndeksBatas.sidik, IndeksBatas.data).where(IndeksBatas.kode_kab == kode_kab)
    ).first()
    if row is not None and row.sidik == sidik:
        return BoundaryIndex.from_bytes(row.data)
    if build_from is None:
        return None

    if build_from < FAST_JOIN_MIN_POINTS:
        return None
    index = build_join_table(build_boundary_index(desa), desa, h3_resolution=h3_resolution)
    store_boundary_index(session, kode_kab, index, sidik=sidik)
    return index


def store_boundary_index(session: Bind, kode_kab: str, index, *, sidik: str) -> None:
    """Keep ``index`` (a ``BoundaryIndex``) as the one of ``kode_kab``'s current boundaries."""

    session.execute(delete(IndeksBatas).where(IndeksBatas.kode_kab == kode_kab))
    session.execute(
        insert(IndeksBatas).values(
            kode_kab=kode_kab, sidik=sidik, data=index.to_bytes(), dibuat=utcnow()
        )
    )


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Every polygon as a MultiPolygon (the column type of the wilayah tables)."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g
    return out


def _union(geoms) -> Any:
    u = shapely.union_all(np.asarray(list(geoms), dtype=object))
    if u.geom_type == "Polygon":
        return shapely.MultiPolygon([u])
    if u.geom_type != "MultiPolygon":
        parts = [g for g in getattr(u, "geoms", []) if g.geom_type in ("Polygon",)]
        parts += [
            p for g in getattr(u, "geoms", []) if g.geom_type == "MultiPolygon" for p in g.geoms
        ]
        return shapely.MultiPolygon(parts) if parts else None
    return u


def _wkb(g) -> Any:

    return None if g is None else from_shape(g, srid=SRID)


def store_boundaries(
    conn: Connection,
    desa: gpd.GeoDataFrame,
    batch_id: int,
    name: str,
    sha: str,
    crs_asal: str | None,
    report,
) -> None:
    kabs = report.kabupaten
    versi_id = conn.execute(
        insert(BatasVersi)
        .values(
            batch_id=batch_id,
            berkas=name,
            sha256=sha,
            kode_kab=kabs,
            n_desa=len(desa),
            crs_asal=crs_asal,
            diperbaiki=report.diperbaiki,
            dibuat=utcnow(),
        )
        .returning(BatasVersi.id)
    ).scalar_one()
    desa = desa.copy()
    desa["geometry"] = _multi(desa.geometry.to_numpy())
    if "kode_prov" not in desa.columns:
        desa["kode_prov"] = desa["kode_kab"].str[:2]
    if "nama_prov" not in desa.columns:
        desa["nama_prov"] = [nama_provinsi(k) or k for k in desa["kode_prov"]]
    conn.execute(delete(Desa).where(Desa.kode_kab.in_(kabs)))
    conn.execute(delete(Kecamatan).where(Kecamatan.kode_kab.in_(kabs)))
    for kode_prov, grp in desa.groupby("kode_prov"):
        if conn.execute(select(Provinsi.kode).where(Provinsi.kode == kode_prov)).first() is None:
            nama_prov = str(grp["nama_prov"].iloc[0])
            conn.execute(insert(Provinsi).values(kode=kode_prov, nama=nama_prov))
    for kode_kab, grp in desa.groupby("kode_kab"):
        values = {
            "nama": str(grp["nama_kab"].iloc[0]),
            "kode_prov": str(grp["kode_prov"].iloc[0]),
            "versi_id": versi_id,
            "geom": _wkb(_union(grp.geometry)),
        }
        if conn.execute(select(Kabupaten.kode).where(Kabupaten.kode == kode_kab)).first():
            conn.execute(update(Kabupaten).where(Kabupaten.kode == kode_kab).values(**values))
        else:
            conn.execute(insert(Kabupaten).values(kode=kode_kab, **values))
    kec_rows = [
        {
            "kode": str(k),
            "nama": str(g["nama_kec"].iloc[0]),
            "kode_kab": str(k)[:5],
            "geom": _wkb(_union(g.geometry)),
        }
        for k, g in desa.groupby("kode_kec")
    ]
    conn.execute(insert(Kecamatan), kec_rows)
    desa_rows = [
        {
            "kode": r.kode,
            "nama": str(r.nama),
            "kode_kec": r.kode_kec,
            "kode_kab": r.kode_kab,
            "jenis": _text_or_none(getattr(r, "jenis", None)),
            "versi_id": versi_id,
            "geom": _wkb(r.geometry),
        }
        for r in desa.itertuples(index=False)
    ]
    for start in range(0, len(desa_rows), 2_000):
        conn.execute(insert(Desa), desa_rows[start : start + 2_000])
    for kode_prov in sorted(desa["kode_prov"].unique()):
        geoms = (
            conn.execute(
                select(Kabupaten.geom.ST_AsBinary()).where(Kabupaten.kode_prov == kode_prov)
            )
            .scalars()
            .all()
        )
        shapes = [shapely.from_wkb(bytes(g)) for g in geoms if g is not None]
        conn.execute(
            update(Provinsi)
            .where(Provinsi.kode == kode_prov)
            .values(geom=_wkb(_union(shapes)) if shapes else None)
        )


def _text_or_none(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
