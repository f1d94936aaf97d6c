"""HTTP Basic for GIS clients: off by default, HTTPS-only when set to ``https``, wrong
passwords refused, and the same scope as the user's API key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo_service.api import create_app
from tests.api.support import KAB_A, KAB_B, PASSWORD
from tests.fixtures.settings import make_settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _app(api_db, mode: str):
    s = api_db.settings
    return create_app(
        make_settings(data_dir=s.paths.data_dir, database_url=s.database.url, basic_auth=mode)
    )


@pytest.mark.parametrize(
    ("mode", "scheme", "status"),
    [
        ("off", "https", 401),
        ("https", "http", 401),
        ("https", "https", 200),
        ("always", "http", 200),
    ],
)
def test_basic_modes(api_db, mode, scheme, status):
    with TestClient(_app(api_db, mode), base_url=f"{scheme}://testserver") as c:
        r = c.get("/ogc/collections", auth=("analis_a", PASSWORD))
        assert r.status_code == status, r.text
        if status == 200:
            ids = [col["id"] for col in r.json()["collections"]]
            assert f"desa_{KAB_A}" in ids and not any(KAB_B in i for i in ids)


def test_basic_wrong_password_and_cache_never_keeps_failures(api_db):
    with TestClient(_app(api_db, "https"), base_url="https://testserver") as c:
        for _ in range(2):
            assert c.get("/ogc/collections", auth=("analis_a", "salah")).status_code == 401
        assert c.get("/ogc/collections", auth=("analis_a", PASSWORD)).status_code == 200
        assert c.get("/ogc/collections", auth=("analis_a", PASSWORD + "x")).status_code == 401
        assert c.get("/ogc/collections", auth=("tidak_ada", PASSWORD)).status_code == 401


def test_basic_shares_the_login_throttle(api_db):
    with TestClient(_app(api_db, "https"), base_url="https://testserver") as c:
        codes = [c.get("/ogc/collections", auth=("opd_a", "salah")).status_code for _ in range(7)]
        assert codes[:6] == [401] * 6 and codes[6] == 429
        # Throttled: even the right password is not checked until the wait is over.
        assert c.get("/ogc/collections", auth=("opd_a", PASSWORD)).status_code == 429
