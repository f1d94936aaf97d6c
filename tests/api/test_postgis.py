"""The API on PostGIS (the production backend), through the same models and repository:
scoped lists, formats, suppression, a background run. Never skipped."""
# ruff: noqa: F811

from __future__ import annotations

import pytest

from tests.api.support import KAB_A, KAB_B, PASSWORD, PERIODE, postgis_client


@pytest.fixture(scope="module")
def pg_client(tmp_path_factory):
    with postgis_client(tmp_path_factory.mktemp("pgapi"), "geo_api") as c:
        c.headers_of = {}
        for name in ("analis_a", "publik_a", "analis_b"):
            r = c.post("/auth/token", data={"username": name, "password": PASSWORD})
            c.headers_of[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        c.headers_of["key_admin_a"] = {"X-API-Key": c.keys["admin_a"]}
        yield c


def test_postgis_health_and_scope(pg_client):
    assert pg_client.get("/health").json()["basis_data"] == "postgresql"
    kabs = pg_client.get("/wilayah/kabupaten", headers=pg_client.headers_of["analis_a"]).json()
    assert [k["kode"] for k in kabs] == [KAB_A]
    r = pg_client.get(f"/kabupaten/{KAB_B}/prioritas", headers=pg_client.headers_of["analis_a"])
    assert r.status_code == 403


def test_postgis_formats(pg_client):
    h = pg_client.headers_of["key_admin_a"]
    fc = pg_client.get(f"/kabupaten/{KAB_A}/indikator/desa", headers=h).json()
    assert len(fc["features"]) == pg_client.n_desa[KAB_A]
    desa = pg_client.get(f"/wilayah/kabupaten/{KAB_A}/desa", params={"zoom": 9}, headers=h)
    assert len(desa.json()["features"]) == pg_client.n_desa[KAB_A]
    csv = pg_client.get(f"/kabupaten/{KAB_A}/prioritas", params={"format": "csv"}, headers=h)
    assert csv.content.startswith("\ufeff".encode())
    h3 = pg_client.get(f"/kabupaten/{KAB_A}/indikator/h3", headers=h).json()
    assert h3["features"]


def test_postgis_public_suppression(pg_client):
    rows = pg_client.get(
        f"/kabupaten/{KAB_A}/indikator/desa",
        params={"format": "json"},
        headers=pg_client.headers_of["publik_a"],
    ).json()["baris"]
    assert any(r["disembunyikan"] for r in rows)
    for r in rows:
        for c in ("n_keluarga_ekstrem", "n_jiwa_ekstrem"):
            assert r[c] is None or not 1 <= r[c] < 10


def test_postgis_background_run(pg_client):
    h = pg_client.headers_of["analis_a"]
    run = pg_client.post(
        "/analisis",
        json={"kode_kab": KAB_A, "periode": PERIODE, "seed": 5, "permutasi": 999},
        headers=h,
    ).json()
    pg_client.app.state.runs.wait(run["id"], timeout=300)
    done = pg_client.get(f"/analisis/{run['id']}", headers=h).json()
    assert done["status"] == "selesai", done["alasan"]
    assert {"desa", "h3", "prioritas", "kantong"} <= set(done["tabel"])


def test_postgis_ground_check_loop_and_targets(pg_client):
    """Sample from the stored families, a field file, an upload (then 409), progress with
    estimates, a citizen report in its table, targets: the same code path on PostGIS."""
    import io

    import pandas as pd

    h = pg_client.headers_of["analis_a"]
    r = pg_client.post(
        f"/kabupaten/{KAB_A}/uji-petik", json={"seed": 2, "n_per_desa": 3}, headers=h
    )
    assert r.status_code == 201, r.text
    sample = r.json()
    assert sample["n_acak"] > 0 and sample["run_id"] is not None
    csv = pg_client.get(f"/uji-petik/{sample['id']}/berkas", params={"format": "csv"}, headers=h)
    frame = pd.read_csv(
        io.BytesIO(csv.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    assert len(frame) == sample["n_item"]
    frame.loc[:9, ["status", "petugas", "tanggal"]] = ["sesuai", "Bu Sari", "2025-06-02"]
    body = frame.to_csv(index=False).encode("utf-8-sig")
    up = pg_client.post(
        f"/uji-petik/{sample['id']}/hasil",
        files={"berkas": ("hasil.csv", body, "text/csv")},
        headers=h,
    )
    assert up.status_code == 201, up.text
    assert up.json()["baru"] == 10
    again = pg_client.post(
        f"/uji-petik/{sample['id']}/hasil",
        files={"berkas": ("hasil.csv", body, "text/csv")},
        headers=h,
    )
    assert again.status_code == 409
    prog = pg_client.get(f"/uji-petik/{sample['id']}/progres", headers=h).json()
    assert prog["total"]["n_selesai"] == 10 and prog["taksiran"][-1]["kelompok"] == "kabupaten"
    assert (
        pg_client.get(
            f"/uji-petik/{sample['id']}", headers=pg_client.headers_of["analis_b"]
        ).status_code
        == 404
    )
    kode = frame["kode_desa"].iloc[0]
    rep = pg_client.post(
        "/laporan-warga",
        data={
            "kode_desa": kode,
            "jenis": "usulan_penerima",
            "keterangan": "Belum menerima bantuan.",
        },
    )
    assert rep.status_code == 201, rep.text
    q = pg_client.get("/laporan-warga", params={"kode_kab": KAB_A}, headers=h).json()
    assert rep.json()["nomor"] in {x["nomor"] for x in q["baris"]}
    rows = pg_client.get(f"/kabupaten/{KAB_A}/target", headers=h).json()["baris"]
    assert {x["indikator"] for x in rows} == {"pct_miskin_ekstrem", "pct_miskin"}
