"""OGC API – Features under /ogc through the real app: conformance to the Part 1 response
schemas and the OpenAPI 3.0 document, scope, counts equal to the JSON API, paging, bbox,
property filters, feature ids, and the same disclosure control as the JSON API."""

from __future__ import annotations

import jsonschema
import pytest
import shapely
from openapi_spec_validator import validate as validate_openapi

from tests.api.ogc import ogc_schemas as OGC
from tests.api.support import KAB_A, KAB_B
from tests.fixtures.rfc7946 import problems

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _h(client, user: str) -> dict[str, str]:
    return {"X-API-Key": client.keys[user]}


def _ids(fc: dict) -> list[str]:
    return [f["id"] for f in fc["features"]]


def _rel(links: list[dict], rel: str) -> dict | None:
    return next((link for link in links if link["rel"] == rel), None)


def test_landing_and_conformance_validate_against_ogc_schemas(ogc_client):
    landing = ogc_client.get("/ogc").json()
    jsonschema.validate(landing, OGC.LANDING)
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = ogc_client.get("/ogc/conformance").json()
    jsonschema.validate(conf, OGC.CONFORMANCE)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf["conformsTo"]


def test_collections_items_and_feature_validate(ogc_client):
    h = _h(ogc_client, "analis_a")
    cols = ogc_client.get("/ogc/collections", headers=h).json()
    jsonschema.validate(cols, OGC.COLLECTIONS)
    for col in cols["collections"]:
        one = ogc_client.get(f"/ogc/collections/{col['id']}", headers=h)
        assert one.status_code == 200
        jsonschema.validate(one.json(), OGC.COLLECTION)
        assert _rel(one.json()["links"], "items")["type"] == "application/geo+json"
        page = ogc_client.get(f"/ogc/collections/{col['id']}/items", params={"limit": 3}, headers=h)
        assert page.headers["content-type"].startswith("application/geo+json")
        fc = page.json()
        jsonschema.validate(fc, OGC.ITEMS, format_checker=jsonschema.FormatChecker())
        assert fc["numberReturned"] == len(fc["features"]) <= 3
        assert _rel(fc["links"], "self")["type"] == "application/geo+json"
        assert (_rel(fc["links"], "next") is not None) == (fc["numberMatched"] > 3)
        if fc["features"]:
            fid = fc["features"][0]["id"]
            feat = ogc_client.get(f"/ogc/collections/{col['id']}/items/{fid}", headers=h).json()
            jsonschema.validate(feat, OGC.FEATURE)
            assert feat["id"] == fid
            assert feat["properties"] == fc["features"][0]["properties"]


def test_openapi_document_validates_and_lists_filters(ogc_client):
    r = ogc_client.get("/ogc/api", headers=_h(ogc_client, "analis_a"))
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.0")
    params = doc["paths"][f"/collections/desa_{KAB_A}/items"]["get"]["parameters"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in params}
    assert {"bbox", "limit", "offset", "kode_kec", "n_jiwa_ekstrem"} <= names
    assert not any(KAB_B in path for path in doc["paths"])


def test_scope_only_own_kabupaten(ogc_client):
    ids_a = [
        c["id"]
        for c in ogc_client.get("/ogc/collections", headers=_h(ogc_client, "analis_a")).json()[
            "collections"
        ]
    ]
    ids_b = [
        c["id"]
        for c in ogc_client.get("/ogc/collections", headers=_h(ogc_client, "analis_b")).json()[
            "collections"
        ]
    ]
    assert sorted(ids_a) == sorted(f"{k}_{KAB_A}" for k in ("desa", "h3", "kantong", "prioritas"))
    assert all(i.endswith(KAB_B) for i in ids_b) and ids_b
    r = ogc_client.get(f"/ogc/collections/desa_{KAB_B}/items", headers=_h(ogc_client, "analis_a"))
    assert r.status_code == 404
    assert ogc_client.get("/ogc/collections").status_code == 401
    assert ogc_client.get(f"/ogc/collections/desa_{KAB_A}/items").status_code == 401


