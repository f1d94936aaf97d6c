"""The web pages over HTTP (TestClient): logging in and out through the form, the session
cookie, CSRF, the two-user matrix over every page (scope, roles, disclosure), the priority list
filters and downloads, the language option, the public citizen report form."""

from __future__ import annotations

import io
import re
import time

import pytest
from openpyxl import load_workbook

from geo_service.api.sesi import USER_CHECK_TTL_S
from geo_service.api.views import FAMILY_LEVEL_FIELDS
from tests.api.support import KAB_A, KAB_B, PASSWORD
from tests.api.web.conftest import csrf_in, login
from tests.api.web.htmltable import body_rows, inline_json, tables

K = 10  # disclosure_k of the test settings
COUNT_COLS = (5, 6)  # n_keluarga_ekstrem, n_jiwa_ekstrem in the priority table


def number(text: str) -> float | None:
    """A figure as the Indonesian pages print it (1.234 / 8,4%); None for '–'."""
    text = text.strip().rstrip("%").strip()
    if text in ("–", "-", ""):
        return None
    return float(text.replace(".", "").replace(",", "."))


# ------------------------------------------------------------------ log in / out


def test_pages_without_session_answer_with_the_login_page(web):
    web.cookies.clear()
    r = web.get(f"/kabupaten/{KAB_A}/hal/prioritas?kuadran=I", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/masuk?lanjut=%2Fkabupaten%2F33.24")
    page = web.get(r.headers["location"])
    assert page.status_code == 200 and 'id="form-masuk"' in page.text
    assert 'name="lanjut" value="/kabupaten/33.24/hal/prioritas?kuadran=I"' in page.text


def test_login_sets_a_short_lived_httponly_samesite_cookie(web):
    r = login(web, "analis_a")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("gs_sesi="))
    flags = {p.strip().split("=")[0].lower(): p for p in cookie.split(";")}
    assert "httponly" in flags
    assert flags["samesite"].split("=")[1].lower() == "lax"
    assert int(flags["max-age"].split("=")[1]) <= 3600
    assert "secure" not in flags, "plain HTTP on the test server"
    home = web.get("/")
    assert home.status_code == 200 and f'href="/kabupaten/{KAB_A}"' in home.text
    assert f'href="/kabupaten/{KAB_B}"' not in home.text, "only the kabupaten in scope"


def test_cookie_is_secure_over_https_and_rotated_on_login(web, web_app):
    from fastapi.testclient import TestClient

    c = TestClient(web_app, base_url="https://testserver")
    first = login(c, "analis_a")
    cookie = next(x for x in first.headers.get_list("set-cookie") if x.startswith("gs_sesi="))
    assert "secure" in cookie.lower()
    old = c.cookies.get("gs_sesi")
    old_csrf = csrf_in(c.get("/").text)
    login(c, "analis_a")
    assert c.cookies.get("gs_sesi") != old, "a new session on every login"
    assert csrf_in(c.get("/").text) != old_csrf, "and new CSRF tokens"


