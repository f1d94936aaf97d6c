"""Stored XSS (issue 12, finding 5): a desa or kecamatan name with HTML runs no script on
the map page (headless Chromium opens every tooltip) and shows as text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo_service.io.boundaries import boundary_files, read_boundaries
from geo_service.mapping.folium_map import choropleth_map
from tests.mapping.test_map_browser import ARGS, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = '<img src=x onerror="window.__xss=1">'
PAYLOAD_KEC = "<script>window.__xss2=1</script>"

OPEN_TOOLTIPS_JS = """
() => {
  const texts = [];
  for (const key of Object.keys(window)) {
    if (!key.startsWith('geo_json_')) continue;
    const layer = window[key];
    if (!layer || typeof layer.getLayers !== 'function' || !layer.getTooltip()) continue;
    for (const s of layer.getLayers()) {
      const c = s.getBounds ? s.getBounds().getCenter() : s.getLatLng();
      s.fire('mouseover', {latlng: c, layer: s}, true);
      for (const el of document.querySelectorAll('.leaflet-tooltip')) texts.push(el.innerHTML);
      s.fire('mouseout', {latlng: c, layer: s}, true);
    }
  }
  return texts;
}
"""


@pytest.fixture(scope="module")
def xss_map_file(tmp_path_factory) -> Path:
    desa = read_boundaries(boundary_files(ROOT / "data", "33.24")["desa"]).head(6)
    desa = desa.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    rng = np.random.default_rng(3)
    desa["n_keluarga"] = rng.integers(50, 200, len(desa))
    desa["n_jiwa"] = desa["n_keluarga"] * 3
    desa["n_keluarga_ekstrem"] = desa["n_keluarga"] // 5
    desa["n_jiwa_ekstrem"] = desa["n_keluarga_ekstrem"] * 3
    desa["pct_jiwa_ekstrem"] = 100.0 * desa["n_jiwa_ekstrem"] / desa["n_jiwa"]
    desa["nama_desa"] = desa["nama_desa"].astype(object)
    desa.loc[desa.index[0], "nama_desa"] = PAYLOAD
    desa["nama_kec"] = desa["nama_kec"].astype(object)
    desa.loc[desa.index[1], "nama_kec"] = PAYLOAD_KEC
    m = choropleth_map(desa)
    path = tmp_path_factory.mktemp("xss") / "peta.html"
    path.write_text(m.get_root().render(), encoding="utf-8")
    return path


def test_map_tooltips_run_no_script(xss_map_file):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(xss_map_file.as_uri())
            page.wait_for_timeout(300)
            texts = page.evaluate(OPEN_TOOLTIPS_JS)
            page.wait_for_timeout(300)
            ran = page.evaluate("() => [window.__xss, window.__xss2]")
            imgs = page.evaluate("() => document.querySelectorAll('.leaflet-tooltip img').length")
        finally:
            browser.close()
    assert len(texts) >= 6
    assert ran == [None, None]
    assert imgs == 0
    joined = " ".join(texts)
    # Shown as text: escaped in the tooltip's HTML.
    assert "&lt;img src=x" in joined and "&lt;script&gt;window.__xss2" in joined
