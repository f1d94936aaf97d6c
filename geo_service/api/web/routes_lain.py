"""Pockets (list and detail), the OPD view, the ground check (samples, progress per desa on a
map, upload of field results with the validation report in the page, error-rate estimates),
the citizen report queue for analysts and the public citizen report form (``/lapor``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from geo_service.api import sesi as S
from geo_service.api.deps import ApiSettingsDep, KodeKab, SessionDep, SettingsDep, check_kabupaten
from geo_service.api.errors import status_for
from geo_service.api.formats import feature_collection
from geo_service.api.routers import laporan_warga as LW
from geo_service.api.uploads import saved_upload
from geo_service.api.web import data as D
from geo_service.api.web.auth import MaybeWebUser, WebUser, check_csrf, require_roles
from geo_service.api.web.common import ANALYSTS, Periode, map_json, start_page
from geo_service.api.web.render import fragment, html_errors, page_lang, render
from geo_service.api.web.teks import t
from geo_service.db.repo.laporan_warga import citizen_reports
from geo_service.errors import GeoServiceError, InvalidInputError, NotFoundError, TooLargeError
from geo_service.services import audit as audit_service
from geo_service.services import uji_petik as uji_petik_service

router = APIRouter(include_in_schema=False)
SampelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RESULT_SUFFIXES = (".csv", ".xlsx", ".gpkg")


# ------------------------------------------------------------------ pockets


def _pockets(request, session, user, kode_kab, periode, k):
    run = D.newest_run(request, session, user, kode_kab, periode)
    pockets, applied = D.planning(request, session, user, run, "kantong", k)

    def build():
        ind = D.indicators(request, session, user, run, k)
        members: dict[str, list[str]] = {}
        for kode, ids in D.members_of(request, session, user, run, k).items():
            for kid in ids:
                members.setdefault(kid, []).append(kode)
        names = ind.view.desa.set_index(ind.view.desa["kode_desa"].astype(str))["nama_desa"]
        return members, names

    members, names = D.cache_of(request).get(("kantong_desa", run.id, k, *D.viewer(user)), build)
    return run, pockets, applied, members, names


@router.get("/kabupaten/{kode_kab}/hal/kantong", response_class=HTMLResponse)
@html_errors
def kantong(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    periode: Periode = None,
) -> Response:
    lang = start_page(request, user, kode_kab, api)
    run, pockets, k, members, _ = _pockets(
        request, session, user, kode_kab, periode or None, api.disclosure_k
    )
    rows = pd.DataFrame(pockets.drop(columns="geometry", errors="ignore"))
    if len(rows):
        rows = rows.assign(
            n_desa=[len(members.get(str(i), [])) for i in rows["kantong_id"].astype(str)]
        )
    return render(
        request,
        "kantong.html",
        user,
        lang,
        kode_kab=kode_kab,
        run=run,
        rows=rows,
        k=k,
        peta=map_json(request, session, user, run, api.disclosure_k, None),
    )


@router.get("/kabupaten/{kode_kab}/hal/kantong/{kantong_id}", response_class=HTMLResponse)
@html_errors
def kantong_detail(
    request: Request,
    kode_kab: KodeKab,
    kantong_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    periode: Periode = None,
) -> Response:
    lang = start_page(request, user, kode_kab, api)
    k = api.disclosure_k
    run, pockets, applied, members, names = _pockets(
        request, session, user, kode_kab, periode or None, k
    )
    hit = pockets[pockets["kantong_id"].astype(str) == kantong_id] if len(pockets) else pockets
    if not len(hit):
        raise NotFoundError(
            f"Kantong {kantong_id} tidak ditemukan.", f"Pocket {kantong_id} not found."
        )
    rec = D.row_dict(hit, 0)
    covered = members.get(kantong_id, [])
    needs, _ = D.planning(request, session, user, run, "target_opd", k)
    if len(needs) and "kode_desa" in needs.columns:
        needs = needs[needs["kode_desa"].astype(str).isin(covered)]
        cols = [c for c in ("nama_kebutuhan", "opd", "program") if c in needs.columns]
        summary = (
            needs.groupby(cols, dropna=False)
            .agg(n_desa=("kode_desa", "nunique"))
            .reset_index()
            .sort_values("n_desa", ascending=False)
        )
    else:
        summary = pd.DataFrame()
    return render(
        request,
        "kantong_detail.html",
        user,
        lang,
        kode_kab=kode_kab,
        run=run,
        p=rec,
        k=applied,
        desa=[(c, names.get(c, c)) for c in covered],
        needs=summary,
        peta=map_json(request, session, user, run, k, None),
    )


# ------------------------------------------------------------------ OPD view


@router.get("/kabupaten/{kode_kab}/hal/opd", response_class=HTMLResponse)
@html_errors
def opd(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    periode: Periode = None,
    opd: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    lang = start_page(request, user, kode_kab)
    run = D.newest_run(request, session, user, kode_kab, periode or None)
    table, k = D.planning(request, session, user, run, "target_opd", api.disclosure_k)
    names = sorted(table["opd"].dropna().astype(str).unique()) if "opd" in table else []
    if opd is None and len(names) > 1:
        opd = names[0]  # one OPD at a time by default; "Semua" (opd=) lists them all
    if opd and "opd" in table.columns:
        table = table[table["opd"].astype(str).str.casefold() == opd.casefold()]
    if len(table):
        order = [c for c in ("opd", "program", "peringkat") if c in table.columns]
        table = table.sort_values(order, kind="stable", na_position="last")
    return render(
        request,
        "opd.html",
        user,
        lang,
        kode_kab=kode_kab,
        run=run,
        n_rows=len(table),
        tabel=fragment(
            request,
            "_tabel_opd.html",
            user,
            lang,
            run_id=run.id,
            kode_kab=kode_kab,
            run=run,
            rows=table.reset_index(drop=True),
            k=k,
        ),
        k=k,
        opd_list=names,
        pilih=opd or "",
    )


# ------------------------------------------------------------------ ground check


@router.get("/kabupaten/{kode_kab}/hal/uji-petik", response_class=HTMLResponse)
@html_errors
def uji_petik(request: Request, kode_kab: KodeKab, user: WebUser, session: SessionDep) -> Response:
    lang = page_lang(request)
    require_roles(user, *ANALYSTS)
    check_kabupaten(user, kode_kab)
    samples = sorted(uji_petik_service.list_samples(session, user, kode_kab), key=lambda s: -s.id)
    return render(request, "uji_petik.html", user, lang, kode_kab=kode_kab, samples=samples)


def _sample_page(
    request, kode_kab, sampel_id, user, session, *, laporan=None, status_code=200
) -> Response:
    lang = page_lang(request)
    require_roles(user, *ANALYSTS)
    check_kabupaten(user, kode_kab)
    info, prog, est = uji_petik_service.sample_progress(
        session, user, sampel_id, kelompok="desa", lang=lang
    )
    if info.kode_kab != kode_kab:
        raise NotFoundError(
            f"Sampel #{sampel_id} tidak ditemukan.", f"Sample #{sampel_id} not found."
        )
    shapes = uji_petik_service.progress_shapes(session, user, info, prog)
    keep = [c for c in ("kode_desa", "n_sampel", "n_selesai", "pct_selesai") if c in shapes]
    fc = feature_collection(
        gpd.GeoDataFrame(shapes[keep], geometry=shapes.geometry, crs=4326),
        precision=5,
        simplify_deg=D.MAP_SIMPLIFY_DEG,
    )
    sums = prog[["n_sampel", "n_selesai", "n_salah"]].sum() if len(prog) else None
    return render(
        request,
        "uji_petik_detail.html",
        user,
        lang,
        status_code=status_code,
        kode_kab=kode_kab,
        info=info,
        prog=prog,
        est=est,
        total={k: int(v) for k, v in sums.items()} if sums is not None else {},
        peta_progres=json.dumps(fc, separators=(",", ":")).replace("</", "<\\/"),
        laporan=laporan,
    )


@router.get("/kabupaten/{kode_kab}/hal/uji-petik/{sampel_id}", response_class=HTMLResponse)
@html_errors
def uji_petik_detail(
    request: Request, kode_kab: KodeKab, sampel_id: SampelId, user: WebUser, session: SessionDep
) -> Response:
    return _sample_page(request, kode_kab, sampel_id, user, session)


@router.post("/kabupaten/{kode_kab}/hal/uji-petik/{sampel_id}", response_class=HTMLResponse)
@html_errors
def uji_petik_unggah(
    request: Request,
    kode_kab: KodeKab,
    sampel_id: SampelId,
    user: WebUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    berkas: Annotated[UploadFile | None, File()] = None,
    sebagian: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(request, csrf_token)
    require_roles(user, *ANALYSTS)
    check_kabupaten(user, kode_kab)
    lang = page_lang(request)
    uji_petik_service.sample_info(session, user, sampel_id)
    if berkas is None or not berkas.filename:
        raise InvalidInputError("Berkas hasil wajib dipilih.", "Choose a result file.")
    if not berkas.filename.lower().endswith(RESULT_SUFFIXES):
        raise InvalidInputError(
            f"Jenis berkas tidak didukung: {berkas.filename} (boleh: .csv, .xlsx, .gpkg)",
            f"Unsupported file type: {berkas.filename} (allowed: .csv, .xlsx, .gpkg)",
        )
    report: dict = {"berkas": berkas.filename}
    status_code = 200
    try:
        with saved_upload(berkas, max_bytes=_upload_limit(settings, request)) as up:
            out, verified = uji_petik_service.import_field_results(
                session,
                user,
                sampel_id,
                up.path,
                filename=up.filename,
                sha256=up.sha256,
                size=up.size,
                partial=sebagian,
                lang=lang,
                now=datetime.now(UTC),
                alamat_ip=request.client.host if request.client else None,
            )
        summary = out.to_dict()
        report.update(ok=True, ringkasan=summary, diverifikasi=verified)
        report["masalah"] = _problems(getattr(out.check, "problems", None))
    except GeoServiceError as exc:
        session.rollback()
        status_code = status_for(exc)
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        report.update(ok=False, pesan=exc.text(lang), masalah=_problems(detail.get("masalah")))
    return _sample_page(
        request, kode_kab, sampel_id, user, session, laporan=report, status_code=status_code
    )


def _upload_limit(settings, request) -> int:
    imports = getattr(settings, "imports", None)
    if imports is not None and getattr(imports, "upload_max_bytes", None):
        return int(imports.upload_max_bytes)
    return int(request.app.state.settings.imports.upload_max_bytes)


def _problems(frame) -> list[dict]:
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return []
    cols = [c for c in ("baris", "kolom", "kode_alasan", "alasan", "pesan") if c in frame.columns]
    head = frame[cols].head(200)
    return head.astype(object).where(head.notna(), None).to_dict("records")


# ------------------------------------------------------------------ citizen reports


@router.get("/kabupaten/{kode_kab}/hal/laporan-warga", response_class=HTMLResponse)
@html_errors
def antrean(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    semua: bool = False,
) -> Response:
    lang = page_lang(request)
    require_roles(user, *ANALYSTS)
    check_kabupaten(user, kode_kab)
    reports = LW.get_reports(request)
    found = citizen_reports(
        session, scope=audit_service.scope_of(user), kode_kab=kode_kab, hanya_terbuka=not semua
    )
    frame = LW.queue_frame(found, reports.clock())
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "baca_laporan_warga",
        objek="laporan_warga",
        kode_kab=kode_kab,
        n_baris=len(rows),
        rincian={"semua": semua, "halaman": True},
        alamat_ip=request.client.host if request.client else None,
    )
    cols = list(frame.columns)
    return render(
        request, "laporan_warga.html", user, lang, kode_kab=kode_kab, rows=rows, cols=cols
    )


LAPOR_CSRF_COOKIE = "gs_csrf_lapor"


def _lapor_page(request, user, lang, *, hasil=None, status_code=200) -> Response:
    token = request.cookies.get(LAPOR_CSRF_COOKIE) or S.new_pre_csrf()
    response = render(
        request,
        "lapor.html",
        user,
        lang,
        status_code=status_code,
        jenis=LW.JENIS_LAPORAN,
        hasil=hasil,
        lapor_csrf=token,
    )
    response.set_cookie(
        LAPOR_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/lapor",
    )
    return response


@router.get("/lapor", response_class=HTMLResponse)
def lapor_form(request: Request, user: MaybeWebUser) -> Response:
    return _lapor_page(request, user, page_lang(request))


@router.post("/lapor", response_class=HTMLResponse)
async def lapor(
    request: Request,
    kode_desa: Annotated[str, Form(max_length=20)] = "",
    jenis: Annotated[str, Form(max_length=40)] = "",
    keterangan: Annotated[str, Form(max_length=1000)] = "",
    kontak: Annotated[str | None, Form(max_length=200)] = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    foto: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The public form (no account): double-submit CSRF cookie, rate-limited per address by
    the same service the API uses; the reporter gets the report number, never family data."""
    lang = page_lang(request)
    if not S.pre_csrf_ok(request.cookies.get(LAPOR_CSRF_COOKIE), csrf_token):
        return _lapor_page(
            request,
            None,
            lang,
            status_code=403,
            hasil={"ok": False, "pesan": t("csrf_ditolak", lang)},
        )
    reports = LW.get_reports(request)
    data = None
    if foto is not None and foto.filename:
        data = await foto.read(LW.MAX_FOTO_BYTES + 1)
    try:
        if data is not None and len(data) > LW.MAX_FOTO_BYTES:
            raise TooLargeError("Foto lebih dari 5 MB.", "The photo is larger than 5 MB.")
        payload = {
            "kode_desa": kode_desa.strip(),
            "jenis": jenis,
            "keterangan": keterangan,
            "id_keluarga": None,
            "lat": None,
            "lon": None,
            "kontak": kontak or None,
        }
        out = reports.submit(payload, caller=LW._caller(request), foto=data, lang=lang)
        hasil = {"ok": True, **(out if isinstance(out, dict) else dict(out))}
        status_code = 201
    except GeoServiceError as exc:
        hasil = {"ok": False, "pesan": exc.text(lang)}
        status_code = status_for(exc)
    return _lapor_page(request, None, lang, status_code=status_code, hasil=hasil)
