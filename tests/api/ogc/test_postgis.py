"""OGC API on PostGIS (the production backend): items and paging as on SpatiaLite, vector
tiles built by ST_AsMVT from the stored geometries with the caller's released attributes."""

from __future__ import annotations

import pytest

from tests.api.ogc.tiles_support import check_tiles
from tests.api.support import KAB_A, KAB_B, build_database
from tests.conftest import postgis_database
from tests.fixtures.settings import make_settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pg_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    folder = tmp_path_factory.mktemp("pgogc")
    with postgis_database("geo_ogc") as url:
        settings = make_settings(data_dir=folder, database_url=url)
        keys, n_desa = build_database(settings)
        with TestClient(create_app(settings)) as c:
            c.keys, c.n_desa = keys, n_desa
            yield c


def test_postgis_collections_and_paging(pg_client):
    h = {"X-API-Key": pg_client.keys["analis_a"]}
    assert pg_client.get("/health").json()["basis_data"] == "postgresql"
    ids = [c["id"] for c in pg_client.get("/ogc/collections", headers=h).json()["collections"]]
    assert f"desa_{KAB_A}" in ids and not any(KAB_B in i for i in ids)
    fc = pg_client.get(
        f"/ogc/collections/desa_{KAB_A}/items", params={"limit": 100, "offset": 200}, headers=h
    ).json()
    assert fc["numberMatched"] == pg_client.n_desa[KAB_A]
    assert fc["numberReturned"] == min(100, pg_client.n_desa[KAB_A] - 200)


@pytest.mark.parametrize(
    ("user", "kind", "key", "route"),
    [
        ("analis_a", "desa", "kode_desa", "indikator/desa"),
        ("analis_a", "h3", "h3", "indikator/h3"),
        ("publik_a", "desa", "kode_desa", "indikator/desa"),
    ],
    ids=["analis-desa", "analis-h3", "publik-desa"],
)
def test_postgis_tiles_by_st_asmvt(pg_client, user, kind, key, route):
    h = {"X-API-Key": pg_client.keys[user]}
    released = pg_client.get(f"/kabupaten/{KAB_A}/{route}", headers=h).json()["features"]
    assert check_tiles(pg_client, h, kind, key, released) > 3
