"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from the package: they work offline.

Swagger UI comes from the ``swagger-ui-bundle`` package (Apache-2.0); ReDoc's standalone
bundle (MIT) is vendored in ``static/redoc/`` with its licence.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

HERE = Path(__file__).resolve().parent
DOC_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def install(app: FastAPI) -> None:
    app.mount(
        "/static/swagger", StaticFiles(directory=Path(swagger_ui_path)), name="swagger-static"
    )
    app.mount(
        "/static/redoc", StaticFiles(directory=HERE / "static" / "redoc"), name="redoc-static"
    )
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} — API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} — API",
            redoc_js_url="/static/redoc/redoc.standalone.js",
            redoc_favicon_url="/static/swagger/favicon-32x32.png",
            with_google_fonts=False,
        )
