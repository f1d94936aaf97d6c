"""Ground checks (uji petik) for a caller, on the database: draw and store a sample, field
files, field results coming back (and the citizen reports they verify), progress.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis import uji_petik as G
from geo_service.db import repo as R
from geo_service.db.repo import laporan_warga as LR
from geo_service.db.repo import uji_petik as GR
from geo_service.errors import DuplicateError, InvalidInputError, NotFoundError
from geo_service.io.uji_petik import (
    export_frame,
    read_field_results,
    write_sample_gpkg,
    write_sample_xlsx,
)
from geo_service.services.audit import Caller, begin_write, record_audit, scope_of
from geo_service.services.runs import latest_periode, latest_run_or_none, table_or_none


def build_sample(
    session: Session, user: Caller, kode_kab: str, *, periode: str | None, params, now
) -> Any:
    """Draw and store a ground-check sample from the families in the database.

    Flagged families are ordered by the pockets and desa ranks of the newest finished run of
    the periode (when there is one); families named by open citizen reports are flagged
    ``laporan_warga`` and those reports move to ``antre_uji_petik``. Household-level: one
    audit row. Commits.
    """

    scope = scope_of(user)
    scope.check(kode_kab)
    periode = periode or latest_periode(session, user, kode_kab)
    fam = R.keluarga_frame(session, kode_kab, periode, scope=scope, with_location=True)
    run = latest_run_or_none(session, user, kode_kab, periode)
    kantong = nomor = peringkat = None
    if run is not None:
        pockets = table_or_none(session, user, run, "kantong")
        ranks = table_or_none(session, user, run, "prioritas")
        if pockets is not None and len(pockets):
            kantong = pd.Series(G.pocket_of_families(fam["h3"].tolist(), pockets), index=fam.index)
            if "nomor" in pockets.columns:
                nomor = dict(
                    zip(
                        pockets["kantong_id"].astype(str), pockets["nomor"].astype(int), strict=True
                    )
                )
        if ranks is not None and {"kode_desa", "peringkat"} <= set(ranks.columns):
            peringkat = ranks.set_index("kode_desa")["peringkat"]
    reported = LR.reported_families(session, kode_kab, scope=scope)
    sample = G.build_sample(
        fam,
        params,
        kantong=kantong,
        nomor_kantong=nomor,
        peringkat_desa=peringkat,
        laporan_warga=reported,
    )
    begin_write(session)
    sampel_id = GR.save_sample(
        session,
        sample,
        kode_kab=kode_kab,
        periode=periode,
        scope=scope,
        run_id=run.id if run else None,
        pengguna_id=user.user_id,
    )
    info = GR.get_sample_info(session, sampel_id, scope=scope)
    queued = LR.mark_reports_queued(
        session, sample.daftar["id_keluarga"], info.kode, kode_kab=kode_kab, scope=scope, now=now
    )
    record_audit(
        session,
        user,
        "buat_sampel",
        objek=f"uji_petik:{sampel_id}",
        kode_kab=kode_kab,
        periode=periode,
        n_baris=len(fam),
        rincian={
            "sampel": sampel_id,
            "n_item": info.n_item,
            "run": info.run_id,
            "laporan_warga_antre": queued,
        },
    )
    return info


def sample_info(session: Session, user: Caller, sampel_id: int):

    return GR.get_sample_info(session, sampel_id, scope=scope_of(user))


def list_samples(session: Session, user: Caller, kode_kab: str) -> list:

    return GR.list_samples(session, scope=scope_of(user), kode_kab=kode_kab)


FIELD_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
}


def field_files(
    session: Session, user: Caller, sampel_id: int, fmt: str, desa: str | None, lang: str
) -> tuple[bytes, str, str, int]:
    """The field file of one desa, or of the whole sample, in the format officers use
    (:mod:`geo_service.io.uji_petik`): ``(body, filename, media type, rows)``.
    Household-level: the caller records the audit."""

    scope = scope_of(user)
    info = GR.get_sample_info(session, sampel_id, scope=scope)
    daftar = GR.load_sample(session, sampel_id, scope=scope).daftar
    if desa is not None:
        daftar = daftar[daftar["kode_desa"].astype(str) == desa]
        if daftar.empty:
            raise NotFoundError(
                f"Desa {desa} tidak ada dalam sampel #{sampel_id}.",
                f"Desa {desa} is not in sample #{sampel_id}.",
            )
    outlines = R.desa_of_kabupaten(session, info.kode_kab, scope=scope)
    frame = export_frame(daftar, outlines, lang=lang)
    meta = {
        "id": info.kode,
        "sampel_id": info.id,
        "kabupaten": info.kode_kab,
        "periode": info.periode,
        "seed": info.seed,
        "dibuat": info.dibuat.isoformat(),
        "desa": desa or "semua",
        "parameter": info.parameter,
    }
    name = f"uji_petik_{info.kode}" + (f"_{desa}" if desa else "") + f".{fmt}"
    if fmt == "csv":
        return (frame.to_csv(index=False).encode("utf-8-sig"), name, FIELD_MEDIA[fmt], len(frame))
    with tempfile.TemporaryDirectory(prefix="geo-lapangan-") as tmp:
        path = Path(tmp) / name
        if fmt == "xlsx":
            write_sample_xlsx(frame, path, info=meta, lang=lang)
        else:
            codes = set(frame["kode_desa"].astype(str))
            write_sample_gpkg(
                frame,
                outlines[outlines["kode"].astype(str).isin(codes)],
                path,
                info=meta,
                lang=lang,
            )
        return path.read_bytes(), name, FIELD_MEDIA[fmt], len(frame)


def import_field_results(
    session: Session,
    user: Caller,
    sampel_id: int,
    path: Path,
    *,
    filename: str,
    sha256: str,
    size: int,
    partial: bool,
    lang: str,
    now,
    alamat_ip: str | None = None,
) -> tuple[Any, int]:
    """Import a returned field file into a stored sample (one transaction); returns the
    import and the number of citizen reports now verified. Commits, with an audit row.

    Raises
    ------
    DuplicateError
        The same file was imported before; nothing changed.
    InvalidInputError
        A row has a problem and ``partial`` is not set: nothing imported; the failed batch
        and its row report are kept (``detail`` has them).
    """

    scope = scope_of(user)
    GR.get_sample_info(session, sampel_id, scope=scope)
    raw = read_field_results(path)
    begin_write(session)
    info = GR.get_sample_info(session, sampel_id, scope=scope)
    out = GR.import_results(
        session,
        sampel_id,
        raw,
        scope=scope,
        berkas=filename,
        sha256=sha256,
        ukuran_byte=size,
        partial=partial,
        lang=lang,
        pengguna_id=user.user_id,
    )
    if out.status == GR.STATUS_SUDAH_ADA:
        session.rollback()
        raise DuplicateError(
            f"Berkas ini sudah pernah diimpor (impor #{out.batch_id}); tidak ada yang diubah.",
            f"This file was imported before (import #{out.batch_id}); nothing changed.",
            detail={"batch_id": out.batch_id, "sha256": sha256},
        )
    verified = 0
    if out.diimpor:
        verified = LR.close_reports_from_results(session, sampel_id, scope=scope, now=now)
    assert out.check is not None  # only a file imported before has none (raised above)
    record_audit(
        session,
        user,
        "impor",
        objek=f"uji_petik:{out.batch_id}",
        kode_kab=info.kode_kab,
        periode=info.periode,
        n_baris=len(out.check.valid) if out.diimpor else 0,
        rincian={"sampel": sampel_id, "batch": out.batch_id, "status": out.status},
        alamat_ip=alamat_ip,
    )
    if not out.diimpor:
        problems = out.check.problems
        raise InvalidInputError(
            f"Tidak ada yang diimpor: {len(problems)} masalah pada "
            f"{problems['baris'].nunique()} baris. Perbaiki berkas, atau kirim sebagian=true "
            "untuk mengimpor baris yang sah.",
            f"Nothing imported: {len(problems)} problems in {problems['baris'].nunique()} "
            "rows. Fix the file, or send sebagian=true to import the valid rows.",
            detail={
                "batch_id": out.batch_id,
                "masalah_per_kode": {
                    str(k): int(v) for k, v in problems["kode_alasan"].value_counts().items()
                },
                "masalah": problems,
            },
        )
    return out, verified


def sample_progress(
    session: Session, user: Caller, sampel_id: int, *, kelompok: str, lang: str
) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """``(sample info, progress per desa, error-rate estimates)`` from the stored results."""

    scope = scope_of(user)
    info = GR.get_sample_info(session, sampel_id, scope=scope)
    prog = GR.sample_progress(session, sampel_id, scope=scope)
    est = GR.error_rates(session, sampel_id, scope=scope, kelompok=kelompok, lang=lang)
    return info, prog, est


def progress_shapes(session: Session, user: Caller, info, prog: pd.DataFrame) -> gpd.GeoDataFrame:
    """Desa outlines of a sample's desa with their progress."""
    outlines = R.desa_of_kabupaten(session, info.kode_kab, scope=scope_of(user))
    shapes = outlines[["kode", "geometry"]].rename(columns={"kode": "kode_desa"})
    return gpd.GeoDataFrame(
        shapes.merge(prog, on="kode_desa", how="inner"), geometry="geometry", crs=4326
    )
