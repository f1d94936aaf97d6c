"""Vector tiles (MVT, WebMercatorQuad) of the desa and H3 layers on SpatiaLite (geometries
from the database, encoded with mapbox-vector-tile): right features at three zooms, values
of the caller's release (suppressed for the public role), nothing outside the kabupaten."""

from __future__ import annotations

import pytest

from tests.api.ogc.tiles_support import TILE_CASES, check_tiles
from tests.api.support import KAB_A

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@TILE_CASES
def test_tiles_decode_with_released_features(ogc_client, user, kind, key, route):
    h = {"X-API-Key": ogc_client.keys[user]}
    released = ogc_client.get(f"/kabupaten/{KAB_A}/{route}", headers=h).json()["features"]
    assert check_tiles(ogc_client, h, kind, key, released) > 3


def test_tiles_only_for_area_layers_and_valid_tiles(ogc_client):
    h = {"X-API-Key": ogc_client.keys["analis_a"]}
    base = f"/ogc/collections/kantong_{KAB_A}/tiles/WebMercatorQuad/9/400/260"
    assert ogc_client.get(base, headers=h).status_code == 404
    bad = f"/ogc/collections/desa_{KAB_A}/tiles/WebMercatorQuad/3/9/0"
    assert ogc_client.get(bad, headers=h).status_code == 400
    assert ogc_client.get(bad.replace("3/9/0", "3/1/1")).status_code == 401
