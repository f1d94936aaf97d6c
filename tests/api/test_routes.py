"""Every endpoint and format through the test client; bodies validated against their schemas."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from geo_service.api.schemas import (
    FeatureCollection,
    Health,
    ImportBatchStatus,
    KabupatenItem,
    Me,
    Rows,
    RunStatus,
)
from tests.api.support import KAB_A, PERIODE

BOM = "\ufeff".encode()


def test_health_is_public(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = Health.model_validate(r.json())
    assert body.basis_data == "sqlite" and body.revisi_skema


def test_docs_are_public(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/kabupaten/{kode_kab}/prioritas" in spec["paths"]


def test_login_and_me(client, tokens):
    me = Me.model_validate(client.get("/auth/saya", headers=tokens["analis_a"]).json())
    assert me.peran == "analis" and me.kabupaten == [KAB_A]


def test_wrong_password_is_401_in_requested_language(client):
    r = client.post("/auth/token?lang=en", data={"username": "analis_a", "password": "salah"})
    assert r.status_code == 401
    assert r.json()["pesan"] == "Wrong username or password."
    r = client.post("/auth/token", data={"username": "analis_a", "password": "salah"})
    assert r.json()["pesan"] == "Nama pengguna atau kata sandi salah."


def test_api_key_works_as_header_and_bearer(client, api_db):
    key = api_db.api_keys["analis_a"]
    assert (
        client.get("/auth/saya", headers={"X-API-Key": key}).json()["nama_pengguna"] == "analis_a"
    )
    assert client.get("/auth/saya", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/auth/saya", headers={"X-API-Key": key[:-2] + "xx"}).status_code == 401


def test_kabupaten_list(client, tokens, api_db):
    items = [
        KabupatenItem.model_validate(x)
        for x in client.get("/wilayah/kabupaten", headers=tokens["analis_a"]).json()
    ]
    assert [i.kode for i in items] == [KAB_A]
    assert items[0].n_desa == api_db.n_desa[KAB_A]


@pytest.mark.parametrize("level", ["kecamatan", "desa"])
def test_wilayah_geojson_simplified_by_zoom(client, tokens, level, api_db):
    url = f"/wilayah/kabupaten/{KAB_A}/{level}"
    coarse = client.get(url, params={"zoom": 8}, headers=tokens["publik_a"])
    fine = client.get(url, params={"zoom": 14}, headers=tokens["publik_a"])
    assert coarse.headers["content-type"].startswith("application/geo+json")
    fc = FeatureCollection.model_validate(coarse.json())
    if level == "desa":
        assert len(fc.features) == api_db.n_desa[KAB_A]
    assert len(coarse.content) < len(fine.content), "zoom 8 must be lighter than zoom 14"


@pytest.mark.parametrize("fmt", ["geojson", "json", "csv", "xlsx"])
def test_desa_indicators_every_format(client, tokens, fmt, api_db):
    r = client.get(
        f"/kabupaten/{KAB_A}/indikator/desa", params={"format": fmt}, headers=tokens["analis_a"]
    )
    assert r.status_code == 200, r.text
    n = api_db.n_desa[KAB_A]
    if fmt == "geojson":
        fc = FeatureCollection.model_validate(r.json())
        assert len(fc.features) == n
        assert {"kode_desa", "pct_jiwa_ekstrem"} <= set(fc.features[0].properties)
    elif fmt == "json":
        rows = Rows.model_validate(r.json())
        assert rows.total == n and rows.periode == PERIODE and rows.penekanan_k is None
    elif fmt == "csv":
        assert r.content.startswith(BOM)
        assert r.headers["content-type"].startswith("text/csv")
        assert len(r.content.decode("utf-8-sig").strip().splitlines()) == n + 1
    else:
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.active.max_row == n + 1


def test_desa_indicators_simplified_by_zoom(client, tokens, api_db):
    url = f"/kabupaten/{KAB_A}/indikator/desa"
    full = client.get(url, headers=tokens["analis_a"])
    small = client.get(url, params={"zoom": 9}, headers=tokens["analis_a"])
    assert len(FeatureCollection.model_validate(small.json()).features) == api_db.n_desa[KAB_A]
    assert len(small.content) < 0.5 * len(full.content)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_kecamatan_and_kabupaten_indicators(client, tokens, fmt):
    for level in ("kecamatan", "kabupaten"):
        r = client.get(
            f"/kabupaten/{KAB_A}/indikator/{level}",
            params={"format": fmt},
            headers=tokens["analis_a"],
        )
        assert r.status_code == 200, r.text
        if fmt == "json":
            rows = Rows.model_validate(r.json())
            assert rows.total >= 1
            assert all(b["n_jiwa_ekstrem"] <= b["n_jiwa"] for b in rows.baris)


def test_kabupaten_total_equals_sum_of_desa(client, tokens):
    desa = Rows.model_validate(
        client.get(
            f"/kabupaten/{KAB_A}/indikator/desa",
            params={"format": "json"},
            headers=tokens["analis_a"],
        ).json()
    )
    kab = Rows.model_validate(
        client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=tokens["analis_a"]).json()
    )
    assert sum(b["n_jiwa_ekstrem"] for b in desa.baris) == kab.baris[0]["n_jiwa_ekstrem"]


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_h3_indicators(client, tokens, fmt):
    r = client.get(
        f"/kabupaten/{KAB_A}/indikator/h3", params={"format": fmt}, headers=tokens["analis_a"]
    )
    assert r.status_code == 200, r.text
    if fmt == "geojson":
        fc = FeatureCollection.model_validate(r.json())
        assert fc.features and all(f.properties["resolusi"] == 8 for f in fc.features)
    else:
        assert r.content.startswith(BOM)


def test_h3_coarser_resolution_keeps_totals(client, tokens):
    fine = client.get(
        f"/kabupaten/{KAB_A}/indikator/h3", params={"format": "json"}, headers=tokens["analis_a"]
    ).json()
    coarse = client.get(
        f"/kabupaten/{KAB_A}/indikator/h3",
        params={"format": "json", "resolusi": 6},
        headers=tokens["analis_a"],
    ).json()
    assert coarse["total"] < fine["total"]
    assert sum(b["n_jiwa"] for b in coarse["baris"]) == sum(b["n_jiwa"] for b in fine["baris"])


@pytest.mark.parametrize("fmt", ["geojson", "json", "csv"])
def test_pockets(client, tokens, fmt):
    r = client.get(
        f"/kabupaten/{KAB_A}/kantong", params={"format": fmt}, headers=tokens["analis_a"]
    )
    assert r.status_code == 200, r.text
    if fmt == "geojson":
        assert len(FeatureCollection.model_validate(r.json()).features) >= 1


def test_priorities_filter_sort_page(client, tokens):
    h = tokens["analis_a"]
    base = Rows.model_validate(
        client.get(f"/kabupaten/{KAB_A}/prioritas", params={"per_halaman": 1000}, headers=h).json()
    )
    ranks = [b["peringkat"] for b in base.baris]
    assert ranks == sorted(ranks)
    page2 = Rows.model_validate(
        client.get(
            f"/kabupaten/{KAB_A}/prioritas", params={"per_halaman": 10, "halaman": 2}, headers=h
        ).json()
    )
    assert [b["peringkat"] for b in page2.baris] == ranks[10:20]
    assert page2.total == base.total
    q1 = client.get(
        f"/kabupaten/{KAB_A}/prioritas",
        params={
            "kuadran": ["I", "II"],
            "min_keluarga": 20,
            "urut": "pct_jiwa_ekstrem",
            "arah": "turun",
            "per_halaman": 1000,
        },
        headers=h,
    ).json()
    assert q1["baris"], "some desa are in kuadran I/II with 20+ extreme-poor families"
    assert {b["kuadran"] for b in q1["baris"]} <= {"I", "II"}
    assert all(b["n_keluarga_ekstrem"] >= 20 for b in q1["baris"])
    pct = [b["pct_jiwa_ekstrem"] for b in q1["baris"]]
    assert pct == sorted(pct, reverse=True)
    kec = base.baris[0]["nama_kec"]
    byk = client.get(
        f"/kabupaten/{KAB_A}/prioritas", params={"kecamatan": kec.upper()}, headers=h
    ).json()
    assert byk["baris"] and {b["nama_kec"] for b in byk["baris"]} == {kec}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_priorities_exports(client, tokens, fmt):
    r = client.get(
        f"/kabupaten/{KAB_A}/prioritas",
        params={"format": fmt, "kuadran": "I"},
        headers=tokens["analis_a"],
    )
    assert r.status_code == 200
    if fmt == "csv":
        assert r.content.startswith(BOM)
        head = r.content.decode("utf-8-sig").splitlines()[0]
        assert "alasan" in head and "kuadran" in head
    else:
        wb = load_workbook(io.BytesIO(r.content))
        ws = wb.worksheets[0]
        assert ws.freeze_panes == "A2" and ws["A1"].font.bold
        assert "Keterangan" in wb.sheetnames


def test_opd_targets_and_coverage(client, tokens):
    t = Rows.model_validate(
        client.get(f"/kabupaten/{KAB_A}/target-opd", headers=tokens["analis_a"]).json()
    )
    opds = sorted({b["opd"] for b in t.baris})
    assert len(opds) >= 2
    only = client.get(
        f"/kabupaten/{KAB_A}/target-opd",
        params={"opd": opds[1].upper()},
        headers=tokens["analis_a"],
    ).json()
    assert only["baris"] and {b["opd"] for b in only["baris"]} == {opds[1]}
    c = client.get(
        f"/kabupaten/{KAB_A}/cakupan", params={"format": "csv"}, headers=tokens["analis_a"]
    )
    assert c.status_code == 200 and c.content.startswith(BOM)


def test_unknown_field_refused_with_field_details(client, tokens):
    r = client.post(
        "/analisis",
        json={"kode_kab": KAB_A, "periode": PERIODE, "warna": "merah"},
        headers=tokens["analis_a"],
    )
    assert r.status_code == 422
    body = r.json()
    assert body["kode"] == "input_tidak_valid"
    assert any(d["lokasi"][-1] == "warna" for d in body["detail"])
    # Details in the reader's language: Indonesian by default, English on request.
    assert {d["pesan"] for d in body["detail"]} == {"Isian ini tidak dikenal."}
    r = client.post(
        "/analisis",
        params={"lang": "en"},
        json={"periode": PERIODE},
        headers=tokens["analis_a"],
    )
    assert r.status_code == 422 and "Field required." in {d["pesan"] for d in r.json()["detail"]}
    r = client.post("/analisis", json={"periode": PERIODE}, headers=tokens["analis_a"])
    assert "Wajib diisi." in {d["pesan"] for d in r.json()["detail"]}


def test_bad_query_value_is_422(client, tokens):
    r = client.get(
        f"/kabupaten/{KAB_A}/prioritas", params={"kuadran": "V"}, headers=tokens["analis_a"]
    )
    assert r.status_code == 422 and r.json()["detail"][0]["lokasi"][0] == "query"


def test_missing_periode_is_404(client, tokens):
    r = client.get(
        f"/kabupaten/{KAB_A}/indikator/desa",
        params={"periode": "1999-01"},
        headers=tokens["analis_a"],
    )
    assert r.status_code == 404 and "1999-01" in r.json()["pesan"]


def test_analysis_run_background_poll_list_results(client, tokens):
    h = tokens["analis_a"]
    r = client.post("/analisis", json={"kode_kab": KAB_A, "periode": PERIODE, "seed": 3}, headers=h)
    assert r.status_code == 202, r.text
    run = RunStatus.model_validate(r.json())
    client.app.state.runs.wait(run.id, timeout=300)
    done = RunStatus.model_validate(client.get(f"/analisis/{run.id}", headers=h).json())
    assert done.status == "selesai", done.alasan
    assert {"desa", "h3"} <= set(done.tabel)
    listed = [RunStatus.model_validate(x) for x in client.get("/analisis", headers=h).json()]
    assert run.id in [x.id for x in listed]
    rows = Rows.model_validate(client.get(f"/analisis/{run.id}/hasil/desa", headers=h).json())
    assert rows.run_id == run.id and rows.total > 0
    csv = client.get(f"/analisis/{run.id}/hasil/kecamatan", params={"format": "csv"}, headers=h)
    assert csv.content.startswith(BOM)


def test_analysis_run_without_families_fails_with_reason(client, tokens):
    h = tokens["analis_a"]
    r = client.post("/analisis", json={"kode_kab": KAB_A, "periode": "2020-01"}, headers=h)
    run_id = r.json()["id"]
    client.app.state.runs.wait(run_id, timeout=60)
    done = client.get(f"/analisis/{run_id}", headers=h).json()
    assert done["status"] == "gagal" and "2020-01" in done["alasan"]


def test_import_report_endpoint(client, tokens):
    r = client.get("/impor/1", headers=tokens["admin_a"])
    assert r.status_code == 200, r.text
    rep = ImportBatchStatus.model_validate(r.json())
    assert rep.jenis == "batas" and rep.kode_kab == [KAB_A]


def test_map_page(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/peta", headers=tokens["analis_a"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "unpkg.com" not in html and "cdn.jsdelivr" not in html, "Leaflet must be inlined"
    assert "@media print" in html and "gs-legend" in html


def test_report_pdf_and_xlsx(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens["analis_a"])
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    x = client.get(f"/kabupaten/{KAB_A}/laporan.xlsx", headers=tokens["analis_a"])
    wb = load_workbook(io.BytesIO(x.content))
    assert {"Prioritas", "Target OPD", "Cakupan", "Metode"} <= set(wb.sheetnames)


def test_english_messages(client, tokens):
    r = client.get(
        "/kabupaten/33.20/indikator/desa",
        headers=tokens["analis_a"] | {"Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.status_code == 403 and "no access" in r.json()["pesan"]


def test_exports_are_audited(client, tokens, api_db):
    import sqlite3

    client.get(f"/kabupaten/{KAB_A}/prioritas", params={"format": "csv"}, headers=tokens["opd_a"])
    con = sqlite3.connect(api_db.path)
    rows = con.execute(
        "SELECT aktor, aksi, objek, n_baris, rincian FROM audit_log WHERE aktor='opd_a'"
    ).fetchall()
    con.close()
    assert rows and rows[-1][1] == "ekspor" and rows[-1][2] == "prioritas"
    assert json.loads(rows[-1][4]) == {"format": "csv"}
