"""Fixtures of the web-page tests: an app with the pages on the shared API database
(Kendal 33.24 = A, Jepara 33.20 = B; users of every role, see :mod:`tests.api.support`),
a browser-like client per user that logged in through the form, and a live server on
127.0.0.1 for the browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.api.support import PASSWORD, USERS

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


def make_web_app(settings):
    """The service's app (``create_app`` installs the web pages)."""
    from geo_service.api import create_app

    return create_app(settings)


@pytest.fixture(scope="module")
def web_app(api_db):
    return make_web_app(api_db.settings)


@pytest.fixture(scope="module")
def web(web_app):
    """A started TestClient on the web app (no session)."""
    from fastapi.testclient import TestClient

    with TestClient(web_app) as c:
        yield c


def csrf_in(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    """Log in through the form like a browser (GET the form, POST it back)."""
    client.cookies.clear()
    form = client.get("/masuk")
    assert form.status_code == 200
    return client.post(
        "/masuk",
        data={"username": username, "password": password, "csrf_token": csrf_in(form.text)},
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def browsers(web, web_app) -> dict:
    """One logged-in client per test user (each with its own cookie jar; the app was started
    by ``web``)."""
    from fastapi.testclient import TestClient

    clients = {}
    for name in USERS:
        c = TestClient(web_app)
        r = login(c, name)
        assert r.status_code == 303, r.text
        clients[name] = c
    return clients


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_web(api_db) -> Iterator[str]:
    """A web app under uvicorn on a free loopback port (real sockets, for Chromium)."""
    import uvicorn

    web_app = make_web_app(api_db.settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=15)
