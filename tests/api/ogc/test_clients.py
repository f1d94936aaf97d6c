"""GIS clients against a live server (uvicorn subprocess). GDAL: the OAPIF driver with the API
key in a header (GDAL_HTTP_HEADERS), paging, bbox, server-side attribute filters, scope,
HTTP Basic over HTTPS; /vsicurl/ on a GeoJSON download of the JSON API (HEAD and Range).
QGIS 3.22 (Debian, headless PyQGIS): the OGC API collections as layers with HTTP Basic (the
authentication QGIS 3.22 can send), counts and field types as served."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import httpx
import pytest
import shapely

from tests.api.ogc.conftest import start_server
from tests.api.support import KAB_A, KAB_B, PASSWORD
from tests.fixtures.pyqgis import run_pyqgis

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
# pyogrio sets GDAL_CURL_CA_BUNDLE (its certifi bundle) on import; GDAL reads it first.
CA_VARIABLES = ("GDAL_CURL_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def gdal(tool: str, *args: str, key: str | None = None, debug: bool = False, **config: str):
    """Run a GDAL command line tool; ``config`` are GDAL configuration options."""
    exe = shutil.which(tool)
    assert exe, f"{tool} missing: install gdal-bin (scripts/bootstrap.sh OS_PACKAGES)"
    cmd = [exe]
    opts = dict(config)
    if key:
        opts["GDAL_HTTP_HEADERS"] = f"X-API-Key: {key}"
    if debug:
        opts["CPL_DEBUG"] = "ON"
    for k, v in opts.items():
        cmd += ["--config", k, v]
    # Certificate settings of this process (e.g. a venv's certifi bundle) must not win over
    # the --config options; without them GDAL uses the system CA store.
    env = {k: v for k, v in os.environ.items() if k not in CA_VARIABLES}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120, env=env)


def oapif_json(live, layer: str, *extra: str, key: str, **config: str) -> dict:
    r = gdal(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        "/vsistdout/",
        f"OAPIF:{live.base}/ogc",
        layer,
        *extra,
        key=key,
        **config,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_ogrinfo_lists_own_collections_only(live):
    r = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live.base}/ogc", key=live.keys["analis_a"])
    assert r.returncode == 0, r.stderr
    layers = re.findall(r"^\d+: (\S+)", r.stdout, flags=re.M)
    assert sorted(layers) == sorted(f"{k}_{KAB_A}" for k in ("desa", "h3", "kantong", "prioritas"))
    assert KAB_B not in r.stdout
    other = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live.base}/ogc", key=live.keys["analis_b"])
    assert f"desa_{KAB_B}" in other.stdout and f"desa_{KAB_A}" not in other.stdout
    denied = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live.base}/ogc", key="gs_salah_kunci")
    assert denied.returncode != 0


def test_features_counts_and_properties_with_paging(live, api_db):
    key = live.keys["analis_a"]
    info = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{live.base}/ogc", f"desa_{KAB_A}", key=key)
    assert f"Feature Count: {api_db.n_desa[KAB_A]}" in info.stdout, info.stdout + info.stderr
    assert re.search(r"n_jiwa_ekstrem: Integer", info.stdout)
    assert re.search(r"kode_kec: String", info.stdout)
    # Pages of 40: GDAL follows the next links until every desa is read exactly once.
    fc = oapif_json(live, f"desa_{KAB_A}", "-oo", "PAGE_SIZE=40", key=key)
    ids = [f["properties"]["kode_desa"] for f in fc["features"]]
    assert len(ids) == len(set(ids)) == api_db.n_desa[KAB_A]
    ref = httpx.get(
        f"{live.base}/kabupaten/{KAB_A}/indikator/desa",
        params={"format": "json"},
        headers={"X-API-Key": key},
    ).json()["baris"]
    by_code = {r["kode_desa"]: r for r in ref}
    for f in fc["features"][:25]:
        row = by_code[f["properties"]["kode_desa"]]
        for c in ("n_keluarga", "n_jiwa_ekstrem", "nama_desa", "kode_kec"):
            assert f["properties"][c] == row[c]


def test_bbox_and_attribute_filter_run_on_the_server(live):
    key = live.keys["analis_a"]
    everything = oapif_json(live, f"desa_{KAB_A}", key=key)["features"]
    centre = shapely.geometry.shape(everything[40]["geometry"]).representative_point()
    box = (centre.x - 0.03, centre.y - 0.03, centre.x + 0.03, centre.y + 0.03)
    expected = {
        f["properties"]["kode_desa"]
        for f in everything
        if shapely.geometry.shape(f["geometry"]).intersects(shapely.box(*box))
    }
    got = oapif_json(live, f"desa_{KAB_A}", "-spat", *map(str, box), key=key)["features"]
    assert {f["properties"]["kode_desa"] for f in got} == expected
    assert 1 <= len(expected) < len(everything)
    kec = everything[0]["properties"]["kode_kec"]
    r = gdal(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        "/vsistdout/",
        f"OAPIF:{live.base}/ogc",
        f"desa_{KAB_A}",
        "-where",
        f"kode_kec = '{kec}'",
        key=key,
        debug=True,
    )
    assert r.returncode == 0, r.stderr
    fc = json.loads(r.stdout)
    assert {f["properties"]["kode_kec"] for f in fc["features"]} == {kec}
    assert len(fc["features"]) == sum(f["properties"]["kode_kec"] == kec for f in everything)
    assert f"kode_kec={kec}" in r.stderr  # the filter went to the server as a query parameter


def test_vsicurl_reads_a_geojson_download(live, api_db):
    key = live.keys["analis_a"]
    url = f"{live.base}/kabupaten/{KAB_A}/indikator/desa?format=geojson"
    head = httpx.head(url, headers={"X-API-Key": key})
    assert head.status_code == 200 and int(head.headers["content-length"]) > 1000
    part = httpx.get(url, headers={"X-API-Key": key, "Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].endswith(f"/{head.headers['content-length']}")
    r = gdal("ogrinfo", "-ro", "-so", "-al", f"/vsicurl/{url}", key=key, debug=True)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert f"Feature Count: {api_db.n_desa[KAB_A]}" in r.stdout


@pytest.fixture(scope="module")
def live_tls(api_db, tmp_path_factory):
    """The app on HTTPS (self-signed certificate) with HTTP Basic allowed on HTTPS only."""
    yield from start_server(api_db, tmp_path_factory.mktemp("tls"), tls=True, basic_auth="https")


def test_basic_auth_over_https(live_tls, api_db):
    url = f"OAPIF:{live_tls.base}/ogc"
    tls = {"CURL_CA_BUNDLE": str(live_tls.cert), "GDAL_HTTP_AUTH": "BASIC"}
    ok = gdal("ogrinfo", "-ro", "-so", url, f"desa_{KAB_A}",
              GDAL_HTTP_USERPWD=f"analis_a:{PASSWORD}", **tls)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert f"Feature Count: {api_db.n_desa[KAB_A]}" in ok.stdout
    wrong = gdal("ogrinfo", "-ro", "-q", url, GDAL_HTTP_USERPWD="analis_a:salah", **tls)
    assert wrong.returncode != 0
    # The certificate is checked: without the CA bundle the connection is refused.
    untrusted = gdal("ogrinfo", "-ro", "-q", url, GDAL_HTTP_AUTH="BASIC",
                     GDAL_HTTP_USERPWD=f"analis_a:{PASSWORD}")  # fmt: skip
    assert untrusted.returncode != 0


QGIS_SCRIPT = """
from qgis.core import QgsVectorLayer
from qgis.PyQt.QtCore import QVariant
base, user, password, kab = sys.argv[1:5]
out = {}
for kind in ("desa", "h3", "kantong", "prioritas"):
    uri = (f"url='{base}/ogc' typename='{kind}_{kab}' username='{user}' "
           f"password='{password}' pageSize='100'")
    layer = QgsVectorLayer(uri, kind, "OAPIF")
    fields = {f.name(): QVariant.typeToName(f.type()) for f in layer.fields()}
    out[kind] = {"valid": layer.isValid(), "count": layer.featureCount(), "fields": fields,
                 "n": sum(1 for _ in layer.getFeatures()), "geom": layer.wkbType()}
other = QgsVectorLayer(f"url='{base}/ogc' typename='desa_33.20' username='{user}' "
                       f"password='{password}'", "x", "OAPIF")
out["other_valid"] = other.isValid()
done(out)
"""


def test_qgis_loads_ogc_layers_with_basic_auth(live, api_db, tmp_path):
    res = run_pyqgis(QGIS_SCRIPT, tmp_path, live.base, "analis_a", PASSWORD, KAB_A)
    desa = res["desa"]
    assert desa["valid"] and desa["count"] == desa["n"] == api_db.n_desa[KAB_A]
    assert desa["fields"]["kode_desa"] == "QString"
    assert desa["fields"]["n_jiwa_ekstrem"] in ("int", "qlonglong")
    assert desa["fields"]["pct_jiwa_ekstrem"] == "double"
    assert res["h3"]["valid"] and res["h3"]["n"] > desa["n"]
    assert res["prioritas"]["valid"] and res["prioritas"]["n"] == desa["n"]
    assert res["kantong"]["valid"] and res["kantong"]["n"] >= 1
    assert res["other_valid"] is False