@pytest.mark.parametrize(
    ("kind", "json_route"),
    [
        ("desa", "indikator/desa"),
        ("h3", "indikator/h3"),
        ("kantong", "kantong"),
    ],
)
def test_counts_equal_json_api(ogc_client, kind, json_route):
    h = _h(ogc_client, "analis_a")
    fc = ogc_client.get(
        f"/ogc/collections/{kind}_{KAB_A}/items", params={"limit": 10000}, headers=h
    ).json()
    ref = ogc_client.get(f"/kabupaten/{KAB_A}/{json_route}", headers=h).json()
    assert fc["numberMatched"] == fc["numberReturned"] == len(ref["features"])
    if kind == "desa":
        assert fc["numberMatched"] == ogc_client.n_desa[KAB_A]
        assert sorted(_ids(fc)) == sorted(f["properties"]["kode_desa"] for f in ref["features"])


def test_priority_desa_have_desa_outlines_and_ranks(ogc_client):
    h = _h(ogc_client, "analis_a")
    fc = ogc_client.get(
        f"/ogc/collections/prioritas_{KAB_A}/items", params={"limit": 10000}, headers=h
    ).json()
    rows = ogc_client.get(
        f"/kabupaten/{KAB_A}/prioritas", params={"per_halaman": 1000}, headers=h
    ).json()
    assert fc["numberMatched"] == rows["total"]
    assert {f["geometry"]["type"] for f in fc["features"]} == {"MultiPolygon"}
    ranks = {f["id"]: f["properties"]["peringkat"] for f in fc["features"]}
    assert ranks == {r["kode_desa"]: r["peringkat"] for r in rows["baris"]}


