"""What the routes need from the database: thin calls into the storage repository, every one
scoped to the caller's kabupaten (:class:`~geo_service.db.repository.Scope`).

Routes call these and format the result. Nothing here raises an HTTP error: the repository
raises ``AccessDeniedError`` for a kabupaten outside the scope and ``NotFoundError`` for a
run or import id outside it (ids do not reveal what exists).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from ..db import models as M
from ..db import repository as R
from ..errors import DuplicateError, NotFoundError
from .security import Principal, verify_password

# Stored table names per result; the first that exists is used.
TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "kantong": ("kantong", "pockets"),
    "prioritas": ("prioritas", "priorities"),
    "target_opd": ("target_opd", "opd", "opd_targets"),
    "cakupan": ("cakupan", "coverage"),
}


def scope_of(user: Principal) -> R.Scope:
    """The repository scope of a caller: exactly their kabupaten (admins included)."""
    return R.Scope.of(user.kabupaten)


# ---------------------------------------------------------------- users


def principal_of(user: M.Pengguna) -> Principal:
    """The principal (role, scope) of a user row."""
    return Principal(user_id=user.id, username=user.nama_pengguna, role=user.peran,
                     kabupaten=tuple(sorted(k.kode_kab for k in user.kabupaten)),
                     kode_opd=user.kode_opd)


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password of an active user, else ``None``."""
    user = R.get_user(session, username)
    if user is None or not user.aktif or not verify_password(password, user.kata_sandi_hash):
        return None
    return principal_of(user)


def principal_for_api_key(session: Session, key: str) -> Principal | None:
    """The principal of a valid (known, unrevoked, unexpired) API key, else ``None``."""
    user = R.user_for_api_key(session, key)
    if user is None:
        return None
    principal = principal_of(user)
    session.commit()  # last-used time
    return principal


def record_audit(session: Session, user: Principal | None, aksi: str, *, objek: str | None = None,
                 kode_kab: str | None = None, periode: str | None = None,
                 n_baris: int | None = None, rincian: dict[str, Any] | None = None,
                 alamat_ip: str | None = None) -> None:
    """Append one audit row (who, what, when, how many rows; never personal data) and commit."""
    R.append_audit(session, aksi=aksi, objek=objek, pengguna_id=user.user_id if user else None,
                   aktor=user.username if user else None, kode_kab=kode_kab, periode=periode,
                   n_baris=n_baris, rincian=rincian, alamat_ip=alamat_ip)
    session.commit()


# ---------------------------------------------------------------- wilayah


def list_kabupaten(session: Session, user: Principal) -> list[dict[str, Any]]:
    """Kabupaten in the caller's scope that have boundaries."""
    frame = R.list_kabupaten(session, scope=scope_of(user))
    return [{"kode": r.kode, "nama": r.nama, "kode_prov": r.kode_prov, "nama_prov": r.nama_prov,
             "n_desa": int(r.n_desa)} for r in frame.itertuples(index=False)]


def wilayah(session: Session, user: Principal, kode_kab: str, level: str) -> gpd.GeoDataFrame:
    """Kecamatan or desa polygons of a kabupaten within the caller's scope."""
    scope = scope_of(user)
    if level == "kecamatan":
        gdf = R.kecamatan_of_kabupaten(session, kode_kab, scope=scope)
        if gdf.empty:
            raise NotFoundError(f"Kecamatan kabupaten {kode_kab} tidak ditemukan.",
                                f"No kecamatan of kabupaten {kode_kab}.")
        return gdf.rename(columns={"kode": "kode_kec", "nama": "nama_kec"})
    gdf = R.desa_of_kabupaten(session, kode_kab, scope=scope)
    gdf = gdf.drop(columns=["versi_id", "kode_prov", "nama_prov"], errors="ignore")
    return gdf.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})


# ---------------------------------------------------------------- runs


def list_runs(session: Session, user: Principal, kode_kab: str | None = None,
              *, limit: int = 50, offset: int = 0) -> list[R.RunInfo]:
    return R.list_runs(session, scope=scope_of(user), kode_kab=kode_kab, limit=limit,
                       offset=offset)


def get_run(session: Session, user: Principal, run_id: int) -> R.RunInfo:
    return R.get_run(session, run_id, scope=scope_of(user))


