"""The app factory: ``create_app(settings)``.

The lifespan opens the engine, refuses to start on an unmigrated database (a clear message
naming ``geo-service db upgrade``), and starts the background worker for analysis runs.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from geo_service import __version__
from geo_service.api import ogc, web
from geo_service.api.cache import CachedResultsMiddleware, FreshPages, ResponseCache, RunLookup
from geo_service.api.errors import install_error_handlers
from geo_service.api.jobs import RunExecutor
from geo_service.api.ogc.ranges import HeadAndRange
from geo_service.api.routers import (
    auth,
    health,
    identitas,
    imports,
    laporan_warga,
    pages,
    results,
    runs,
    uji_petik,
    wilayah,
)
from geo_service.api.uploads import BodySizeLimit, clean_upload_dir
from geo_service.db.engine import make_engine, make_session_factory
from geo_service.db.migrate import check_migrated
from geo_service.services.imports import reap_interrupted_imports
from geo_service.settings import Settings, get_settings

DESCRIPTION = """
**Kantong kemiskinan ekstrem** dari data keluarga DTSEN: indikator per desa, kecamatan dan sel
H3, kantong kemiskinan, desa prioritas, target OPD, kesenjangan cakupan program, peta dan
paket rapat TKPK.

* Akses: semua rute kecuali `/health` dan dokumentasi perlu login — token Bearer dari
  `POST /auth/token` (berlaku singkat) atau kunci API di header `X-API-Key`.
* Peran: `admin`, `analis` (data tingkat keluarga kabupatennya), `opd` (agregat dan target
  OPD sendiri), `publik` (agregat dengan penekanan sel kecil, satu jenis wilayah).
* Bahasa: Bahasa Indonesia; `?lang=en` atau `Accept-Language: en` untuk bahasa Inggris.
* Masukan dengan kolom tak dikenal ditolak (422).
"""

TAGS = [
    {"name": "kesehatan", "description": "Status layanan."},
    {"name": "akses", "description": "Login dan identitas."},
    {"name": "wilayah", "description": "Kabupaten, kecamatan, desa (GeoJSON)."},
    {"name": "hasil", "description": "Indikator, kantong, prioritas, target OPD, cakupan."},
    {"name": "analisis", "description": "Menjalankan dan memantau analisis."},
    {"name": "impor", "description": "Unggah batas wilayah dan data keluarga."},
    {"name": "peta dan laporan", "description": "Peta interaktif dan paket rapat TKPK."},
    {
        "name": "uji petik, transisi, target",
        "description": "Sampel uji petik, berkas lapangan, hasil, progres dan taksiran galat; "
        "transisi desil antar periode; capaian target kabupaten.",
    },
    {
        "name": "laporan warga",
        "description": "Laporan warga (publik, dibatasi) dan antreannya untuk petugas.",
    },
]


def create_app(settings: Settings | None = None, *, engine=None) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        Every setting (database, paths, upload limits, API, rate limits); from the
        environment when omitted.
    engine
        An engine to use instead of opening one from ``settings`` (tests).
    """
    settings = settings or get_settings()
    api_settings = settings.api

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        eng = make_engine(settings=settings) if own else engine
        try:
            app.state.schema_revision = check_migrated(eng)
        except Exception:
            if own:
                eng.dispose()
            raise
        # A crash or kill -9 mid-import: its batch is marked failed and its upload folder
        # removed before the service answers again.
        reap_interrupted_imports(eng)
        clean_upload_dir()
        app.state.engine = eng
        app.state.sessions = make_session_factory(eng)
        app.state.runs = RunExecutor(app.state.sessions, settings.paths.data_dir, settings.analysis)
        try:
            yield
        finally:
            app.state.runs.shutdown()
            if own:
                eng.dispose()

    app = FastAPI(
        title="geo_service — Kantong Kemiskinan Ekstrem",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from web.install: served from the package
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.response_cache = ResponseCache(api_settings.response_cache_mb * 1024**2)
    app.state.run_lookup = RunLookup(ttl_s=5.0)
    app.state.fresh_pages = FreshPages(ttl_s=1.0)
    key = api_settings.secret_key.get_secret_value()
    app.state.token_key = key.encode() if key else secrets.token_bytes(32)
    install_error_handlers(app)
    for module in (
        health,
        auth,
        wilayah,
        results,
        runs,
        imports,
        pages,
        uji_petik,
        laporan_warga,
        identitas,
    ):
        app.include_router(module.router)
    app.include_router(ogc.router)
    web.install(app)  # the planners' pages, their static files, offline /docs and /redoc
    if api_settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api_settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.imports.upload_max_bytes,
        read_timeout_s=api_settings.body_read_timeout_s,
    )
    app.add_middleware(CachedResultsMiddleware)
    # gzip level 1 (Kendal map page 1.76 MB -> 0.39 MB in ~20 ms; level 6: 0.32 MB, 3x the
    # CPU); HeadAndRange hides Accept-Encoding from it
    # for HEAD and byte-range requests, so ranges always address the plain body.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=1)
    app.add_middleware(HeadAndRange)  # outermost: HEAD and byte ranges for GDAL /vsicurl/
    return app
