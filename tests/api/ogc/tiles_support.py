"""Shared checks of the vector-tile tests (both backends)."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely

from tests.api.support import KAB_A

# Who reads which layer: (user, layer kind, feature key, the JSON route of the same release).
TILE_CASES = pytest.mark.parametrize(
    ("user", "kind", "key", "route"),
    [
        ("analis_a", "desa", "kode_desa", "indikator/desa"),
        ("analis_a", "h3", "h3", "indikator/h3"),
        ("publik_a", "desa", "kode_desa", "indikator/desa"),
    ],
    ids=["analis-desa", "analis-h3", "publik-desa"],
)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def tile_box(z: int, x: int, y: int, grow: float = 0.0) -> shapely.Polygon:
    n = 2**z

    def lat(j: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / n))))

    return shapely.box(
        (x - grow) / n * 360 - 180, lat(y + 1 + grow), (x + 1 + grow) / n * 360 - 180, lat(y - grow)
    )


def check_tiles(client, headers: dict, kind: str, key: str, released: list[dict]) -> int:
    """Decode tiles at three zooms around one feature and compare with the released layer
    (GeoJSON features of the JSON API); returns the number of features checked."""
    shapes = {f["properties"][key]: shapely.geometry.shape(f["geometry"]) for f in released}
    props = {f["properties"][key]: f["properties"] for f in released}
    some = list(shapes.values())[len(shapes) // 3].representative_point()
    checked = 0
    for z in (9, 11, 13):
        zxy = tile_of(some.x, some.y, z)
        r = client.get(
            f"/ogc/collections/{kind}_{KAB_A}/tiles/WebMercatorQuad/{zxy[0]}/{zxy[1]}/{zxy[2]}",
            headers=headers,
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        layer = mapbox_vector_tile.decode(r.content).get(kind, {"features": []})
        got = {f["properties"][key]: f for f in layer["features"]}
        inner, outer = tile_box(*zxy), tile_box(*zxy, grow=64 / 4096 + 1e-6)
        must = {k for k, g in shapes.items() if g.intersection(inner).area > 1e-12}
        may = {k for k, g in shapes.items() if g.intersects(outer)}
        assert must <= set(got) <= may, (zxy, sorted(must - set(got)), sorted(set(got) - may))
        for k, feat in got.items():
            for name, value in props[k].items():
                if value is None:
                    assert name not in feat["properties"]
                elif isinstance(value, float):
                    assert feat["properties"][name] == pytest_approx(value)
                elif isinstance(value, bool | int | str):
                    assert feat["properties"][name] == value
            checked += 1
        assert got, zxy
    far = client.get(
        f"/ogc/collections/{kind}_{KAB_A}/tiles/WebMercatorQuad/9/0/0", headers=headers
    )
    assert far.status_code == 200
    assert not mapbox_vector_tile.decode(far.content).get(kind, {}).get("features")
    return checked


def pytest_approx(value: float):
    import pytest

    return pytest.approx(value, rel=1e-6, abs=1e-9)
