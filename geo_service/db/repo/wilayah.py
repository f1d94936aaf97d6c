"""Boundaries (wilayah): kabupaten, kecamatan and desa, and the fast-join index stored with them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from geoalchemy2.functions import ST_AsBinary
from sqlalchemy import delete, func, insert, select

from geo_service.db.models import (
    SRID,
    Desa,
    Kabupaten,
    Kecamatan,
    Provinsi,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope, _geoms
from geo_service.errors import NotFoundError


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
