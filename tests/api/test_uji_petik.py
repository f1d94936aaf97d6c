"""Ground checks, transitions and targets over HTTP: a sample drawn from the families in the
database, field files in every format, result uploads (all or nothing, partial, 409 for the
same file), progress with error estimates, transitions against the generator's truth, target
progress; roles, scope and audit rows."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from geo_service.api.schemas import (
    FeatureCollection,
    FieldImportReport,
    ProgressBody,
    SampleSummary,
    TargetRows,
    TransitionBody,
)
from geo_service.io import uji_petik as F
from tests.api.support import KAB_A, KAB_B, N_KELUARGA, PERIODE, ROOT, store_families

BOM = "\ufeff".encode()
PERIODE_2 = "2025-09"


# Direct reads go through the app's own engine: a second SQLite library (the standard
# sqlite3 next to pysqlite3) in the same process would break the file locks.
ENGINE: list = []


@pytest.fixture(scope="module", autouse=True)
def _engine(client):
    ENGINE[:] = [client.app.state.engine]


def _sql(api_db, query: str, *args):
    from sqlalchemy import text

    names = {f"p{i}": a for i, a in enumerate(args)}
    for i in range(len(args)):
        query = query.replace("?", f":p{i}", 1)
    with ENGINE[0].connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), names).all()]


def _audit(api_db, aksi: str) -> list[tuple]:
    return _sql(api_db, "SELECT aktor, kode_kab, n_baris FROM audit_log WHERE aksi = ?", aksi)


@pytest.fixture(scope="module")
def report_nomor(client, api_db):
    """A citizen report naming a Kendal family, made before any sample."""
    fam, kode = _sql(
        api_db, "SELECT id_keluarga, kode_desa FROM keluarga ORDER BY baris LIMIT 1 OFFSET 500"
    )[0]
    r = client.post(
        "/laporan-warga",
        data={
            "kode_desa": kode,
            "jenis": "kondisi_berubah",
            "keterangan": "Sudah bekerja di pabrik.",
            "id_keluarga": fam,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["nomor"], fam


@pytest.fixture(scope="module")
def sample(client, tokens, report_nomor):
    body = {"seed": 3, "n_per_desa": 4, "maks_bendera": None}
    r = client.post(f"/kabupaten/{KAB_A}/uji-petik", json=body, headers=tokens["analis_a"])
    assert r.status_code == 201, r.text
    return SampleSummary.model_validate(r.json())


def _load(api_db, sampel_id):
    from geo_service.db.engine import make_session_factory
    from geo_service.db.repo import Scope
    from geo_service.db.repo import uji_petik as GR

    with make_session_factory(ENGINE[0])() as s:
        return GR.load_sample(s, sampel_id, scope=Scope.all())


def test_sample_from_database_families_and_the_latest_run(
    client, tokens, api_db, sample, report_nomor
):
    runs = client.get("/analisis", params={"kode_kab": KAB_A}, headers=tokens["analis_a"]).json()
    assert sample.run_id == max(r["id"] for r in runs if r["status"] == "selesai")
    assert sample.kode.startswith("UP-3324-2025-03-") and sample.periode == PERIODE
    got = _load(api_db, sample.id)
    daftar = got.daftar
    assert len(daftar) == sample.n_item and (daftar["jenis"] == "acak").sum() == sample.n_acak
    assert (got.design.groupby("kode_desa")["n_sampel"].sum() <= 4).all()
    flagged = daftar[daftar["urutan_bendera"].notna()].sort_values("urutan_bendera")
    assert len(flagged) == sample.n_bendera and sample.n_bendera_dipotong == 0
    # Flagged families in a pocket of the run come first, then the rest.
    in_pocket = flagged["kantong"].notna().to_numpy()
    assert in_pocket.any() and not (np.diff(in_pocket.astype(int)) > 0).any()
    # The family named by a citizen report is flagged and the report is queued.
    nomor, fam = report_nomor
    row = daftar.set_index("id_keluarga").loc[fam]
    assert str(row["alasan"]).startswith("laporan_warga")
    status = client.get(f"/laporan-warga/{nomor}").json()["status"]
    assert status == "antre_uji_petik"
    # With a cap: the first flagged families in the same priority order, the same random part.
    capped = client.post(
        f"/kabupaten/{KAB_A}/uji-petik",
        json={"seed": 3, "n_per_desa": 4, "maks_bendera": 60},
        headers=tokens["analis_a"],
    ).json()
    assert capped["id"] != sample.id and capped["n_bendera_dipotong"] == sample.n_bendera - 60
    small = _load(api_db, capped["id"]).daftar
    small_flagged = small[small["urutan_bendera"].notna()].sort_values("urutan_bendera")
    assert small_flagged["id_keluarga"].tolist() == flagged["id_keluarga"].head(60).tolist()
    assert sorted(small.loc[small["jenis"] == "acak", "id_keluarga"]) == sorted(
        daftar.loc[daftar["jenis"] == "acak", "id_keluarga"]
    )
    # Reproducible: the same request draws the same list.
    again = client.post(
        f"/kabupaten/{KAB_A}/uji-petik",
        json={"seed": 3, "n_per_desa": 4, "maks_bendera": None},
        headers=tokens["analis_a"],
    ).json()
    assert again["kode"] == sample.kode
    pd.testing.assert_frame_equal(_load(api_db, again["id"]).daftar, daftar)
    assert ("analis_a", KAB_A, N_KELUARGA[KAB_A]) in _audit(api_db, "buat_sampel")
    listed = client.get(f"/kabupaten/{KAB_A}/uji-petik", headers=tokens["analis_a"]).json()
    assert {sample.id, again["id"]} <= {x["id"] for x in listed}
    one = client.get(f"/uji-petik/{sample.id}", headers=tokens["analis_a"])
    assert SampleSummary.model_validate(one.json()) == sample


def test_sample_roles_and_scope(client, tokens, sample):
    for user in ("opd_a", "publik_a"):
        assert (
            client.post(f"/kabupaten/{KAB_A}/uji-petik", json={}, headers=tokens[user]).status_code
            == 403
        )
        assert (
            client.get(f"/uji-petik/{sample.id}/progres", headers=tokens[user]).status_code == 403
        )
    assert (
        client.post(
            f"/kabupaten/{KAB_A}/uji-petik", json={}, headers=tokens["analis_b"]
        ).status_code
        == 403
    )
    for path in ("", "/progres", "/berkas"):
        r = client.get(f"/uji-petik/{sample.id}{path}", headers=tokens["analis_b"])
        assert r.status_code == 404 and "baris" not in r.json()
    assert client.get(f"/kabupaten/{KAB_B}/uji-petik", headers=tokens["analis_b"]).json() == []
    r = client.post(
        f"/kabupaten/{KAB_A}/uji-petik", json={"seed": 1, "lain": 2}, headers=tokens["analis_a"]
    )
    assert r.status_code == 422  # unknown fields are refused
    r = client.post(
        f"/kabupaten/{KAB_A}/uji-petik", json={"periode": "1999-01"}, headers=tokens["analis_a"]
    )
    assert r.status_code == 404
    r = client.post(
        f"/kabupaten/{KAB_A}/uji-petik",
        content=b"\x68\x05\xff\xfe",
        headers=tokens["analis_a"] | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422  # an unreadable body is bad input, like any other


def _first_desa(api_db, sample) -> str:
    return str(_load(api_db, sample.id).daftar["kode_desa"].iloc[0])


def test_field_files_every_format(client, tokens, api_db, sample):
    h = tokens["analis_a"]
    kode = _first_desa(api_db, sample)
    n = int((_load(api_db, sample.id).daftar["kode_desa"] == kode).sum())
    url = f"/uji-petik/{sample.id}/berkas"
    csv = client.get(url, params={"format": "csv", "desa": kode}, headers=h)
    assert csv.status_code == 200 and csv.content.startswith(BOM)
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == list(F.EXPORT_COLUMNS) and len(frame) == n
    xlsx = client.get(url, params={"format": "xlsx", "desa": kode}, headers=h)
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["daftar", "petunjuk", "info"] and wb["daftar"].max_row == n + 1
    gpkg = client.get(url, params={"format": "gpkg", "desa": kode}, headers=h)
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    path = api_db.path.parent / "uji.gpkg"
    path.write_bytes(gpkg.content)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {F.LAYER_POINTS, F.LAYER_DESA, F.LAYER_DOCS, F.LAYER_INFO} <= layers
    assert len(pyogrio.read_dataframe(path, layer=F.LAYER_POINTS)) == n
    whole = client.get(url, params={"format": "csv"}, headers=h)  # the whole sample
    assert whole.status_code == 200 and whole.content.startswith(BOM)
    assert len(pd.read_csv(io.BytesIO(whole.content), encoding="utf-8-sig")) == sample.n_item
    assert f"uji_petik_{sample.kode}.csv" in whole.headers["content-disposition"]
    book = client.get(url, headers=h)  # xlsx by default
    assert load_workbook(io.BytesIO(book.content))["daftar"].max_row == sample.n_item + 1
    assert client.get(url, params={"desa": "33.24.99.9999"}, headers=h).status_code == 404
    exports = [a for a in _audit(api_db, "ekspor") if a[1] == KAB_A and a[2] == n]
    assert len(exports) >= 3


def _filled_csv(client, tokens, api_db, sample, *, k=5, bad=False) -> bytes:
    kode = _first_desa(api_db, sample)
    r = client.get(
        f"/uji-petik/{sample.id}/berkas",
        params={"format": "csv", "desa": kode},
        headers=tokens["analis_a"],
    )
    frame = pd.read_csv(
        io.BytesIO(r.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    frame.loc[: k - 1, "status"] = "sesuai"
    frame.loc[: k - 1, "petugas"] = "Bu Sari"
    frame.loc[: k - 1, "tanggal"] = "2025-06-02"
    frame.loc[1, "status"] = "tidak_ditemukan"
    if bad:
        frame.loc[0, "status"] = "entah"
    return frame.to_csv(index=False).encode("utf-8-sig")


def test_upload_all_or_nothing_then_partial_then_409(client, tokens, api_db, sample):
    h = tokens["analis_a"]
    url = f"/uji-petik/{sample.id}/hasil"
    bad = _filled_csv(client, tokens, api_db, sample, bad=True)
    r = client.post(url, files={"berkas": ("hasil.csv", bad, "text/csv")}, headers=h)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["masalah_per_kode"] == {"status_tidak_valid": 1}
    assert detail["masalah"][0]["baris"] == 2
    prog = client.get(f"/uji-petik/{sample.id}/progres", headers=h).json()
    assert prog["total"]["n_selesai"] == 0  # nothing imported
    failed = _sql(api_db, "SELECT status, n_sah FROM impor_batch WHERE id = ?", detail["batch_id"])
    assert failed == [("gagal", 0)]
    r = client.post(
        url, files={"berkas": ("hasil.csv", bad, "text/csv")}, data={"sebagian": "true"}, headers=h
    )
    assert r.status_code == 201, r.text
    rep = FieldImportReport.model_validate(r.json())
    assert (rep.baru, rep.n_masalah, rep.diimpor) == (4, 1, True)
    again = client.post(
        url, files={"berkas": ("hasil.csv", bad, "text/csv")}, data={"sebagian": "true"}, headers=h
    )
    assert again.status_code == 409 and again.json()["kode"] == "duplikat"
    assert again.json()["detail"]["batch_id"] == rep.batch_id
    good = _filled_csv(client, tokens, api_db, sample)
    r = client.post(url, files={"berkas": ("hasil2.csv", good, "text/csv")}, headers=h)
    rep2 = FieldImportReport.model_validate(r.json())
    assert (rep2.baru, rep2.sama, rep2.diperbarui) == (1, 4, 0)
    rows = _sql(api_db, "SELECT count(*) FROM uji_petik_hasil WHERE sampel_id = ?", sample.id)
    assert rows == [(5,)]
    assert (
        client.post(url, files={"berkas": ("x.txt", b"a", "text/plain")}, headers=h).status_code
        == 422
    )
    assert client.post(url, headers=h).status_code == 422
    assert len([a for a in _audit(api_db, "impor") if a[1] == KAB_A]) >= 3


def test_progress_json_geojson_csv_with_error_estimates(client, tokens, api_db, sample):
    h = tokens["analis_a"]
    url = f"/uji-petik/{sample.id}/progres"
    body = ProgressBody.model_validate(client.get(url, headers=h).json())
    n_desa = _load(api_db, sample.id).daftar["kode_desa"].nunique()
    assert len(body.progres) == n_desa and body.total["n_sampel"] == sample.n_item
    done = {r["kode_desa"]: r["n_selesai"] for r in body.progres if r["n_selesai"]}
    assert done == {_first_desa(api_db, sample): 5}
    assert body.total["n_salah"] == 1
    kab = body.taksiran[-1]
    assert kab["kelompok"] == "kabupaten" and kab["teks"].startswith("kabupaten:")
    assert {"estimasi", "ci_bawah", "ci_atas"} <= set(kab)
    fc = FeatureCollection.model_validate(
        client.get(url, params={"format": "geojson"}, headers=h).json()
    )
    assert len(fc.features) == n_desa
    assert all(f.geometry for f in fc.features)
    csv = client.get(url, params={"format": "csv"}, headers=h)
    assert csv.content.startswith(BOM) and b"pct_selesai" in csv.content
    by_desa = client.get(url, params={"kelompok": "desa"}, headers=h).json()["taksiran"]
    assert len(by_desa) == n_desa + 1


@pytest.fixture(scope="module")
def second_periode(api_db):
    """The next periode of Kendal from the panel generator (its base equals the stored
    2025-03 families), stored as a snapshot; returns the generator's truth of the step."""
    from geo_service.analysis import AnalysisParams, compute_indicators
    from geo_service.analysis import schema as S
    from geo_service.db.engine import make_session_factory
    from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
    from geo_service.synth import calibration_from_bps
    from geo_service.synth.panel import generate_panel

    desa = read_boundaries(boundary_files(ROOT / "data", KAB_A)["desa"])
    calib = calibration_from_bps(read_bps(ROOT / "data"), KAB_A)
    panel = generate_panel(
        desa, calib, n_keluarga=N_KELUARGA[KAB_A], periodes=[PERIODE, PERIODE_2], seed=11, kantong=2
    )
    stored = {r[0] for r in _sql(api_db, "SELECT id_keluarga FROM keluarga")}
    assert stored == set(panel.snapshots[PERIODE][S.ID])  # the same base
    fam = compute_indicators(panel.snapshots[PERIODE_2], desa, AnalysisParams()).keluarga
    with make_session_factory(ENGINE[0])() as s:
        store_families(s, fam, periode=PERIODE_2, berkas="k2.parquet", sha="e")
        s.commit()
    return panel.truth["langkah"][0]


