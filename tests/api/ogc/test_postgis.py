"""OGC API on PostGIS (the production backend): items and paging as on SpatiaLite, vector
tiles built by ST_AsMVT from the stored geometries with the caller's released attributes."""

from __future__ import annotations

import pytest

from tests.api.ogc.tiles_support import TILE_CASES, check_tiles
from tests.api.support import KAB_A, KAB_B, postgis_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pg_client(tmp_path_factory):
    with postgis_client(tmp_path_factory.mktemp("pgogc"), "geo_ogc") as c:
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


@TILE_CASES
def test_postgis_tiles_by_st_asmvt(pg_client, user, kind, key, route):
    h = {"X-API-Key": pg_client.keys[user]}
    released = pg_client.get(f"/kabupaten/{KAB_A}/{route}", headers=h).json()["features"]
    assert check_tiles(pg_client, h, kind, key, released) > 3
