"""The map page in a real headless Chromium (Debian ``chromium``, driven by Playwright):
no JavaScript errors, no network, one shape per desa, legend and layer control present,
print stylesheet hides the controls. Screenshots go to ``test-artifacts/``."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.support import KAB_A, ROOT, api_db, client, tokens  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"

DESA_SHAPES_JS = """
() => {
  const out = [];
  for (const key of Object.keys(window)) {
    if (!key.startsWith('geo_json_')) continue;
    const layer = window[key];
    if (!layer || typeof layer.getLayers !== 'function') continue;
    const shapes = layer.getLayers();
    const codes = shapes.map(s => s.feature && s.feature.properties
                                   ? s.feature.properties.kode_desa : undefined);
    if (codes.length && codes.every(c => c !== undefined)) out.push(codes);
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian package chromium is needed (scripts/bootstrap.sh)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.mark.parametrize("user", ["analis_a", "publik_a"])
def test_map_page_in_chromium(client, tokens, api_db, browser, tmp_path, user):
    r = client.get(f"/kabupaten/{KAB_A}/peta", headers=tokens[user])
    assert r.status_code == 200
    page_file = tmp_path / "peta.html"
    page_file.write_text(r.text, encoding="utf-8")

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    external: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def block(route):
        if not route.request.url.startswith(("file:", "data:", "about:")):
            external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    page.goto(page_file.as_uri())
    page.wait_for_selector(".leaflet-overlay-pane path", timeout=30_000)

    assert errors == [], f"JavaScript errors: {errors}"
    assert external == [], f"the page fetched from the network: {external}"

    layers = page.evaluate(DESA_SHAPES_JS)
    assert len(layers) == 1, "exactly one desa layer"
    codes = layers[0]
    n_desa = api_db.n_desa[KAB_A]
    assert len(codes) == n_desa and len(set(codes)) == n_desa, "one shape per desa"
    assert page.locator(".leaflet-overlay-pane path").count() >= n_desa

    legend = page.locator("#gs-legend")
    assert legend.is_visible() and "%" in legend.inner_text()
    control = page.locator(".leaflet-control-layers")
    assert control.is_visible()
    names = control.inner_text()
    assert "Desa" in names and "kecamatan" in names.lower()
    if user == "analis_a":
        assert "Kantong" in names and "prioritas" in names.lower()
    else:
        assert page.locator("#gs-suppressed").is_visible(), "suppression is explained"

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"peta_{KAB_A}_{user}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    page.emulate_media(media="print")
    assert not control.is_visible(), "the print stylesheet hides the layer control"
    assert legend.is_visible()
    page.screenshot(path=str(ARTIFACTS / f"peta_{KAB_A}_{user}_cetak.png"))
    page.close()
