"""What the routes need from the database: thin calls into the storage repository, every one
scoped to the caller's kabupaten (:class:`~geo_service.db.repo.Scope`).

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

from geo_service.api.security import Principal, verify_password
from geo_service.db import models as M
from geo_service.db import repo as R
from geo_service.db.repo import laporan_warga as LR
from geo_service.errors import DuplicateError, NotFoundError

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
    return Principal(
        user_id=user.id,
        username=user.nama_pengguna,
        role=user.peran,
        kabupaten=tuple(sorted(k.kode_kab for k in user.kabupaten)),
        kode_opd=user.kode_opd,
    )


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


def record_audit(
    session: Session,
    user: Principal | None,
    aksi: str,
    *,
    objek: str | None = None,
    kode_kab: str | None = None,
    periode: str | None = None,
    n_baris: int | None = None,
    rincian: dict[str, Any] | None = None,
    alamat_ip: str | None = None,
) -> None:
    """Append one audit row (who, what, when, how many rows; never personal data) and commit."""
    R.append_audit(
        session,
        aksi=aksi,
        objek=objek,
        pengguna_id=user.user_id if user else None,
        aktor=user.username if user else None,
        kode_kab=kode_kab,
        periode=periode,
        n_baris=n_baris,
        rincian=rincian,
        alamat_ip=alamat_ip,
    )
    session.commit()


# ---------------------------------------------------------------- wilayah


def list_kabupaten(session: Session, user: Principal) -> list[dict[str, Any]]:
    """Kabupaten in the caller's scope that have boundaries."""
    frame = R.list_kabupaten(session, scope=scope_of(user))
    return [
        {
            "kode": r.kode,
            "nama": r.nama,
            "kode_prov": r.kode_prov,
            "nama_prov": r.nama_prov,
            "n_desa": int(r.n_desa),
        }
        for r in frame.itertuples(index=False)
    ]


def wilayah(session: Session, user: Principal, kode_kab: str, level: str) -> gpd.GeoDataFrame:
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


# ---------------------------------------------------------------- runs


