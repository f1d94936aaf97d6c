"""The web app in a real headless Chromium (Debian ``chromium``, driven by Playwright) against
the app under uvicorn on 127.0.0.1: log in through the form, the kabupaten page, filter the
priority list and see the map follow, a desa profile, the XLSX of the filtered list, log out;
``/docs`` and ``/redoc`` with the network cut. Every request that does not go to 127.0.0.1 is
blocked and counted (must be zero); no JavaScript errors. Screenshots go to
``test-artifacts/``."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from tests.api.support import KAB_A, PASSWORD, ROOT

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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian package chromium is needed (scripts/bootstrap.sh)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """JavaScript errors and blocked (non-loopback) requests of one browser context."""

    def __init__(self, context) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "about:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def page(self, context):
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        return page


def map_drawn(page) -> None:
    """Wait until Leaflet has drawn the desa shapes (some may lie outside the view)."""
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path').length > 100",
        timeout=30_000,
    )


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


def test_planner_journey_in_chromium(live_web, browser, tmp_path):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="id-ID"
    )
    watch = Watch(context)
    page = watch.page(context)

    # A page without a session answers with the login form; logging in returns to it.
    page.goto(f"{live_web}/kabupaten/{KAB_A}")
    assert "/masuk" in page.url
    page.fill("input[name=username]", "analis_a")
    page.fill("input[name=password]", PASSWORD)
    _shot(page, "masuk")
    page.click("#form-masuk button[type=submit]")
    page.wait_for_url(f"{live_web}/kabupaten/{KAB_A}")
    map_drawn(page)
    assert "Kendal" in page.inner_text("#judul-kabupaten")
    assert page.locator("#angka-utama div").count() >= 5
    n_desa = page.evaluate(
        "() => { let n = 0; window.gsPeta.eachLayer(l => { if (l.feature && "
        "l.feature.properties.kode_desa) n++; }); return n; }"
    )
    assert n_desa >= 286, "every desa of Kendal drawn"
    _shot(page, "kabupaten")
    page.emulate_media(media="print")
    assert not page.locator("#tombol-keluar").is_visible(), "print hides the controls"
    assert page.locator("#peta").is_visible()
    _shot(page, "kabupaten_cetak")
    page.emulate_media(media="screen")

    # The priority list: filter, and the map shows exactly the listed desa.
    page.click("#ke-prioritas")
    page.wait_for_selector("#tabel-prioritas")
    all_rows = page.locator("#tabel-prioritas tbody tr").count()
    page.check("input[name=kuadran][value=I]")
    page.fill("#saring-min", "5")
    page.click("#tombol-saring")
    page.wait_for_url("**kuadran=I**")
    map_drawn(page)
    rows = page.locator("#tabel-prioritas tbody tr")
    n_rows = rows.count()
    assert 0 < n_rows < all_rows
    listed = [rows.nth(i).get_attribute("data-kode-desa") for i in range(n_rows)]
    on_map = page.evaluate("() => window.gsPetaPrioritas.getLayers().map(m => m.options.kodeDesa)")
    assert on_map == listed, "the map follows the filters"
    assert page.locator(".leaflet-marker-pane .label-peringkat").count() == n_rows
    _shot(page, "prioritas_disaring")

    # The XLSX of the filtered list has exactly the rows shown.
    with page.expect_download() as info:
        page.click("#unduh-xlsx")
    saved = tmp_path / "prioritas.xlsx"
    info.value.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes()), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    col = list(values[0]).index("Kode desa")
    assert [r[col] for r in values[1:] if r and r[col]] == listed

    # A desa profile from the list.
    first = rows.nth(0).locator("td a").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector("#judul-desa")
    assert name in page.inner_text("#judul-desa")
    map_drawn(page)
    assert page.locator("#indikator td").count() >= 12
    assert page.locator("#tren tbody tr").count() >= 1
    _shot(page, "desa")

    # Log out: the pages answer with the login page again.
    page.click("#tombol-keluar")
    page.wait_for_url("**/masuk")
    page.goto(f"{live_web}/kabupaten/{KAB_A}/hal/prioritas")
    assert "/masuk" in page.url and page.locator("#form-masuk").is_visible()

    assert watch.errors == [], f"JavaScript errors: {watch.errors}"
    assert watch.external == [], f"requests that left 127.0.0.1: {watch.external}"
    context.close()


def test_api_docs_render_with_the_network_cut(live_web, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    watch = Watch(context)
    page = watch.page(context)
    page.goto(f"{live_web}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Kantong Kemiskinan" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag-section", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    _shot(page, "docs")
    page.goto(f"{live_web}/redoc")
    page.wait_for_selector(".api-content h1", timeout=30_000)
    assert "Kantong Kemiskinan" in page.inner_text(".api-content h1")
    _shot(page, "redoc")
    assert watch.errors == [], f"JavaScript errors: {watch.errors}"
    assert watch.external == [], f"requests that left 127.0.0.1: {watch.external}"
    context.close()


def test_public_report_form_on_a_phone(live_web, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    watch = Watch(context)
    page = watch.page(context)
    page.goto(f"{live_web}/lapor")
    form = page.locator("#form-lapor")
    assert form.is_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, "no sideways scrolling on a phone"
    _shot(page, "lapor_ponsel")
    assert watch.errors == [] and watch.external == []
    context.close()
