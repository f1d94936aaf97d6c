"""Boundaries (wilayah) as a caller may see them: kabupaten list, desa/kecamatan of one."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from geo_service.analysis.provinsi import nama_provinsi
from geo_service.db import repo as R
from geo_service.errors import NotFoundError
from geo_service.services.audit import Caller, scope_of


def list_kabupaten(session: Session, user: Caller) -> list[dict[str, Any]]:
    """Kabupaten in the caller's scope that have boundaries."""
    frame = R.list_kabupaten(session, scope=scope_of(user))
    return [
        {
            "kode": r.kode,
            "nama": r.nama,
            "kode_prov": r.kode_prov,
            "nama_prov": nama_provinsi(r.kode_prov, r.nama_prov) or r.kode_prov,
            "n_desa": int(r.n_desa),
        }
        for r in frame.itertuples(index=False)
    ]


def wilayah(session: Session, user: Caller, kode_kab: str, level: str) -> gpd.GeoDataFrame:
    """Kecamatan or desa polygons of a kabupaten within the caller's scope."""
    scope = scope_of(user)
    if level == "kecamatan":
        gdf = R.kecamatan_of_kabupaten(session, kode_kab, scope=scope)
        if gdf.empty:
            raise NotFoundError(
                f"Kecamatan kabupaten {kode_kab} tidak ditemukan.",
                f"No kecamatan of kabupaten {kode_kab}.",
            )
        return gdf.rename(columns={"kode": "kode_kec", "nama": "nama_kec"})
    gdf = R.desa_of_kabupaten(session, kode_kab, scope=scope)
    gdf = gdf.drop(columns=["versi_id", "kode_prov", "nama_prov"], errors="ignore")
    return gdf.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