def list_runs(
    session: Session,
    user: Principal,
    kode_kab: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> list[R.RunInfo]:
    return R.list_runs(session, scope=scope_of(user), kode_kab=kode_kab, limit=limit, offset=offset)


def get_run(session: Session, user: Principal, run_id: int) -> R.RunInfo:
    return R.get_run(session, run_id, scope=scope_of(user))


def finished_run(
    session: Session, user: Principal, kode_kab: str, periode: str | None
) -> R.RunInfo:
    """The newest finished run of a kabupaten (and periode, when given) in the caller's scope."""
    runs = R.list_runs(
        session,
        scope=scope_of(user),
        kode_kab=kode_kab,
        periode=periode,
        status=M.RUN_SELESAI,
        limit=200,
    )
    runs = [r for r in runs if "desa" in r.tabel]
    if not runs:
        sfx_id = f" periode {periode}" if periode else ""
        raise NotFoundError(
            f"Belum ada hasil analisis untuk kabupaten {kode_kab}{sfx_id}. Jalankan analisis "
            "dulu (POST /analisis).",
            f"No analysis results for kabupaten {kode_kab}{sfx_id} yet. Run an analysis "
            "first (POST /analisis).",
        )
    return max(runs, key=lambda r: (r.periode, r.id))


def run_table(session: Session, user: Principal, run: R.RunInfo, nama: str) -> pd.DataFrame:
    """A stored result frame of ``run`` (GeoDataFrame when it has geometry)."""
    for alias in TABLE_ALIASES.get(nama, (nama,)):
        if alias in run.tabel:
            return R.load_run_table(session, run.id, alias, scope=scope_of(user))
    raise NotFoundError(
        f"Analisis #{run.id} tidak punya tabel '{nama}'.", f"Run #{run.id} has no table '{nama}'."
    )


# ---------------------------------------------------------------- imports


def get_batch(session: Session, user: Principal, batch_id: int) -> M.ImporBatch:
    return R.get_batch(session, batch_id, scope=scope_of(user))


def list_batches(session: Session, user: Principal, *, limit: int = 50) -> pd.DataFrame:
    return R.list_batches(session, scope=scope_of(user), limit=limit)


def kabupaten_in_file(kind: str, path: Path, settings) -> set[str]:
    """The kabupaten codes a file would touch (read before importing, to check the scope)."""
    if kind == "batas":
        from geo_service.services.imports import read_boundary_file

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
    user: Principal,
    kind: str,
    path: Path,
    *,
    settings,
    filename: str,
    periode: str | None = None,
    partial: bool = False,
    replace: bool = False,
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
    from geo_service.services import imports as I

    scope = scope_of(user)
    for kode in sorted(kabupaten_in_file(kind, Path(path), settings)):
        scope.check(kode)
    engine = session.get_bind()
    if kind == "batas":
        report = I.import_boundaries(
            engine, path, settings=settings, pengguna_id=user.user_id, berkas=filename
        )
    else:
        report = I.import_keluarga(
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
    return R.get_batch(session, int(report.batch_id), scope=scope)


# ---------------------------------------------------------------- ground checks (uji petik)


def latest_periode(session: Session, user: Principal, kode_kab: str) -> str:
    """The newest periode with families of a kabupaten (NotFoundError when none)."""
    snaps = R.list_snapshots(session, scope=scope_of(user), kode_kab=kode_kab)
    if snaps.empty:
        raise NotFoundError(
            f"Data keluarga kabupaten {kode_kab} belum diimpor.",
            f"No families of kabupaten {kode_kab} have been imported.",
        )
    return str(snaps["periode"].iloc[0])


def _latest_run_or_none(
    session: Session, user: Principal, kode_kab: str, periode: str
) -> R.RunInfo | None:
    try:
        return finished_run(session, user, kode_kab, periode)
    except NotFoundError:
        return None


def build_sample(
    session: Session, user: Principal, kode_kab: str, *, periode: str | None, params, now
) -> Any:
    """Draw and store a ground-check sample from the families in the database.

    Flagged families are ordered by the pockets and desa ranks of the newest finished run of
    the periode (when there is one); families named by open citizen reports are flagged
    ``laporan_warga`` and those reports move to ``antre_uji_petik``. Household-level: one
    audit row. Commits.
    """
    from geo_service.analysis import uji_petik as G
    from geo_service.db.repo import uji_petik as GR

    scope = scope_of(user)
    scope.check(kode_kab)
    periode = periode or latest_periode(session, user, kode_kab)
    fam = R.keluarga_frame(session, kode_kab, periode, scope=scope, with_location=True)
    run = _latest_run_or_none(session, user, kode_kab, periode)
    kantong = nomor = peringkat = None
    if run is not None:
        pockets = _table_or_none(session, user, run, "kantong")
        ranks = _table_or_none(session, user, run, "prioritas")
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
    _write_transaction(session)
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


def _write_transaction(session: Session) -> None:
    """End the current (read) transaction and begin one that writes.

    On SQLite the new one takes the write lock at once (``BEGIN IMMEDIATE``): a read
    transaction cannot become a writing one after another connection has committed (the
    database would answer "locked" at once); PostgreSQL ignores the option.
    """
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def end_read(session: Session) -> None:
    """End a read-only transaction before the audit row is written (see
    :func:`_write_transaction`)."""
    session.rollback()


def _table_or_none(
    session: Session, user: Principal, run: R.RunInfo, nama: str
) -> pd.DataFrame | None:
    try:
        return run_table(session, user, run, nama)
    except NotFoundError:
        return None


def sample_info(session: Session, user: Principal, sampel_id: int):
    from geo_service.db.repo import uji_petik as GR

    return GR.get_sample_info(session, sampel_id, scope=scope_of(user))


def list_samples(session: Session, user: Principal, kode_kab: str) -> list:
    from geo_service.db.repo import uji_petik as GR

    return GR.list_samples(session, scope=scope_of(user), kode_kab=kode_kab)


FIELD_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
}


def field_files(
    session: Session, user: Principal, sampel_id: int, fmt: str, desa: str | None, lang: str
) -> tuple[bytes, str, str, int]:
    """The field file of one desa, or of the whole sample, in the format officers use
    (:mod:`geo_service.io.uji_petik`): ``(body, filename, media type, rows)``.
    Household-level: the caller records the audit."""
    import tempfile

    from geo_service.db.repo import uji_petik as GR
    from geo_service.io.uji_petik import export_frame, write_sample_gpkg, write_sample_xlsx

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
    user: Principal,
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
    from geo_service.db.repo import uji_petik as GR
    from geo_service.errors import InvalidInputError
    from geo_service.io.uji_petik import read_field_results

    scope = scope_of(user)
    GR.get_sample_info(session, sampel_id, scope=scope)
    raw = read_field_results(path)
    _write_transaction(session)
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
    session: Session, user: Principal, sampel_id: int, *, kelompok: str, lang: str
) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """``(sample info, progress per desa, error-rate estimates)`` from the stored results."""
    from geo_service.db.repo import uji_petik as GR

    scope = scope_of(user)
    info = GR.get_sample_info(session, sampel_id, scope=scope)
    prog = GR.sample_progress(session, sampel_id, scope=scope)
    est = GR.error_rates(session, sampel_id, scope=scope, kelompok=kelompok, lang=lang)
    return info, prog, est