def finished_run(session: Session, user: Principal, kode_kab: str, periode: str | None
                 ) -> R.RunInfo:
    """The newest finished run of a kabupaten (and periode, when given) in the caller's scope."""
    runs = R.list_runs(session, scope=scope_of(user), kode_kab=kode_kab, periode=periode,
                       status=M.RUN_SELESAI, limit=200)
    runs = [r for r in runs if "desa" in r.tabel]
    if not runs:
        sfx_id = f" periode {periode}" if periode else ""
        raise NotFoundError(
            f"Belum ada hasil analisis untuk kabupaten {kode_kab}{sfx_id}. Jalankan analisis "
            "dulu (POST /analisis).",
            f"No analysis results for kabupaten {kode_kab}{sfx_id} yet. Run an analysis "
            "first (POST /analisis).")
    return max(runs, key=lambda r: (r.periode, r.id))


def run_table(session: Session, user: Principal, run: R.RunInfo, nama: str) -> pd.DataFrame:
    """A stored result frame of ``run`` (GeoDataFrame when it has geometry)."""
    for alias in TABLE_ALIASES.get(nama, (nama,)):
        if alias in run.tabel:
            return R.load_run_table(session, run.id, alias, scope=scope_of(user))
    raise NotFoundError(f"Analisis #{run.id} tidak punya tabel '{nama}'.",
                        f"Run #{run.id} has no table '{nama}'.")


# ---------------------------------------------------------------- imports


def get_batch(session: Session, user: Principal, batch_id: int) -> M.ImporBatch:
    return R.get_batch(session, batch_id, scope=scope_of(user))


def list_batches(session: Session, user: Principal, *, limit: int = 50) -> pd.DataFrame:
    return R.list_batches(session, scope=scope_of(user), limit=limit)


def kabupaten_in_file(kind: str, path: Path, settings) -> set[str]:
    """The kabupaten codes a file would touch (read before importing, to check the scope)."""
    if kind == "batas":
        from ..io.importers import read_boundary_file

        layer, _ = read_boundary_file(path, settings=settings)
        col = "kode_kab" if "kode_kab" in layer.columns else ("kode" if "kode" in layer.columns
                                                               else None)
        codes = layer[col].astype(str).str[:5] if col else pd.Series([], dtype=str)
    else:
        try:
            if path.suffix.lower() == ".parquet":
                codes = pd.read_parquet(path, columns=["kode_desa"])["kode_desa"]
            else:
                codes = pd.read_csv(path, usecols=["kode_desa"], dtype=str,
                                    encoding="utf-8-sig")["kode_desa"]
        except (ValueError, KeyError, OSError):
            return set()  # the import itself reports the missing column or bad file
        codes = codes.dropna().astype(str).str.strip().str[:5]
    return {c for c in codes.unique() if len(c) == 5 and c[2] == "."}


def import_file(session: Session, user: Principal, kind: str, path: Path, *, settings,
                filename: str, periode: str | None = None, partial: bool = False,
                replace: bool = False) -> M.ImporBatch:
    """Import an uploaded file with the storage layer's importers; returns the batch row.

    Raises
    ------
    AccessDeniedError
        The file holds a kabupaten outside the caller's scope (checked before importing).
    DuplicateError
        The same file was imported before (nothing changed), or the snapshot exists and
        ``replace`` is not set.
    """
    from ..io import importers as I

    scope = scope_of(user)
    for kode in sorted(kabupaten_in_file(kind, Path(path), settings)):
        scope.check(kode)
    engine = session.get_bind()
    if kind == "batas":
        report = I.import_boundaries(engine, path, settings=settings, pengguna_id=user.user_id,
                                     berkas=filename)
    else:
        report = I.import_keluarga(engine, path, periode=periode, partial=partial,
                                   replace=replace, settings=settings,
                                   pengguna_id=user.user_id, berkas=filename)
    if report.status == "sudah_ada":
        raise DuplicateError(
            f"Berkas ini sudah pernah diimpor (impor #{report.batch_id}); tidak ada yang diubah.",
            f"This file was imported before (import #{report.batch_id}); nothing changed.",
            detail={"batch_id": report.batch_id, "sha256": report.sha256})
    session.expire_all()
    return R.get_batch(session, int(report.batch_id), scope=scope)
