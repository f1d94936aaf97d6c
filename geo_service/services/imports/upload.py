"""Importing an uploaded file for a caller: the kabupaten it touches are checked against the
caller's scope before anything is imported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from geo_service.db import models as M
from geo_service.db import repo as R
from geo_service.errors import DuplicateError
from geo_service.io.import_files import read_boundary_file
from geo_service.services.audit import Caller, scope_of
from geo_service.services.imports.batas import import_boundaries
from geo_service.services.imports.keluarga import import_keluarga
from geo_service.services.profil import import_keluarga_profil
from geo_service.settings import Settings


def kabupaten_in_file(kind: str, path: Path, settings: Settings) -> set[str]:
    """The kabupaten codes a file would touch (read before importing, to check the scope)."""
    if kind == "batas":
        layer, _ = read_boundary_file(path, settings=settings)
        col = (
            "kode_kab"
            if "kode_kab" in layer.columns
            else ("kode" if "kode" in layer.columns else None)
        )
        codes = layer[col].astype(str).str[:5] if col else pd.Series([], dtype=str)
    else:
        try:
            if path.suffix.lower() == ".parquet":
                codes = pd.read_parquet(path, columns=["kode_desa"])["kode_desa"]
            else:
                codes = pd.read_csv(path, usecols=["kode_desa"], dtype=str, encoding="utf-8-sig")[
                    "kode_desa"
                ]
        except (ValueError, KeyError, OSError):
            return set()  # the import itself reports the missing column or bad file
        codes = codes.dropna().astype(str).str.strip().str[:5]
    return {c for c in codes.unique() if len(c) == 5 and c[2] == "."}


def import_file(
    session: Session,
    user: Caller,
    kind: str,
    path: Path,
    *,
    settings: Settings,
    filename: str,
    periode: str | None = None,
    partial: bool = False,
    replace: bool = False,
    profil: str | None = None,
) -> M.ImporBatch:
    """Import an uploaded file with the storage layer's importers; returns the batch row.

    Raises
    ------
    AccessDeniedError
        The file holds a kabupaten outside the caller's scope (checked before importing).
    DuplicateError
        The same file was imported before (nothing changed), or the snapshot exists and
        ``replace`` is not set.
    """

    scope = scope_of(user)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if kind != "batas" and profil is not None:  # issue 16: the mapping checks the scope
        report = import_keluarga_profil(
            engine,
            path,
            profil,
            settings=settings,
            periode=periode,
            partial=partial,
            replace=replace,
            pengguna_id=user.user_id,
            berkas=filename,
            scope=scope,
        ).laporan
    else:
        for kode in sorted(kabupaten_in_file(kind, Path(path), settings)):
            scope.check(kode)
        if kind == "batas":
            report = import_boundaries(
                engine, path, settings=settings, pengguna_id=user.user_id, berkas=filename
            )
        else:
            report = import_keluarga(
                engine,
                path,
                periode=periode,
                partial=partial,
                replace=replace,
                settings=settings,
                pengguna_id=user.user_id,
                berkas=filename,
            )
    if report.status == "sudah_ada":
        raise DuplicateError(
            f"Berkas ini sudah pernah diimpor (impor #{report.batch_id}); tidak ada yang diubah.",
            f"This file was imported before (import #{report.batch_id}); nothing changed.",
            detail={"batch_id": report.batch_id, "sha256": report.sha256},
        )
    session.expire_all()
    assert report.batch_id is not None  # a finished or failed import has its batch
    return R.get_batch(session, report.batch_id, scope=scope)
