"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from the package: they work offline.

Both are vendored with their licences: Swagger UI 5 (``swagger-ui-dist``, Apache-2.0; the
``swagger-ui-bundle`` pip package still ships Swagger UI 4, which cannot read OpenAPI 3.1) in
``static/swagger/`` and ReDoc 2 (MIT) in ``static/redoc/``.
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

HERE = Path(__file__).resolve().parent
DOC_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def install(app: FastAPI) -> None:
    app.mount(
        "/static/swagger", StaticFiles(directory=HERE / "static" / "swagger"), name="swagger-static"
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
            # No badge from the online validator: nothing on the page leaves the server.
            swagger_ui_parameters={"validatorUrl": None},
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