def test_wrong_password_and_missing_csrf_are_refused(web):
    r = login(web, "analis_a", "salah-sekali")
    assert r.status_code == 401 and "Nama pengguna atau kata sandi salah" in r.text
    assert "gs_sesi" not in web.cookies
    web.cookies.clear()
    web.get("/masuk")
    r = web.post(
        "/masuk", data={"username": "analis_a", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403, "login form posted without its CSRF token"
    assert "gs_sesi" not in web.cookies


def test_failed_logins_are_throttled_per_account(api_db):
    from fastapi.testclient import TestClient

    from tests.api.web.conftest import make_web_app

    with TestClient(make_web_app(api_db.settings)) as c:  # its own throttle
        codes = []
        while len(codes) < 12 and 429 not in codes:
            codes.append(login(c, "opd_dinkes_a", "salah").status_code)
        assert codes[:5] == [401] * 5 and codes[-1] == 429, codes
        r = login(c, "opd_dinkes_a")
        assert r.status_code == 429, "even the right password waits"
        assert int(r.headers["retry-after"]) > 0
        assert login(c, "publik_a").status_code == 303, "other accounts are not locked"


def test_logout_needs_the_csrf_token_then_ends_the_session(web, web_app):
    from fastapi.testclient import TestClient

    c = TestClient(web_app)
    login(c, "analis_a")
    page = c.get("/")
    refused = c.post("/keluar", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert c.get("/", follow_redirects=False).status_code == 200, "still logged in"
    r = c.post("/keluar", data={"csrf_token": csrf_in(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk"
    gone = c.get("/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/masuk")


def test_a_deactivated_user_loses_the_session(web, web_app):
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    c = TestClient(web_app)
    login(c, "opd_a")
    assert c.get("/", follow_redirects=False).status_code == 200
    engine = web_app.state.engine  # the app's own driver: one SQLite library per file
    sql = "UPDATE pengguna SET aktif = {} WHERE nama_pengguna = 'opd_a'"
    try:
        with engine.begin() as conn:
            conn.execute(text(sql.format("false")))
        time.sleep(USER_CHECK_TTL_S + 0.1)  # the check is remembered this long
        assert c.get("/", follow_redirects=False).status_code == 303
    finally:
        with engine.begin() as conn:
            conn.execute(text(sql.format("true")))
        # The refused check is remembered as long as a granted one: wait it out so later
        # tests of this module get opd_a's sessions back.
        time.sleep(USER_CHECK_TTL_S + 0.1)
    assert login(c, "opd_a").status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------ the two-user matrix


def _pages(browsers) -> dict[str, str]:
    """Every HTML page of kabupaten A (ids taken from what analis_a sees)."""
    c = browsers["analis_a"]
    pri = c.get(f"/kabupaten/{KAB_A}/hal/prioritas")
    desa = body_rows(pri.text, "tabel-prioritas")[0]["attrs"]["data-kode-desa"]
    pockets = re.findall(
        rf"/kabupaten/{KAB_A}/hal/kantong/([^?\"]+)", c.get(f"/kabupaten/{KAB_A}/hal/kantong").text
    )
    run = re.search(r"/hal/analisis/(\d+)", c.get(f"/kabupaten/{KAB_A}").text).group(1)
    assert pockets, "the demo data has pockets"
    return {
        "ringkasan": f"/kabupaten/{KAB_A}",
        "prioritas": f"/kabupaten/{KAB_A}/hal/prioritas?kuadran=I",
        "desa": f"/kabupaten/{KAB_A}/hal/desa/{desa}",
        "kantong": f"/kabupaten/{KAB_A}/hal/kantong",
        "kantong_detail": f"/kabupaten/{KAB_A}/hal/kantong/{pockets[0]}",
        "opd": f"/kabupaten/{KAB_A}/hal/opd",
        "analisis": f"/kabupaten/{KAB_A}/hal/analisis/{run}",
        "uji_petik": f"/kabupaten/{KAB_A}/hal/uji-petik",
        "laporan_warga": f"/kabupaten/{KAB_A}/hal/laporan-warga",
    }


ANALYST_ONLY = {"uji_petik", "laporan_warga"}
FAMILY_WORDS = sorted(FAMILY_LEVEL_FIELDS - {"lat", "lon", "keluarga"})


def test_two_user_matrix_over_every_page(browsers):
    pages = _pages(browsers)
    for name, url in pages.items():
        own = browsers["analis_a"].get(url)
        assert own.status_code == 200, (name, own.text[:300])
        for other in ("analis_b", "publik_b"):
            r = browsers[other].get(url, follow_redirects=False)
            assert r.status_code in (403, 404), (other, name, r.status_code)
            assert "<table" not in r.text or 'id="tabel-' not in r.text
        for restricted in ("publik_a", "opd_a"):
            r = browsers[restricted].get(url)
            if name in ANALYST_ONLY:
                assert r.status_code == 403, (restricted, name)
                continue
            assert r.status_code == 200, (restricted, name, r.text[:300])
            for word in FAMILY_WORDS:
                assert not re.search(rf"\b{word}\b", r.text), (restricted, name, word)


@pytest.mark.parametrize("user", ["publik_a", "opd_a"])
def test_restricted_roles_see_suppressed_values_as_suppressed(browsers, user):
    """The priority page shows the rows the API releases; every count is hidden or >= k."""
    c = browsers[user]
    api = c.get(f"/kabupaten/{KAB_A}/prioritas?per_halaman=1000", follow_redirects=False)
    page = c.get(f"/kabupaten/{KAB_A}/hal/prioritas")
    rows = body_rows(page.text, "tabel-prioritas")
    assert len(rows) > 50
    hidden_rows = 0
    for row in rows:
        for col in COUNT_COLS:
            text = row["cells"][col][0]
            if text == "disembunyikan":
                hidden_rows += 1
                continue
            value = number(text)
            assert value is None or value == 0 or value >= K, (user, row["cells"][2], text)
    assert hidden_rows > 0, "the demo data has small desa"
    if api.status_code == 200:  # the cookie is accepted on JSON GETs once wired in deps
        released = {r["kode_desa"]: r for r in api.json()["baris"]}
        for row in rows:
            rec = released[row["attrs"]["data-kode-desa"]]
            shown = row["cells"][5][0]
            if rec.get("n_keluarga_ekstrem") is None:
                assert shown in ("disembunyikan", "–", "-")
            else:
                assert number(shown) == rec["n_keluarga_ekstrem"]


def test_suppressed_desa_profile_never_shows_zero(browsers):
    c = browsers["publik_a"]
    url = inline_json(c.get(f"/kabupaten/{KAB_A}").text, "peta-data")["url"]
    layers = c.get(url)
    assert layers.status_code == 200 and "max-age" in layers.headers["cache-control"]
    assert "private" in layers.headers["cache-control"]
    for other in ("analis_b", "publik_b"):
        assert browsers[other].get(url).status_code in (403, 404)
    data = layers.json()
    hidden = [f["properties"] for f in data["desa"]["features"] if f["properties"]["disembunyikan"]]
    assert hidden, "some desa are suppressed for publik"
    assert all(p["pct_jiwa_ekstrem"] is None for p in hidden)
    page = c.get(f"/kabupaten/{KAB_A}/hal/desa/{hidden[0]['kode_desa']}")
    assert page.status_code == 200
    cells = re.findall(r'data-kolom="(n_[a-z_]+|pct_jiwa_ekstrem)">([^<]*)<', page.text)
    assert cells and all(v.strip() == "disembunyikan" for _, v in cells), cells
    full = browsers["analis_a"].get(f"/kabupaten/{KAB_A}/hal/desa/{hidden[0]['kode_desa']}")
    full_cells = dict(re.findall(r'data-kolom="(n_[a-z_]+)">([^<]*)<', full.text))
    assert all(v.strip() != "disembunyikan" for v in full_cells.values()), "analis sees all"


# ------------------------------------------------------------------ priority list


def test_filters_drive_the_table_and_the_map(browsers):
    c = browsers["analis_a"]
    everything = body_rows(c.get(f"/kabupaten/{KAB_A}/hal/prioritas").text, "tabel-prioritas")
    page = c.get(f"/kabupaten/{KAB_A}/hal/prioritas?kuadran=I&min_keluarga=5&kantong=semua")
    rows = body_rows(page.text, "tabel-prioritas")
    assert 0 < len(rows) < len(everything)
    assert all(r["cells"][4][0] == "I" for r in rows)
    assert all(number(r["cells"][5][0]) >= 5 for r in rows)
    markers = inline_json(page.text, "peta-data")["prioritas"]
    assert [m["kode_desa"] for m in markers] == [r["attrs"]["data-kode-desa"] for r in rows]
    in_pocket = body_rows(
        c.get(f"/kabupaten/{KAB_A}/hal/prioritas?kantong=ya").text, "tabel-prioritas"
    )
    assert in_pocket and all(r["cells"][8][0] not in ("", "–", "-") for r in in_pocket)
    kec = rows[0]["cells"][3][0]
    by_kec = body_rows(
        c.get(f"/kabupaten/{KAB_A}/hal/prioritas", params={"kecamatan": kec}).text,
        "tabel-prioritas",
    )
    assert by_kec and {r["cells"][3][0] for r in by_kec} == {kec}


def test_sorting_by_a_column(browsers):
    c = browsers["analis_a"]
    up = body_rows(
        c.get(f"/kabupaten/{KAB_A}/hal/prioritas?urut=n_jiwa_ekstrem&arah=naik").text,
        "tabel-prioritas",
    )
    values = [number(r["cells"][6][0]) for r in up]
    assert values == sorted(values)
    down = body_rows(
        c.get(f"/kabupaten/{KAB_A}/hal/prioritas?urut=n_jiwa_ekstrem&arah=turun").text,
        "tabel-prioritas",
    )
    assert [number(r["cells"][6][0]) for r in down] == sorted(values, reverse=True)


@pytest.mark.parametrize("user", ["analis_a", "publik_a"])
def test_downloads_carry_exactly_the_rows_shown(browsers, user):
    c = browsers[user]
    query = "kuadran=I&kuadran=II&min_keluarga=3"
    rows = body_rows(c.get(f"/kabupaten/{KAB_A}/hal/prioritas?{query}").text, "tabel-prioritas")
    codes = [r["attrs"]["data-kode-desa"] for r in rows]
    xlsx = c.get(f"/kabupaten/{KAB_A}/hal/prioritas?{query}&unduh=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    col = list(values[0]).index("Kode desa")
    got = [r[col] for r in values[1:] if r and r[col]]
    assert got == codes
    csv = c.get(f"/kabupaten/{KAB_A}/hal/prioritas?{query}&unduh=csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == len(codes) + 1
    pdf = c.get(f"/kabupaten/{KAB_A}/hal/prioritas?{query}&unduh=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# ------------------------------------------------------------------ language, runs, reports


def test_english_option_is_remembered(browsers):
    c = browsers["opd_a"]
    r = c.get(f"/kabupaten/{KAB_A}?lang=en")
    assert 'lang="en"' in r.text and "Extremely poor families" in r.text
    again = c.get(f"/kabupaten/{KAB_A}/hal/prioritas")
    assert "Priority villages" in again.text and "Desa prioritas" not in again.text
    back = c.get(f"/kabupaten/{KAB_A}?lang=id")
    assert "Keluarga miskin ekstrem" in back.text


def test_start_a_run_from_the_page(browsers):
    c = browsers["analis_a"]
    page = c.get(f"/kabupaten/{KAB_A}")
    assert 'id="form-analisis"' in page.text
    assert 'id="form-analisis"' not in browsers["opd_a"].get(f"/kabupaten/{KAB_A}").text
    no_token = c.post(
        f"/kabupaten/{KAB_A}/hal/analisis", data={"periode": "2025-03"}, follow_redirects=False
    )
    assert no_token.status_code == 403
    opd = browsers["opd_a"]
    refused = opd.post(
        f"/kabupaten/{KAB_A}/hal/analisis",
        data={"periode": "2025-03", "csrf_token": csrf_in(opd.get("/").text)},
        follow_redirects=False,
    )
    assert refused.status_code == 403, "opd may not start runs"
    r = c.post(
        f"/kabupaten/{KAB_A}/hal/analisis",
        data={"periode": "2025-03", "seed": "5", "csrf_token": csrf_in(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    status_url = r.headers["location"]
    assert re.fullmatch(rf"/kabupaten/{KAB_A}/hal/analisis/\d+", status_url)
    first = c.get(status_url)
    assert first.status_code == 200 and 'id="status-analisis"' in first.text
    deadline = time.monotonic() + 240
    while 'data-status="berjalan"' in (page := c.get(status_url)).text:
        assert '<meta http-equiv="refresh"' in page.text, "the page follows the run"
        assert time.monotonic() < deadline
        time.sleep(1)
    assert 'data-status="selesai"' in page.text, page.text[-2000:]


def test_public_citizen_report_form(web_app, browsers):
    from fastapi.testclient import TestClient

    phone = TestClient(web_app)
    form = phone.get("/lapor")
    assert form.status_code == 200 and 'name="viewport"' in form.text
    desa = body_rows(
        browsers["analis_a"].get(f"/kabupaten/{KAB_A}/hal/prioritas").text, "tabel-prioritas"
    )[0]["attrs"]["data-kode-desa"]
    body = {"kode_desa": desa, "jenis": "kondisi_berubah", "keterangan": "Rumah sudah direnovasi."}
    assert phone.post("/lapor", data=body).status_code == 403, "no CSRF token"
    jenis = re.findall(r"<option>([a-z_]+)</option>", form.text)
    body["jenis"] = jenis[0]
    r = phone.post("/lapor", data=body | {"csrf_token": csrf_in(form.text)})
    assert r.status_code == 201, r.text[-1500:]
    nomor = re.search(r"LW-\d{4}-\d{6}-[0-9A-Z]{8}", r.text).group(0)
    queue = browsers["analis_a"].get(f"/kabupaten/{KAB_A}/hal/laporan-warga")
    assert nomor in queue.text
    assert 'id="tabel-laporan"' in queue.text


def test_tables_have_ids_for_the_matrix(browsers):
    page = browsers["analis_a"].get(f"/kabupaten/{KAB_A}")
    assert "tabel-prioritas" in tables(page.text)


def test_opd_view_shows_only_the_officers_own_programmes(browsers):
    own = tables(browsers["opd_a"].get(f"/kabupaten/{KAB_A}/hal/opd").text)["tabel-opd"][1:]
    assert own and all("Dinsos" in r["cells"][0][0] for r in own)
    everyone = browsers["analis_a"].get(f"/kabupaten/{KAB_A}/hal/opd", params={"opd": ""})
    names = {r["cells"][0][0] for r in tables(everyone.text)["tabel-opd"][1:]}
    assert len(names) > 1, "an analyst may list every OPD"


def test_english_pages_have_no_indonesian_interface_words(browsers):
    from geo_service.api.web.teks import TEKS

    english = {en for _, en in TEKS.values()}
    indonesian_only = [
        pesan
        for pesan, en in TEKS.values()
        if pesan != en
        and len(pesan) > 8
        and "{" not in pesan
        and not any(pesan in e for e in english)
    ]
    c = browsers["admin_a"]
    for url in _pages(browsers).values():
        html = c.get(url, params={"lang": "en"}).text
        found = [w for w in indonesian_only if f">{w}<" in html]
        assert not found, (url, found)
    c.get("/", params={"lang": "id"})


def test_session_cookie_opens_the_read_only_api_pages_but_never_writes(browsers):
    c = browsers["analis_a"]
    peta = c.get(f"/kabupaten/{KAB_A}/peta")
    assert peta.status_code == 200 and "leaflet" in peta.text.lower()
    pdf = c.get(f"/kabupaten/{KAB_A}/laporan.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert browsers["analis_b"].get(f"/kabupaten/{KAB_A}/peta").status_code == 403
    write = c.post("/analisis", json={"kode_kab": KAB_A, "periode": "2025-03"})
    assert write.status_code == 401, "a cookie alone never authorises a write"


def test_a_new_token_version_ends_the_session(web, web_app):
    """Role, scope or password changes bump ``versi_token``: sessions carrying the old one end
    (and a new login carries the new one)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    c = TestClient(web_app)
    login(c, "opd_dinkes_a")
    assert c.get("/", follow_redirects=False).status_code == 200
    with web_app.state.engine.begin() as conn:
        conn.execute(
            text("UPDATE pengguna SET versi_token = versi_token + 1 WHERE nama_pengguna = :u"),
            {"u": "opd_dinkes_a"},
        )
    time.sleep(USER_CHECK_TTL_S + 0.1)
    assert c.get("/", follow_redirects=False).status_code == 303
    assert login(c, "opd_dinkes_a").status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 200
