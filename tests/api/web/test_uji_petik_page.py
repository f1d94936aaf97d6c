"""The ground-check pages: samples of the kabupaten, progress per desa (table and map data),
upload of a returned field file through the page with the validation report shown in it,
error-rate estimates; analysts only."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.api.support import KAB_A, PASSWORD
from tests.api.web.conftest import csrf_in
from tests.api.web.htmltable import inline_json, tables


def _bearer(web, user: str) -> dict[str, str]:
    r = web.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def sample_id(web) -> int:
    body = {"seed": 3, "n_per_desa": 4, "maks_bendera": None}
    r = web.post(f"/kabupaten/{KAB_A}/uji-petik", json=body, headers=_bearer(web, "analis_a"))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _field_file(web, sample_id: int, kode_desa: str, *, bad: bool) -> bytes:
    r = web.get(
        f"/uji-petik/{sample_id}/berkas",
        params={"format": "csv", "desa": kode_desa},
        headers=_bearer(web, "analis_a"),
    )
    assert r.status_code == 200, r.text
    frame = pd.read_csv(
        io.BytesIO(r.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    frame.loc[:3, "status"] = "sesuai"
    frame.loc[:3, "petugas"] = "Bu Sari"
    frame.loc[:3, "tanggal"] = "2025-06-02"
    if bad:
        frame.loc[0, "status"] = "entah"
    return frame.to_csv(index=False).encode("utf-8-sig")


def _done(html: str) -> int:
    rows = tables(html)["tabel-progres"][1:]
    return sum(int(r["cells"][2][0].replace(".", "")) for r in rows)


def test_samples_progress_and_upload_through_the_page(browsers, web, sample_id):
    c = browsers["analis_a"]
    listing = c.get(f"/kabupaten/{KAB_A}/hal/uji-petik")
    assert f"/kabupaten/{KAB_A}/hal/uji-petik/{sample_id}" in listing.text
    url = f"/kabupaten/{KAB_A}/hal/uji-petik/{sample_id}"
    page = c.get(url)
    assert page.status_code == 200
    progress = tables(page.text)["tabel-progres"][1:]
    assert len(progress) > 10 and _done(page.text) == 0
    shapes = inline_json(page.text, "progres-data")["features"]
    assert len(shapes) == len(progress), "one shape per sampled desa on the map"
    kode = shapes[0]["properties"]["kode_desa"]

    bad = _field_file(web, sample_id, kode, bad=True)
    files = {"berkas": ("hasil.csv", bad, "text/csv")}
    refused = c.post(url, files=files)
    assert refused.status_code == 403, "no CSRF token"
    r = c.post(url, files=files, data={"csrf_token": csrf_in(page.text)})
    assert r.status_code == 422
    assert 'data-ok="tidak"' in r.text and "status_tidak_valid" in r.text
    assert _done(r.text) == 0, "all or nothing"
    r = c.post(url, files=files, data={"csrf_token": csrf_in(page.text), "sebagian": "true"})
    assert r.status_code == 200 and 'data-ok="ya"' in r.text
    assert _done(r.text) == 3, "the three valid rows"
    again = c.post(url, files=files, data={"csrf_token": csrf_in(page.text), "sebagian": "true"})
    assert again.status_code == 409 and 'data-ok="tidak"' in again.text
    assert 'id="taksiran"' in again.text


@pytest.mark.parametrize("user", ["opd_a", "publik_a", "analis_b"])
def test_ground_check_pages_are_for_the_kabupaten_analysts(browsers, sample_id, user):
    c = browsers[user]
    for url in (
        f"/kabupaten/{KAB_A}/hal/uji-petik",
        f"/kabupaten/{KAB_A}/hal/uji-petik/{sample_id}",
    ):
        assert c.get(url).status_code in (403, 404)