def test_paging_walks_every_feature_once(ogc_client):
    h = _h(ogc_client, "analis_a")
    url = f"/ogc/collections/desa_{KAB_A}/items?limit=50"
    seen, pages = [], 0
    while url:
        fc = ogc_client.get(url, headers=h).json()
        pages += 1
        seen += _ids(fc)
        if pages == 2:
            assert _rel(fc["links"], "prev")["href"].endswith("offset=0")
        nxt = _rel(fc["links"], "next")
        url = nxt["href"].replace("http://testserver", "") if nxt else None
    n = ogc_client.n_desa[KAB_A]
    assert pages == -(-n // 50)
    assert len(seen) == len(set(seen)) == n


def test_bbox_selects_intersecting_features(ogc_client):
    h = _h(ogc_client, "analis_a")
    ref = ogc_client.get(f"/kabupaten/{KAB_A}/indikator/desa", headers=h).json()["features"]
    centre = shapely.geometry.shape(ref[len(ref) // 2]["geometry"]).representative_point()
    box = (centre.x - 0.02, centre.y - 0.02, centre.x + 0.02, centre.y + 0.02)
    expected = {
        f["properties"]["kode_desa"]
        for f in ref
        if shapely.geometry.shape(f["geometry"]).intersects(shapely.box(*box))
    }
    fc = ogc_client.get(
        f"/ogc/collections/desa_{KAB_A}/items",
        params={"bbox": ",".join(map(str, box))},
        headers=h,
    ).json()
    assert 1 <= len(expected) < len(ref)
    assert set(_ids(fc)) == expected and fc["numberMatched"] == len(expected)


def test_property_filters(ogc_client):
    h = _h(ogc_client, "analis_a")
    rows = ogc_client.get(
        f"/kabupaten/{KAB_A}/indikator/desa", params={"format": "json"}, headers=h
    ).json()["baris"]
    kec = rows[0]["kode_kec"]
    fc = ogc_client.get(
        f"/ogc/collections/desa_{KAB_A}/items", params={"kode_kec": kec, "limit": 1000}, headers=h
    ).json()
    assert sorted(_ids(fc)) == sorted(r["kode_desa"] for r in rows if r["kode_kec"] == kec)
    n = rows[0]["n_keluarga"]
    fc = ogc_client.get(
        f"/ogc/collections/desa_{KAB_A}/items", params={"n_keluarga": n}, headers=h
    ).json()
    assert fc["numberMatched"] == sum(r["n_keluarga"] == n for r in rows) >= 1
    bad = ogc_client.get(
        f"/ogc/collections/desa_{KAB_A}/items", params={"tidak_ada": "1"}, headers=h
    )
    assert bad.status_code == 400
    q = ogc_client.get(f"/ogc/collections/desa_{KAB_A}/queryables", headers=h).json()
    assert q["properties"]["kode_kec"]["type"] == "string"
    assert q["properties"]["n_keluarga"]["type"] == "integer"


def test_public_role_gets_the_json_api_release_before_paging(ogc_client):
    h = _h(ogc_client, "publik_a")
    ids = [c["id"] for c in ogc_client.get("/ogc/collections", headers=h).json()["collections"]]
    assert f"h3_{KAB_A}" not in ids  # the public role sees one geography family (desa)
    assert ogc_client.get(f"/ogc/collections/h3_{KAB_A}/items", headers=h).status_code == 403
    rows = ogc_client.get(
        f"/kabupaten/{KAB_A}/indikator/desa", params={"format": "json"}, headers=h
    ).json()["baris"]
    released = {r["kode_desa"]: r for r in rows}
    assert any(r["disembunyikan"] for r in rows)
    for offset in (0, 7, len(rows) - 1):
        fc = ogc_client.get(
            f"/ogc/collections/desa_{KAB_A}/items", params={"limit": 1, "offset": offset}, headers=h
        ).json()
        feat = fc["features"][0]
        assert feat["properties"] == released[feat["id"]]
    for r in rows:
        for c in ("n_keluarga_ekstrem", "n_jiwa_ekstrem"):
            assert r[c] is None or not 1 <= r[c] < 10


@pytest.mark.parametrize(
    "url",
    [
        f"/kabupaten/{KAB_A}/indikator/desa",
        f"/kabupaten/{KAB_A}/indikator/desa?zoom=9",
        f"/kabupaten/{KAB_A}/indikator/h3",
        f"/kabupaten/{KAB_A}/kantong",
        f"/wilayah/kabupaten/{KAB_A}/desa?zoom=10",
        f"/wilayah/kabupaten/{KAB_A}/kecamatan",
        f"/ogc/collections/desa_{KAB_A}/items?limit=10000",
        f"/ogc/collections/prioritas_{KAB_A}/items?limit=10000",
        f"/ogc/collections/kantong_{KAB_A}/items",
    ],
)
def test_every_geojson_response_is_rfc7946(ogc_client, url):
    r = ogc_client.get(url, headers=_h(ogc_client, "analis_a"))
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["features"]
    assert problems(fc) == []


def test_cached_pages_are_per_viewer(ogc_client):
    url = f"/ogc/collections/desa_{KAB_A}/items?limit=300"
    full = ogc_client.get(url, headers=_h(ogc_client, "analis_a")).json()
    again = ogc_client.get(url, headers=_h(ogc_client, "analis_a")).json()
    public = ogc_client.get(url, headers=_h(ogc_client, "publik_a")).json()
    assert again["features"] == full["features"]
    hidden = [f for f in public["features"] if f["properties"]["n_jiwa_ekstrem"] is None]
    assert hidden and all(f["properties"]["n_jiwa_ekstrem"] is not None for f in full["features"])


@pytest.mark.parametrize("user", ["analis_a", "publik_a"])
def test_geopackage_next_to_geojson(ogc_client, user, tmp_path):
    import pyogrio

    h = _h(ogc_client, user)
    url = f"/kabupaten/{KAB_A}/indikator/desa"
    r = ogc_client.get(url, params={"format": "gpkg"}, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path / "desa.gpkg"
    path.write_bytes(r.content)
    gdf = pyogrio.read_dataframe(path)
    rows = ogc_client.get(url, params={"format": "json"}, headers=h).json()["baris"]
    assert len(gdf) == len(rows) == ogc_client.n_desa[KAB_A]
    assert set(gdf.geom_type) == {"MultiPolygon"}
    assert set(rows[0]) <= set(gdf.columns)  # whole names (a .dbf would cut them at 10)
    by_code = gdf.set_index("kode_desa")
    for row in rows:
        got = by_code.loc[row["kode_desa"], "n_jiwa_ekstrem"]
        assert (row["n_jiwa_ekstrem"] is None and got != got) or got == row["n_jiwa_ekstrem"]
