"""The web app for planners: server-rendered pages (Jinja2) in the same FastAPI service.

``install(app)`` adds the pages, the bundled static files (the app's CSS/JS, Leaflet from
:mod:`geo_service.mapping`, Swagger UI and ReDoc vendored with their licences) and the offline ``/docs`` and ``/redoc``.

Pages (Bahasa Indonesia by default, ``?lang=en`` or the language cookie for English):

- ``GET /masuk``, ``POST /masuk``, ``POST /keluar``: session cookie (HttpOnly,
  SameSite=Lax, Secure on HTTPS, one hour, renewed while in use, new on every login);
- ``/``: the kabupaten in scope; ``/kabupaten/{kode}``: overview (map, figures, targets,
  runs, start a run); ``/kabupaten/{kode}/hal/...``: priority list, desa profile, pockets,
  OPD view, ground check, citizen report queue; ``/lapor``: the public citizen report form.

Every page gets its data from the functions the JSON routes use, with the same role, scope
and disclosure checks (:mod:`geo_service.api.web.data`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from geo_service.api.web import docs, routes_akses, routes_kabupaten, routes_lain
from geo_service.api.web.auth import LoginRequired

HERE = Path(__file__).resolve().parent
LEAFLET = HERE.parent.parent / "mapping" / "static"


def install(app: FastAPI) -> None:
    """Add the web pages, static files and offline API docs to ``app``."""
    app.mount("/static/web", StaticFiles(directory=HERE / "static"), name="web-static")
    app.mount("/static/leaflet", StaticFiles(directory=LEAFLET), name="leaflet-static")
    docs.install(app)
    for module in (routes_akses, routes_kabupaten, routes_lain):
        app.include_router(module.router)

    async def to_login(request: Request, exc: Exception):
        return routes_akses.login_redirect(request)

    app.add_exception_handler(LoginRequired, to_login)
