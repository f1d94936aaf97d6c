"""The web pages on PostGIS (the production backend): login through the form, the pages of
the own kabupaten with the same rows as the JSON API, another kabupaten refused, suppressed
values shown as suppressed, a deactivated user's session ends. Never skipped."""

from __future__ import annotations

import time

import pytest

from geo_service.api.sesi import USER_CHECK_TTL_S
from tests.api.support import KAB_A, KAB_B, PASSWORD, build_database
from tests.api.web.conftest import login
from tests.api.web.htmltable import body_rows
from tests.conftest import postgis_database
from tests.fixtures.settings import make_settings


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    folder = tmp_path_factory.mktemp("pgweb")
    with postgis_database("geo_web") as url:
        settings = make_settings(data_dir=folder, database_url=url)
        build_database(settings)
        app = create_app(settings)
        with TestClient(app) as started:
            yield app, started


def _as(pg_app, user: str):
    from fastapi.testclient import TestClient

    app, _ = pg_app
    c = TestClient(app)
    assert login(c, user).status_code == 303
    return c


def test_pages_on_postgis_show_what_the_api_gives(pg_app):
    _, plain = pg_app
    assert plain.get("/health").json()["basis_data"] == "postgresql"
    c = _as(pg_app, "analis_a")
    assert c.get(f"/kabupaten/{KAB_A}").status_code == 200
    rows = body_rows(c.get(f"/kabupaten/{KAB_A}/hal/prioritas").text, "tabel-prioritas")
    api = c.get(f"/kabupaten/{KAB_A}/prioritas", params={"per_halaman": 1000}).json()
    assert [r["attrs"]["data-kode-desa"] for r in rows] == [b["kode_desa"] for b in api["baris"]]
    desa = rows[0]["attrs"]["data-kode-desa"]
    assert c.get(f"/kabupaten/{KAB_A}/hal/desa/{desa}").status_code == 200
    assert c.get(f"/kabupaten/{KAB_B}").status_code == 403


def test_suppression_and_deactivation_on_postgis(pg_app):
    from sqlalchemy import text

    publik = _as(pg_app, "publik_a")
    rows = body_rows(publik.get(f"/kabupaten/{KAB_A}/hal/prioritas").text, "tabel-prioritas")
    assert any(r["cells"][5][0] == "disembunyikan" for r in rows)
    engine = pg_app[0].state.engine
    sql = "UPDATE pengguna SET aktif = {} WHERE nama_pengguna = 'publik_a'"
    try:
        with engine.begin() as conn:
            conn.execute(text(sql.format("false")))
        time.sleep(USER_CHECK_TTL_S + 0.1)
        assert publik.get("/", follow_redirects=False).status_code == 303
    finally:
        with engine.begin() as conn:
            conn.execute(text(sql.format("true")))
    assert login(publik, "publik_a", PASSWORD).status_code == 303