def test_transitions_equal_the_generator_truth(client, tokens, api_db, second_periode):
    step = second_periode
    h = tokens["analis_a"]
    r = client.get(
        f"/kabupaten/{KAB_A}/transisi", params={"periode": [PERIODE, PERIODE_2]}, headers=h
    )
    assert r.status_code == 200, r.text
    body = TransitionBody.model_validate(r.json())
    assert body.periode == [PERIODE, PERIODE_2]
    mat = pd.DataFrame(body.matriks).set_index("desil_awal")
    for da, row in step["matriks_desil"].items():
        for dz, n in row.items():
            assert mat.loc[str(da), str(dz)] == n
    assert mat.loc["baru"].sum() == step["jumlah"]["baru"]
    assert mat["keluar"].sum() == step["jumlah"]["meninggal"]
    total = next(g for g in body.graduasi if g["unit"] == "TOTAL")
    assert total["lulus_desil1"] == step["jumlah"]["lulus_desil1"] > 20
    assert total["turun_ke_desil1"] == step["jumlah"]["jatuh_desil1"]
    assert body.teks and PERIODE_2 in body.teks[0]
    assert body.tren is None  # no stored run for 2025-09
    # Default: every periode in the database; CSV = graduation per desa.
    assert client.get(f"/kabupaten/{KAB_A}/transisi", headers=h).json()["periode"] == [
        PERIODE,
        PERIODE_2,
    ]
    csv = client.get(f"/kabupaten/{KAB_A}/transisi", params={"format": "csv"}, headers=h)
    assert csv.content.startswith(BOM) and b"lulus_desil1" in csv.content
    one = client.get(f"/kabupaten/{KAB_A}/transisi", params={"periode": [PERIODE]}, headers=h)
    assert one.status_code == 422
    assert (
        client.get(
            f"/kabupaten/{KAB_A}/transisi", params={"periode": ["2025-13"]}, headers=h
        ).status_code
        == 422
    )
    assert client.get(f"/kabupaten/{KAB_A}/transisi", headers=tokens["opd_a"]).status_code == 403
    reads = [a for a in _audit(api_db, "baca_keluarga") if a[1] == KAB_A]
    assert reads and reads[0][2] == N_KELUARGA[KAB_A] + step_total(step)


