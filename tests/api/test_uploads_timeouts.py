"""Slow clients and forged proxy headers (issue 12, finding 10): a stalled request body gets
408 and the connection closes; `geo-service serve` believes X-Forwarded-For only from the
configured trusted proxies (none by default) and closes idle keep-alive connections."""

from __future__ import annotations

import socket

import pytest
from fastapi import FastAPI, Request

from geo_service.settings import ApiSettings
from tests.api.support import read_head, served, with_limits


@pytest.fixture(scope="module")
def slow_server(api_db):
    """The app under uvicorn with a 1-second body read timeout."""
    from geo_service.api import create_app

    settings = with_limits(api_db.settings, upload_max_bytes=4 * 1024**2)
    settings = settings.model_copy(
        update={"api": settings.api.model_copy(update={"body_read_timeout_s": 1.0})}
    )
    with served(create_app(settings), lifespan="on") as port:
        yield port


def test_stalled_body_gets_408(slow_server):
    with socket.create_connection(("127.0.0.1", slow_server)) as s:
        s.sendall(
            b"POST /laporan-warga HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\nkode_desa=33"
        )
        data = read_head(s)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]


def test_serve_trusts_no_proxy_by_default():
    from geo_service.cli.api import uvicorn_options

    opts = uvicorn_options(ApiSettings(), host="127.0.0.1", port=8000, workers=1)
    assert opts["proxy_headers"] is False and opts["forwarded_allow_ips"] == ""
    assert opts["timeout_keep_alive"] == 5
    opts = uvicorn_options(
        ApiSettings(trusted_proxies=["10.0.0.5"]), host="0.0.0.0", port=80, workers=1
    )
    assert opts["proxy_headers"] is True and opts["forwarded_allow_ips"] == "10.0.0.5"


def _client_ip(request: Request) -> dict:
    return {"ip": request.client.host if request.client else None}


def test_forged_forwarded_for_is_ignored_by_uvicorn_with_serve_options():
    """A live uvicorn with serve's options: the client address the app sees is the peer's,
    not a forged X-Forwarded-For."""
    import httpx

    from geo_service.cli.api import uvicorn_options

    app = FastAPI()
    app.add_api_route("/ip", _client_ip)
    opts = uvicorn_options(ApiSettings(), host="127.0.0.1", port=0, workers=1)
    for name in ("host", "port", "workers", "log_level"):
        opts.pop(name)
    with served(app, **opts) as port:
        r = httpx.get(f"http://127.0.0.1:{port}/ip", headers={"X-Forwarded-For": "6.6.6.6"})
        assert r.json()["ip"] == "127.0.0.1"