def progress_shapes(
    session: Session, user: Principal, info, prog: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Desa outlines of a sample's desa with their progress."""
    outlines = R.desa_of_kabupaten(session, info.kode_kab, scope=scope_of(user))
    shapes = outlines[["kode", "geometry"]].rename(columns={"kode": "kode_desa"})
    return gpd.GeoDataFrame(
        shapes.merge(prog, on="kode_desa", how="inner"), geometry="geometry", crs=4326
    )


# ---------------------------------------------------------------- transitions


def transitions(
    session: Session, user: Principal, kode_kab: str, periodes: list[str] | None, lang: str
) -> dict[str, Any]:
    """Families of two or more periodes side by side (matched by ``id_keluarga``): desil
    transition matrix first -> last, graduation per desa for each pair, the change of the
    extreme-poverty rate per desa and pocket classes from stored runs when every periode has
    one. Household-level read: the caller records the audit."""
    from geo_service.analysis import transisi as T
    from geo_service.errors import InvalidInputError

    scope = scope_of(user)
    scope.check(kode_kab)
    if not periodes:
        snaps = R.list_snapshots(session, scope=scope, kode_kab=kode_kab)
        periodes = sorted(snaps["periode"].astype(str))
    periodes = sorted(dict.fromkeys(periodes))
    if len(periodes) < 2:
        raise InvalidInputError(
            "Perlu minimal dua periode data keluarga untuk melihat transisi "
            f"(tersedia: {', '.join(periodes) or '-'}).",
            "At least two periodes of families are needed for transitions "
            f"(available: {', '.join(periodes) or '-'}).",
        )
    snaps = {p: R.keluarga_frame(session, kode_kab, p, scope=scope) for p in periodes}
    first, last = periodes[0], periodes[-1]

    def matrix(bobot: str) -> list[dict[str, Any]]:
        mat = T.transition_matrix(snaps[first], snaps[last], bobot=bobot)
        return [
            {"desil_awal": idx, **{str(c): int(v) for c, v in row.items()}}
            for idx, row in mat.iterrows()
        ]

    grad = T.panel_graduation(snaps)
    grad["teks"] = [T.graduation_text(r, lang) for r in grad.to_dict("records")]
    runs = {p: _latest_run_or_none(session, user, kode_kab, p) for p in periodes}
    tren = kelas = None
    if all(runs.values()):
        desa = {p: run_table(session, user, r, "desa") for p, r in runs.items()}
        tren = T.rate_change(
            {p: pd.DataFrame(d.drop(columns="geometry", errors="ignore")) for p, d in desa.items()}
        )
        pockets = {p: _table_or_none(session, user, r, "kantong") for p, r in runs.items()}
        if len(periodes) >= 3 and all(
            x is not None and "sel_h3" in x.columns for x in pockets.values()
        ):
            kelas = T.pocket_classes(
                {
                    p: pd.DataFrame(x.drop(columns="geometry", errors="ignore"))
                    for p, x in pockets.items()
                },
                lang=lang,
            )
    total = grad[grad["unit"] == "TOTAL"]
    return {
        "kode_kab": kode_kab,
        "periode": periodes,
        "n_keluarga": {p: len(f) for p, f in snaps.items()},
        "matriks": matrix("keluarga"),
        "matriks_jiwa": matrix("jiwa"),
        "graduasi": grad,
        "tren": tren,
        "kelas_kantong": kelas,
        "teks": [f"{r['dari']} → {r['ke']}: {r['teks']}" for r in total.to_dict("records")],
    }


# ---------------------------------------------------------------- targets


def reference_file(settings, name: str) -> Path:
    """A reference table: from the data folder, else the one shipped in the repository."""
    from geo_service.settings import PROJECT_ROOT

    path = Path(settings.paths.data_dir) / name
    return path if path.exists() else PROJECT_ROOT / "data" / name


def target_progress(
    session: Session,
    user: Principal,
    kode_kab: str,
    *,
    settings,
    k: int,
    lang: str,
    until: str | None = None,
) -> pd.DataFrame:
    """Progress towards the targets of a kabupaten (``data/targets.csv``): BPS figures and the
    kabupaten totals of stored runs (newest run per periode, up to ``until``) as
    observations.

    For opd and publik a run's totals are left out when the extreme-poor count or its
    complement is a small cell (1..k-1).
    """
    from geo_service.analysis import target as TG
    from geo_service.analysis.disclosure import is_small, is_suppressed_role
    from geo_service.io.boundaries import read_bps

    scope = scope_of(user)
    scope.check(kode_kab)
    table = pd.read_csv(
        reference_file(settings, "targets.csv"), dtype={"kode_kab": str}, encoding="utf-8-sig"
    )
    targets = [t for t in TG.targets_from_frame(table) if t.kode_kab == kode_kab]
    bps_path = reference_file(settings, "bps_poverty_figures.csv")
    obs = [TG.observations_from_bps(read_bps(bps_path.parent), kode_kab)]
    per_periode: dict[str, dict] = {}
    for run in sorted(
        R.list_runs(session, scope=scope, kode_kab=kode_kab, status=M.RUN_SELESAI, limit=500),
        key=lambda r: r.id,
    ):
        tot = run.ringkasan or {}
        if until is not None and run.periode > until:
            continue
        if not {"n_jiwa_ekstrem", "pct_jiwa_ekstrem"} <= set(tot):
            continue
        if is_suppressed_role(user.role):
            n, total = float(tot["n_jiwa_ekstrem"]), float(tot.get("n_jiwa") or 0)
            if is_small(n, k) or is_small(total - n, k):
                continue
        per_periode[run.periode] = {"kode_kab": kode_kab, **tot}
    if per_periode:
        obs.append(TG.observations_from_runs(per_periode))
    progress = TG.progress_table(targets, pd.concat(obs, ignore_index=True), lang=lang)
    return progress.rename(columns={"n_observasi": "banyak_observasi"})
