"""The desa map as a person reads it, in headless Chromium: Jepara opens on the mainland
(Karimunjawa still on the map), a metric-only scale bar, desa names from zoom 13 on,
tooltips that wrap and carry the numbers of the map's language."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from geo_service.io.boundaries import read_boundaries
from geo_service.mapping.folium_map import NAMES_FROM_ZOOM, choropleth_map

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "peta"


@pytest.fixture(scope="module")
def jepara():
    desa = read_boundaries(glob.glob(str(ROOT / "data/boundaries/desa_33.20_*.geojson"))[0])
    desa = desa.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    if "nama_kec" not in desa.columns:
        desa["nama_kec"] = desa["kode_desa"].str[:8]
    # Families spread evenly over the desa; a rate with decimals and a count in thousands.
    desa["n_keluarga"] = 1234
    desa["n_jiwa_ekstrem"] = 1339
    desa["pct_jiwa_ekstrem"] = [(i % 40) + 0.25 for i in range(len(desa))]
    return desa


def test_jepara_map_in_chromium(jepara, tmp_path):
    from playwright.sync_api import sync_playwright

    html = choropleth_map(jepara, judul="Kabupaten Jepara — Maret 2025").get_root().render()
    page_file = tmp_path / "peta.html"
    page_file.write_text(html, encoding="utf-8")
    karimunjawa_lat = float(jepara.total_bounds[3])  # the islands are the north end
    assert karimunjawa_lat > -6.0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_timeout(500)
        name = page.evaluate("Object.keys(window).find(k => k.startsWith('map_'))")
        bounds = page.evaluate(
            f"(() => {{const b = window['{name}'].getBounds(); return [b.getSouth(), b.getNorth(), b.getWest(), b.getEast()];}})()"
        )
        south, north, west, east = bounds
        # The mainland fills the view: Karimunjawa (north of -6.0) is outside the first view.
        assert north < -6.0 < karimunjawa_lat
        assert north - south < 0.9
        # Metric scale only.
        scale = page.inner_text(".leaflet-control-scale")
        assert ("km" in scale or " m" in scale) and "mi" not in scale and "ft" not in scale
        # Names hidden at the first view, shown from zoom 13 on.
        assert page.evaluate(f"window['{name}'].getZoom()") < NAMES_FROM_ZOOM
        assert not page.locator(".gs-name").first.is_visible()
        page.evaluate(f"window['{name}'].setZoom({NAMES_FROM_ZOOM + 1})")
        page.wait_for_timeout(400)
        assert (
            page.locator(".gs-name").filter(has_text=str(jepara["nama_desa"].iloc[0])).count() == 1
        )
        assert page.evaluate("document.querySelectorAll('.gs-show-names').length") == 1
        # Tooltip numbers in Bahasa Indonesia, and the tooltip wraps.
        assert "1.339" in html and "1.234" in html and "0,2 %" in html.replace("\\u00a0", " ")
        assert "white-space:normal" in html.replace(" ", "")
        page.evaluate(f"window['{name}'].setZoom({NAMES_FROM_ZOOM - 3})")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jepara.png"))
        assert not errors, errors
        browser.close()