def step_total(step) -> int:
    """Families in the second periode: before - died + new."""
    return N_KELUARGA[KAB_A] - step["jumlah"]["meninggal"] + step["jumlah"]["baru"]


def test_targets_for_every_role_of_the_kabupaten(client, tokens, api_db):
    runs = client.get("/analisis", params={"kode_kab": KAB_A}, headers=tokens["analis_a"]).json()
    run = max(
        (r for r in runs if r["status"] == "selesai" and r["periode"] == PERIODE),
        key=lambda r: r["id"],
    )
    desa = client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=tokens["analis_a"]).json()[
        "baris"
    ][0]
    for user in ("analis_a", "opd_a", "publik_a"):
        r = client.get(f"/kabupaten/{KAB_A}/target", headers=tokens[user])
        assert r.status_code == 200, r.text
        body = TargetRows.model_validate(r.json())
        rows = {x["indikator"]: x for x in body.baris}
        assert set(rows) == {"pct_miskin_ekstrem", "pct_miskin"}
        ekstrem = rows["pct_miskin_ekstrem"]
        assert ekstrem["nilai_target"] == 0 and ekstrem["tahun_target"] == 2026
        assert ekstrem["nilai_sekarang"] == pytest.approx(desa["pct_jiwa_ekstrem"])
        assert ekstrem["waktu_sekarang"] == PERIODE and ekstrem["status"] == "data_kurang"
        assert "target 0,00 % pada 2026" in ekstrem["teks"]
        assert rows["pct_miskin"]["nilai_target"] == 4.5
        assert body.teks.startswith("Capaian target")
    assert run["id"]
    en = client.get(
        f"/kabupaten/{KAB_A}/target", params={"lang": "en"}, headers=tokens["analis_a"]
    ).json()
    assert "target 0.00% in 2026" in en["teks"]
    csv = client.get(
        f"/kabupaten/{KAB_A}/target", params={"format": "csv"}, headers=tokens["opd_a"]
    )
    assert csv.content.startswith(BOM) and b"laju_diperlukan" in csv.content
    assert client.get(f"/kabupaten/{KAB_A}/target", headers=tokens["analis_b"]).status_code == 403
    # The map page shows them too (a box under the title).
    page = client.get(f"/kabupaten/{KAB_A}/peta", headers=tokens["analis_a"]).text
    assert "id='gs-target'" in page and "0,00 % pada 2026" in page
    # Jepara has no target in data/targets.csv: zero rows, no error.
    b = client.get(f"/kabupaten/{KAB_B}/target", headers=tokens["analis_b"]).json()
    assert b["baris"] == [] and b["teks"] == ""
