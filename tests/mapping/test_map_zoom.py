"""Map geometry per zoom (issue 17, part 6): a coarse coverage-simplified layer for the first
view, the exact geometry from DETAIL_FROM_ZOOM on, swapped in the browser; shared edges stay
shared; the encoded polylines decode to the exact coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo_service.io.boundaries import boundary_files, read_boundaries
from geo_service.mapping.folium_map import choropleth_map
from geo_service.mapping.geometry import (
    DETAIL_FROM_ZOOM,
    coarse_coverage,
    encode_polyline,
    rounded,
)
from tests.mapping.test_map_browser import ARGS, CHROMIUM
from tests.mapping.test_map_reading import ROOT


def _decode(text: str, decimals: int = 5) -> np.ndarray:
    """Google's polyline decoder, written out independently of the encoder."""
    values, i = [], 0
    while i < len(text):
        result, shift = 0, 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 0x1F) << shift
            shift += 5
            if b < 0x20:
                break
        values.append(~(result >> 1) if result & 1 else result >> 1)
    latlon = np.cumsum(np.array(values).reshape(-1, 2), axis=0) / 10**decimals
    return latlon[:, ::-1]


@pytest.fixture(scope="module")
def kendal():
    desa = read_boundaries(boundary_files(ROOT / "data", "33.24")["desa"])
    desa = desa.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    if "nama_kec" not in desa.columns:
        desa["nama_kec"] = desa["kode_desa"].str[:8]
    desa["kode_kec"] = desa["kode_desa"].str[:8]
    desa["n_keluarga"] = 100
    desa["n_jiwa_ekstrem"] = 30
    desa["pct_jiwa_ekstrem"] = [float(i % 30) for i in range(len(desa))]
    return desa


def test_polyline_round_trip_and_known_example():
    pts = np.array([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]])
    assert encode_polyline(pts) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"  # Google's documented example
    rng = np.random.default_rng(5)
    ring = np.round(rng.uniform([95, -11], [141, 6], size=(500, 2)), 5)
    np.testing.assert_allclose(_decode(encode_polyline(ring)), ring, atol=1e-9)


def test_coarse_coverage_keeps_shared_edges(kendal):
    exact = kendal.geometry.to_numpy()
    coarse = rounded(coarse_coverage(exact), 4)
    n_exact = shapely.get_num_coordinates(exact).sum()
    n_coarse = shapely.get_num_coordinates(coarse).sum()
    assert n_coarse < 0.6 * n_exact
    assert shapely.is_valid(coarse).all() and not shapely.is_empty(coarse).any()

    # Shared edges are simplified once: hardly any overlap between neighbours (the shipped
    # layer has 0.04 % of its area in overlaps; simplifying each desa on its own makes 0.8 %).
    def overlap(geoms):
        union = shapely.union_all(geoms).area
        return (sum(shapely.area(geoms)) - union) / union

    alone = shapely.simplify(exact, 100 / 111_320, preserve_topology=True)
    assert overlap(coarse) < 0.005 and overlap(coarse) < 0.25 * overlap(alone)
    union = shapely.union_all(coarse).area
    assert abs(union - shapely.union_all(exact).area) / union < 0.01


def test_page_is_smaller_and_swaps_to_exact_geometry_when_zoomed(kendal, tmp_path):
    from playwright.sync_api import sync_playwright

    html = choropleth_map(kendal).get_root().render()
    exact_page = choropleth_map(kendal, simplify_m=0).get_root().render()
    assert len(html) < 0.85 * len(exact_page)
    page_file = tmp_path / "peta.html"
    page_file.write_text(html, encoding="utf-8")
    count_js = """(() => { let n = 0, k = 0;
      for (const key of Object.keys(window)) {
        if (!key.startsWith('geo_json_')) continue;
        const layer = window[key];
        if (!layer || typeof layer.getLayers !== 'function') continue;
        for (const s of layer.getLayers()) {
          if (!s.feature || s.feature.properties.kode_desa === undefined) continue;
          k += 1; n += s.getLatLngs().flat(3).length;
        }
      }
      return [k, n]; })()"""
    n_exact = int(shapely.get_num_coordinates(kendal.geometry.to_numpy()).sum())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_timeout(400)
        name = page.evaluate("Object.keys(window).find(k => k.startsWith('map_'))")
        assert page.evaluate(f"window['{name}'].getZoom()") < DETAIL_FROM_ZOOM
        shapes, coarse_vertices = page.evaluate(count_js)
        assert shapes == len(kendal)
        page.evaluate(f"window['{name}'].setZoom({DETAIL_FROM_ZOOM})")
        page.wait_for_timeout(400)
        _, detail_vertices = page.evaluate(count_js)
        page.evaluate(f"window['{name}'].setZoom({DETAIL_FROM_ZOOM - 2})")
        page.wait_for_timeout(400)
        _, back_vertices = page.evaluate(count_js)
        browser.close()
    assert not errors, errors
    # Leaflet drops the closing vertex of each ring: the exact count less one per ring.
    n_rings = int(shapely.get_num_interior_rings(kendal.geometry.explode().to_numpy()).sum())
    n_rings += len(kendal.geometry.explode())
    assert detail_vertices == n_exact - n_rings
    assert coarse_vertices < 0.6 * detail_vertices
    assert back_vertices == coarse_vertices


def test_layer_data_written_once_after_rendering(kendal):
    """The GeoJSON data enter the page after rendering (compact, script-safe, no token
    left)."""
    import json
    import re

    desa = kendal.head(8).copy()
    desa["nama_desa"] = desa["nama_desa"].astype(object)
    desa.loc[desa.index[0], "nama_desa"] = "</script><b>{{ x }}</b>"
    m = choropleth_map(desa)
    one = m.get_root().render()
    assert "/*gs-data:" not in one and "</script><b>" not in one
    found = re.findall(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);", one, re.S)
    layers = [json.loads(text) for text in found]
    desa_layer = next(fc for fc in layers if fc["features"][0]["properties"].get("kode_desa"))
    assert len(desa_layer["features"]) == 8
    # Escaped for the tooltip's innerHTML, and for the script around it.
    assert desa_layer["features"][0]["properties"]["nama_desa"].startswith("&lt;/script&gt;")
