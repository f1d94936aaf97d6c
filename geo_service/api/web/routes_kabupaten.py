"""Pages of a kabupaten: the list in scope (``/``), the overview with map, headline figures,
targets and runs (``/kabupaten/{kode}``), starting a run and following it, the priority list
(with downloads of exactly what is shown) and the desa profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo_service.api.cache import web_map_key
from geo_service.api.deps import (
    ApiSettingsDep,
    KodeDesa,
    KodeKab,
    SessionDep,
    SettingsDep,
    check_kabupaten,
)
from geo_service.api.routers.results import SORTABLE, geo_check, respond
from geo_service.api.schemas import AnalysisRequest
from geo_service.api.web import data as D
from geo_service.api.web.auth import WebUser, check_csrf, require_roles
from geo_service.api.web.common import ANALYSTS, Periode, map_json, start_page
from geo_service.api.web.downloads import table_pdf
from geo_service.api.web.render import (
    finish,
    fragment,
    html_errors,
    page_lang,
    redirect,
    render,
    render_shared,
)
from geo_service.api.web.teks import t
from geo_service.db import repo as R
from geo_service.errors import NotFoundError
from geo_service.io.report import ReportData, target_paragraphs
from geo_service.services import audit as audit_service
from geo_service.services import runs as run_service
from geo_service.services import target as target_service
from geo_service.services import uji_petik as uji_petik_service
from geo_service.services import wilayah as wilayah_service

router = APIRouter(include_in_schema=False)


@router.get("/kabupaten/{kode_kab}/hal/peta/{run_id}.json")
@html_errors
def peta_data(
    request: Request,
    kode_kab: KodeKab,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
) -> Response:
    """The desa choropleth and pocket outlines of a finished run, as this user may see them:
    one body per run and viewer, compressed once, named by its entity tag (``304`` when the
    browser has it)."""
    check_kabupaten(user, kode_kab)
    geo_check(user, "desa", api)
    run = D.run_by_id(request, session, user, run_id)
    if run.kode_kab != kode_kab or run.status != "selesai" or "desa" not in run.tabel:
        raise NotFoundError(f"Analisis #{run_id} tidak ditemukan.", f"Run #{run_id} not found.")
    body = D.map_layers_body(request, session, user, run, api.disclosure_k)
    # repeats of this session's user are then answered before routing (api/cache.py)
    request.app.state.response_cache.keep(web_map_key(kode_kab, run.id, user), body)
    return body.response(request.headers)


@router.get("/", response_class=HTMLResponse)
@html_errors
def beranda(request: Request, user: WebUser, session: SessionDep) -> Response:
    lang = page_lang(request)
    kabs = D.recent(
        request,
        ("kabupaten", *D.viewer(user)),
        lambda: wilayah_service.list_kabupaten(session, user),
    )
    return render(request, "beranda.html", user, lang, kabupaten=kabs)


def _headline(ind) -> dict:
    kab = ind.view.kabupaten
    return D.row_dict(kab, 0) if len(kab) else {}


def _targets(request, session, user, run, k, settings, lang, runs) -> list[str]:
    """Progress towards the kabupaten's targets (paragraphs of the meeting pack), once per
    run, viewer, language and set of runs (a new run can add an observation)."""
    key = ("target", run.id, k, lang, *D.viewer(user), tuple(r.id for r in runs))
    return D.cache_of(request).get(key, lambda: _target_text(session, user, run, k, settings, lang))


def _target_text(session, user, run, k, settings, lang) -> list[str]:
    table = target_service.target_progress(
        session, user, run.kode_kab, settings=settings, k=k, lang=lang, until=run.periode
    )
    if not len(table):
        return []
    table = table.rename(columns={"banyak_observasi": "n_observasi"})
    data = ReportData(
        nama_kab="", kode_kab="", periode="", desa=None, kabupaten=pd.DataFrame(), targets=table
    )
    return target_paragraphs(data, lang)


@router.get("/kabupaten/{kode_kab}", response_class=HTMLResponse)
@html_errors
def kabupaten(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    settings: SettingsDep,
    periode: Periode = None,
) -> Response:
    lang = start_page(request, user, kode_kab, api)
    periode = periode or None
    runs = D.recent_runs(request, session, user, kode_kab)
    try:
        run = D.newest_run(request, session, user, kode_kab, periode)
    except NotFoundError as exc:
        return render(
            request,
            "kabupaten_kosong.html",
            user,
            lang,
            kode_kab=kode_kab,
            pesan=exc.text(lang),
            runs=runs,
            periodes_data=_snapshot_periodes(request, session, user, kode_kab),
        )
    ind = D.indicators(request, session, user, run, api.disclosure_k)
    listed = D.priority_list(
        request,
        session,
        user,
        kode_kab,
        run.periode,
        api.disclosure_k,
        kecamatan=None,
        kuadran=None,
        min_keluarga=0,
        kantong="semua",
        urut="peringkat",
        arah="naik",
    )
    top = listed["table"].head(10)
    periodes = D.finished_periodes(request, session, user, kode_kab)
    periodes_data = _snapshot_periodes(request, session, user, kode_kab)
    targets = _targets(request, session, user, run, api.disclosure_k, settings, lang, runs)
    # Rendered once for everyone reading this page with the same run, runs list, periodes
    # and targets (each kept a few seconds or per run); the session's CSRF token is put in
    # per answer.
    return render_shared(
        request,
        "kabupaten.html",
        user,
        lang,
        deps=(run, runs, periodes, periodes_data, targets),
        kode_kab=kode_kab,
        run=run,
        head=D.cache_of(request).get(
            ("kepala", run.id, api.disclosure_k, *D.viewer(user)), lambda: _headline(ind)
        ),
        nama_kab=str(ind.view.kabupaten["nama_kab"].iloc[0]),
        k=ind.view.suppressed_k,
        periodes=periodes,
        runs=runs,
        targets=targets,
        tabel=fragment(
            request,
            "_tabel_prioritas.html",
            user,
            lang,
            run_id=run.id,
            run=run,
            rows=top,
        ),
        n_kantong=len(listed["pockets"]),
        peta=D.cache_of(request).get(
            ("peta_sepuluh", run.id, api.disclosure_k, *D.viewer(user)),
            lambda: map_json(request, session, user, run, api.disclosure_k, top),
        ),
        periodes_data=periodes_data,
    )


NO_PERIODES: tuple[str, ...] = ()


def _snapshot_periodes(request, session, user, kode_kab: str) -> Sequence[str]:
    """Periodes with imported families (what a new run can analyse; analysts only)."""
    if user.role not in ANALYSTS:
        return NO_PERIODES

    def build() -> list[str]:
        snaps = R.list_snapshots(session, scope=audit_service.scope_of(user), kode_kab=kode_kab)
        return sorted({str(p) for p in snaps["periode"]}, reverse=True) if len(snaps) else []

    return D.recent(request, ("snapshot", kode_kab, *D.viewer(user)), build)


@router.post("/kabupaten/{kode_kab}/hal/analisis")
@html_errors
def mulai_analisis(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    periode: Annotated[str, Form(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 20250301,
) -> Response:
    check_csrf(request, csrf_token)
    require_roles(user, *ANALYSTS)
    check_kabupaten(user, kode_kab)
    run = request.app.state.runs.start(
        session, user, AnalysisRequest(kode_kab=kode_kab, periode=periode, seed=seed)
    )
    return finish(request, redirect(f"/kabupaten/{kode_kab}/hal/analisis/{run.id}"))


@router.get("/kabupaten/{kode_kab}/hal/analisis/{run_id}", response_class=HTMLResponse)
@html_errors
def status_analisis(
    request: Request,
    kode_kab: KodeKab,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: WebUser,
    session: SessionDep,
) -> Response:
    lang = page_lang(request)
    check_kabupaten(user, kode_kab)
    run = run_service.get_run(session, user, run_id)
    if run.kode_kab != kode_kab:
        raise NotFoundError(f"Analisis #{run_id} tidak ditemukan.", f"Run #{run_id} not found.")
    elapsed = None
    if run.mulai is not None:
        start = run.mulai if run.mulai.tzinfo else run.mulai.replace(tzinfo=UTC)
        elapsed = int((datetime.now(UTC) - start).total_seconds())
    return render(
        request, "analisis.html", user, lang, kode_kab=kode_kab, run=run, berjalan_detik=elapsed
    )


Urut = Literal[SORTABLE]  # type: ignore[valid-type]


@router.get("/kabupaten/{kode_kab}/hal/prioritas", response_class=HTMLResponse)
@html_errors
def prioritas(
    request: Request,
    kode_kab: KodeKab,
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    periode: Periode = None,
    kecamatan: Annotated[str | None, Query(max_length=100)] = None,
    kuadran: Annotated[list[Literal["I", "II", "III", "IV"]] | None, Query()] = None,
    min_keluarga: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    kantong: Literal["semua", "ya", "tidak"] = "semua",
    urut: Urut = "peringkat",
    arah: Literal["naik", "turun"] = "naik",
    unduh: Literal["csv", "xlsx", "pdf"] | None = None,
) -> Response:
    lang = start_page(request, user, kode_kab, api)
    listed = D.priority_list(
        request,
        session,
        user,
        kode_kab,
        periode or None,
        api.disclosure_k,
        kecamatan=kecamatan or None,
        kuadran=kuadran,
        min_keluarga=min_keluarga,
        kantong=kantong,
        urut=urut,
        arah=arah,
    )
    run, table = listed["run"], listed["table"]
    if unduh in ("csv", "xlsx"):
        return respond(request, session, user, table, run, listed["k"], unduh, "prioritas", lang)
    if unduh == "pdf":
        return _pdf(request, session, user, run, table, listed["k"], lang)
    filters = {
        "kecamatan": kecamatan or "",
        "kuadran": kuadran or [],
        "min_keluarga": min_keluarga,
        "kantong": kantong,
        "urut": urut,
        "arah": arah,
    }
    return render(
        request,
        "prioritas.html",
        user,
        lang,
        kode_kab=kode_kab,
        run=run,
        rows=table,
        tabel=fragment(
            request,
            "_tabel_prioritas.html",
            user,
            lang,
            run_id=run.id,
            run=run,
            rows=table,
            f=filters,
            sortable=SORTABLE,
        ),
        k=listed["k"],
        kecamatan_list=listed["kecamatan"],
        f=filters,
        query=request.url.query,
        sortable=SORTABLE,
        peta=map_json(request, session, user, run, api.disclosure_k, None, points=listed["points"]),
    )


def _pdf(request, session, user, run, table, k, lang) -> Response:
    title = f"{t('prioritas', lang)} — {run.kode_kab}, periode {run.periode}"
    notes = [
        t("catatan_unduh", lang, run=run.id, query=request.url.query.replace("&unduh=pdf", ""))
    ]
    if k:
        notes.append(t("catatan_disembunyikan", lang, k=k))
    body = table_pdf(table, title=title, notes=notes, lang=lang)
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "ekspor",
        objek="prioritas",
        kode_kab=run.kode_kab,
        periode=run.periode,
        n_baris=len(table),
        rincian={"format": "pdf"},
        alamat_ip=request.client.host if request.client else None,
    )
    name = f"prioritas_{run.kode_kab}_{run.periode}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/kabupaten/{kode_kab}/hal/desa/{kode_desa}", response_class=HTMLResponse)
@html_errors
def desa(
    request: Request,
    kode_kab: KodeKab,
    kode_desa: KodeDesa,
    user: WebUser,
    session: SessionDep,
    api: ApiSettingsDep,
    periode: Periode = None,
) -> Response:
    lang = start_page(request, user, kode_kab, api)
    if not kode_desa.startswith(kode_kab + "."):
        raise NotFoundError(f"Desa {kode_desa} tidak ditemukan.", f"Desa {kode_desa} not found.")
    k = api.disclosure_k
    run = D.newest_run(request, session, user, kode_kab, periode or None)
    parts = D.cache_of(request).get(
        ("desa", run.id, k, *D.viewer(user), kode_desa),
        lambda: _desa_parts(request, session, user, run, k, kode_desa),
    )
    trend = _trend(request, session, user, kode_kab, kode_desa, k)
    cek = _ground_check(request, session, user, kode_kab, kode_desa)
    return render(
        request,
        "desa.html",
        user,
        lang,
        kode_kab=kode_kab,
        run=run,
        **parts,
        trend=trend,
        cek=cek,
        indicator_cols=D.INDICATOR_COLUMNS,
        fokus=kode_desa,
    )


def _desa_parts(request, session, user, run, k: int, kode_desa: str) -> dict:
    """What the desa profile shows of one run (released to this viewer; kept per run)."""
    view = D.indicators(request, session, user, run, k).view
    match = view.desa.index[view.desa["kode_desa"].astype(str) == kode_desa]
    if not len(match):
        raise NotFoundError(f"Desa {kode_desa} tidak ditemukan.", f"Desa {kode_desa} not found.")
    row = D.row_dict(view.desa, view.desa.index.get_loc(match[0]))
    kec = view.kecamatan[view.kecamatan["kode_kec"].astype(str) == str(row.get("kode_kec"))]

    def planning(nama: str) -> pd.DataFrame:
        table, _ = D.planning(request, session, user, run, nama, k)
        if "kode_desa" not in table.columns:
            return table.iloc[0:0]
        return table[table["kode_desa"].astype(str) == kode_desa].reset_index(drop=True)

    pri = planning("prioritas")
    cover = planning("cakupan")
    return {
        "d": row,
        "kec": D.row_dict(kec, 0) if len(kec) else {},
        "kab": D.row_dict(view.kabupaten, 0) if len(view.kabupaten) else {},
        "k": view.suppressed_k,
        "pri": D.row_dict(pri, 0) if len(pri) else None,
        "needs": planning("target_opd"),
        "cover": D.row_dict(cover, 0) if len(cover) else None,
        "kantong": D.members_of(request, session, user, run, k).get(kode_desa, []),
        "kantong_label": D.pocket_labels(D.planning(request, session, user, run, "kantong", k)[0]),
        "peta": map_json(request, session, user, run, k, pri),
    }


def _trend(request, session, user, kode_kab: str, kode_desa: str, k: int) -> list[dict]:
    """The desa across periodes (newest finished run of each), as released to the user."""
    out = []
    for per in sorted(D.finished_periodes(request, session, user, kode_kab)):
        run = D.newest_run(request, session, user, kode_kab, per)
        desa = D.indicators(request, session, user, run, k).view.desa
        hit = desa[desa["kode_desa"].astype(str) == kode_desa]
        if len(hit):
            rec = D.row_dict(hit, 0)
            rec["periode"] = per
            rec["run_id"] = run.id
            out.append(rec)
    return out


def _ground_check(request, session, user, kode_kab: str, kode_desa: str) -> dict | None:
    """Progress of the newest ground-check sample in this desa (analysts only, as in the
    API)."""
    if user.role not in ANALYSTS:
        return None

    def newest():
        samples = uji_petik_service.list_samples(session, user, kode_kab)
        if not samples:
            return None
        info = max(samples, key=lambda s: s.id)
        _, prog, _ = uji_petik_service.sample_progress(
            session, user, info.id, kelompok="desa", lang="id"
        )
        return info, prog

    found = D.recent(request, ("uji_petik", kode_kab, *D.viewer(user)), newest)
    if found is None:
        return None
    info, prog = found
    hit = prog[prog["kode_desa"].astype(str) == kode_desa]
    return {
        "sampel": info,
        "row": D.row_dict(hit, 0) if len(hit) else None,
    }
