"""Fieldwork files: exports per desa/officer (XLSX, CSV, GeoPackage) and result imports."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from geo_service.analysis import compute_indicators
from geo_service.analysis import uji_petik as G
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.io import uji_petik as F
from geo_service.io.boundaries import read_bps
from geo_service.synth import calibration_from_bps, generate_keluarga
from tests.fixtures import DATA

TODAY = date(2025, 12, 31)


@pytest.fixture(scope="module")
def desa(kendal_sample):
    return kendal_sample[0]


@pytest.fixture(scope="module")
def sample(kendal_sample):
    return kendal_sample[1]


@pytest.fixture()
def store(tmp_path, sample):
    return F.SampleStore.create(tmp_path / "sampel", sample, kode_kab="33.24", periode="2025-03")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, sample, desa):
    out = tmp_path_factory.mktemp("ekspor")
    files = F.export_sample(sample.daftar, desa, out, info={"id": "UP-uji", "seed": 2})
    return out, files


def test_one_file_per_desa_and_format(exported, sample):
    out, files = exported
    codes = sorted(sample.daftar["kode_desa"].unique())
    for ext in ("csv", "xlsx", "gpkg"):
        assert sorted(p.name for p in out.glob(f"*.{ext}") if p.name.startswith("uji_petik_")) == [
            f"uji_petik_{k}.{ext}" for k in codes
        ]
    summary = pd.read_csv(out / "ringkasan_uji_petik.csv", encoding="utf-8-sig", dtype=str)
    assert summary["n_keluarga"].astype(int).sum() == len(sample.daftar)
    assert len(files) == 3 * len(codes) + 1


def test_csv_is_utf8_bom_with_documented_columns(exported, sample):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    raw = (out / f"uji_petik_{kode}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out / f"uji_petik_{kode}.csv", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == list(F.EXPORT_COLUMNS)
    assert set(frame["id_keluarga"]) == set(
        sample.daftar.loc[sample.daftar["kode_desa"] == kode, "id_keluarga"]
    )
    assert frame["urutan"].astype(int).is_monotonic_increasing


def test_xlsx_has_list_docs_and_status_dropdown(exported, sample):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    wb = load_workbook(out / f"uji_petik_{kode}.xlsx")
    assert wb.sheetnames == ["daftar", "petunjuk", "info"]
    ws = wb["daftar"]
    header = [c.value for c in ws[1]]
    assert header == list(F.EXPORT_COLUMNS)
    assert ws.max_row - 1 == int((sample.daftar["kode_desa"] == kode).sum())
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1 and "sesuai,kondisi_berubah" in validations[0].formula1
    docs = [r[0].value for r in wb["petunjuk"].iter_rows(min_row=2)]
    assert set(F.EXPORT_COLUMNS) <= set(docs)
    info = {r[0].value: r[1].value for r in wb["info"].iter_rows()}
    assert info["id"] == "UP-uji"


def test_geopackage_opens_with_gdal_and_has_documented_layers_and_fields(exported, sample, desa):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    path = out / f"uji_petik_{kode}.gpkg"
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        F.LAYER_POINTS: "Point",
        F.LAYER_DESA: "MultiPolygon",
        F.LAYER_DOCS: None,
        F.LAYER_INFO: None,
        "layer_styles": None,  # the QGIS styles table (registered as QGIS does)
    }
    info = pyogrio.read_info(path, layer=F.LAYER_POINTS)
    assert info["crs"] == "EPSG:4326" and info["driver"] == "GPKG"
    placeholder = ["lokasi_perkiraan", "lon_perkiraan", "lat_perkiraan"]
    assert list(info["fields"]) == [*F.GPKG_COLUMNS, *placeholder]
    assert (
        dict(zip(info["fields"], info["dtypes"], strict=True))["tanggal"] == "datetime64[D]"
    )  # a DATE field
    mine = sample.daftar[sample.daftar["kode_desa"] == kode]
    assert info["features"] == len(mine)
    # Documented: the docs layer and gpkg_data_columns describe every field.
    docs = pyogrio.read_dataframe(path, layer=F.LAYER_DOCS)
    assert list(docs["kolom"]) == [*F.GPKG_COLUMNS, "lokasi_perkiraan"]
    assert docs["keterangan"].str.len().min() > 5
    con = sqlite3.connect(path)
    described = dict(
        con.execute(
            "SELECT column_name, description FROM gpkg_data_columns WHERE table_name = ?",
            (F.LAYER_POINTS,),
        ).fetchall()
    )
    enum = [
        r[0]
        for r in con.execute(
            "SELECT value FROM gpkg_data_column_constraints WHERE "
            "constraint_name = 'status_uji_petik' ORDER BY value"
        )
    ]
    con.close()
    assert set(described) == set(F.GPKG_COLUMNS)
    assert enum == sorted(G.STATUSES)
    # Points where the geotags are; families without a geotag sit inside their registered
    # desa, flagged (lokasi_perkiraan = 1), so officers see them in QField.
    pts = pyogrio.read_dataframe(path, layer=F.LAYER_POINTS)
    geo = pts[pts["ada_geotag"] == 1]
    np.testing.assert_allclose(geo.geometry.x, geo["lon"])
    np.testing.assert_allclose(geo.geometry.y, geo["lat"])
    assert pts.geometry.notna().all()
    untagged = pts[pts["ada_geotag"] == 0]
    assert (untagged["lokasi_perkiraan"] == 1).all() and (geo["lokasi_perkiraan"] == 0).all()
    outline = pyogrio.read_dataframe(path, layer=F.LAYER_DESA)
    shapes = dict(zip(outline["kode_desa"], outline.geometry, strict=True))
    assert all(shapes[r.kode_desa].contains(r.geometry) for r in untagged.itertuples())
    # Outlines of every desa a family of the file is registered in or lies in.
    lies_in = set(mine["kode_desa_lokasi"].dropna()) if "kode_desa_lokasi" in mine else set()
    assert set(outline["kode_desa"]) == {kode} | lies_in
    original = desa.loc[desa["kode"] == kode].geometry.iloc[0]
    assert shapes[kode].symmetric_difference(original).area < 1e-9
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
    assert con.execute("SELECT count(*) FROM layer_styles").fetchone()[0] == 2
    con.close()
    assert (path.parent / f"uji_petik_{kode}.qgz").exists()


def test_export_per_officer(tmp_path, sample, desa):
    kodes = sorted(sample.daftar["kode_desa"].unique())
    officers = pd.DataFrame(
        {
            "kode_desa": kodes,
            "petugas": ["Bu Sari" if i % 2 else "Pak Budi" for i in range(len(kodes))],
        }
    )
    daftar = G.assign_officers(sample.daftar, officers)
    F.export_sample(daftar, desa, tmp_path, per="petugas", formats=("csv",))
    names = sorted(p.name for p in tmp_path.glob("uji_petik_*.csv"))
    assert names == ["uji_petik_Bu_Sari.csv", "uji_petik_Pak_Budi.csv"]
    with pytest.raises(InvalidInputError):
        F.export_sample(daftar, desa, tmp_path, per="kecamatan")


# --- imports ----------------------------------------------------------------------------


def _filled_csv(exported, sample, tmp_path, k=6):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    frame = pd.read_csv(
        out / f"uji_petik_{kode}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    frame.loc[: k - 1, "status"] = "sesuai"
    frame.loc[: k - 1, "petugas"] = "Bu Sari"
    frame.loc[: k - 1, "tanggal"] = "2025-06-02"
    frame.loc[1, "status"] = "kondisi_berubah"
    frame.loc[1, "rumah_tidak_layak"] = "1" if frame.loc[1, "rumah_tidak_layak"] == "0" else "0"
    path = tmp_path / "hasil.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path, frame


def test_import_twice_changes_nothing(tmp_path, exported, sample, store):
    path, _ = _filled_csv(exported, sample, tmp_path)
    first = F.import_field_results(path, store, today=TODAY)
    assert first.diimpor and first.summary.baru == 6
    stored = store.results()
    hasil_bytes = (store.folder / "hasil.parquet").read_bytes()
    second = F.import_field_results(path, store, today=TODAY)
    assert second.diimpor and not second.summary.berubah and second.summary.sama == 6
    pd.testing.assert_frame_equal(store.results(), stored)
    assert (store.folder / "hasil.parquet").read_bytes() == hasil_bytes  # not even rewritten
    assert [e["sha256"] for e in store.imports()] == [first.sha256, first.sha256]
    changed = stored.set_index("id_keluarga")["perubahan"]
    assert (changed != "{}").sum() == 1
    prog = G.sample_progress(store.sample().daftar, stored)
    assert prog["n_selesai"].sum() == 6 and prog["n_kondisi_berubah"].sum() == 1


def test_wrong_status_or_unknown_family_imports_nothing(tmp_path, exported, sample, store):
    path, frame = _filled_csv(exported, sample, tmp_path)
    frame.loc[0, "status"] = "salah_ketik"
    frame.loc[2, "id_keluarga"] = "DTSEN-3324-0000000000"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    outcome = F.import_field_results(path, store, today=TODAY)
    assert not outcome.diimpor and outcome.alasan == "ada_masalah"
    assert store.results() is None  # nothing imported
    got = set(
        zip(outcome.check.problems["baris"], outcome.check.problems["kode_alasan"], strict=True)
    )
    assert got == {(2, "status_tidak_valid"), (4, "keluarga_tidak_dalam_sampel")}
    assert store.imports()[-1]["diimpor"] is False
    partial = F.import_field_results(path, store, partial=True, today=TODAY)
    assert partial.diimpor and partial.summary.baru == 4
    assert len(store.results()) == 4


def test_import_from_filled_workbook(tmp_path, exported, sample, store):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    wb = load_workbook(out / f"uji_petik_{kode}.xlsx")
    ws = wb["daftar"]
    col = {c.value: i + 1 for i, c in enumerate(ws[1])}
    for r in (2, 3):
        ws.cell(r, col["status"], "pindah" if r == 3 else "sesuai")
        ws.cell(r, col["petugas"], "Pak Budi")
        ws.cell(r, col["tanggal"], datetime(2025, 6, 3))  # Excel turns typed dates into dates
    ws.cell(3, col["kode_desa"], sorted(sample.daftar["kode_desa"].unique())[-1])
    ws.cell(3, col["lat_baru"], -7.01)
    ws.cell(3, col["lon_baru"], 110.2)
    path = tmp_path / "hasil.xlsx"
    wb.save(path)
    outcome = F.import_field_results(path, store, today=TODAY)
    assert outcome.diimpor, outcome.check.problems
    res = store.results().set_index("id_keluarga")
    moved = res.loc[ws.cell(3, col["id_keluarga"]).value]
    assert moved["status"] == "pindah" and moved["tanggal"] == "2025-06-03"
    assert (moved["lat_baru"], moved["lon_baru"]) == (-7.01, 110.2)
    assert '"kode_desa"' in moved["perubahan"]


def test_import_from_returned_geopackage(tmp_path, exported, sample, store):
    out, _ = exported
    kode = sample.daftar["kode_desa"].iloc[0]
    gdf = pyogrio.read_dataframe(out / f"uji_petik_{kode}.gpkg", layer=F.LAYER_POINTS)
    geo = gdf.index[gdf["ada_geotag"] == 1][:3]
    gdf.loc[geo, "status"] = ["sesuai", "kondisi_berubah", "tidak_ditemukan"]
    gdf.loc[geo, "petugas"] = "Bu Sari"
    gdf.loc[geo, "tanggal"] = "2025-06-04"
    from shapely.geometry import Point

    p = gdf.geometry[geo[1]]
    gdf.loc[geo[1], "geometry"] = Point(p.x + 0.0005, p.y)  # the officer moved the point
    path = tmp_path / "kembali.gpkg"
    pyogrio.write_dataframe(gdf, path, layer=F.LAYER_POINTS, driver="GPKG")
    outcome = F.import_field_results(path, store, today=TODAY)
    assert outcome.diimpor, outcome.check.problems
    assert outcome.check.n_kosong == len(gdf) - 3
    res = store.results().set_index("id_keluarga")
    assert np.isnan(res.loc[gdf.loc[geo[0], "id_keluarga"], "lat_baru"])
    assert res.loc[gdf.loc[geo[1], "id_keluarga"], "lon_baru"] == pytest.approx(p.x + 0.0005)
    # Moving the point under status "sesuai" is inconsistent and refused.
    gdf.loc[geo[0], "geometry"] = Point(p.x + 0.001, p.y)
    pyogrio.write_dataframe(gdf, path, layer=F.LAYER_POINTS, driver="GPKG")
    again = F.import_field_results(path, store, today=TODAY)
    assert not again.diimpor
    assert again.check.problems["kode_alasan"].tolist() == ["status_tidak_konsisten"]


def test_unreadable_or_unknown_files(tmp_path, store):
    with pytest.raises(NotFoundError):
        F.read_field_results(tmp_path / "tidak_ada.csv")
    (tmp_path / "x.txt").write_text("id_keluarga,status\n")
    with pytest.raises(InvalidInputError):
        F.read_field_results(tmp_path / "x.txt")
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(InvalidInputError):
        F.import_field_results(bad, store, today=TODAY)


def test_store_round_trip(store, sample):
    back = store.sample()
    assert back.params == sample.params
    assert list(back.daftar["id_keluarga"]) == list(sample.daftar["id_keluarga"])
    pd.testing.assert_frame_equal(back.design, sample.design)
    assert store.meta["id"] == G.sample_id("33.24", "2025-03", sample.params)


# --- CLI --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, desa):
    from geo_service.io.export import write_geojson
    from geo_service.io.keluarga import write_keluarga

    folder = tmp_path_factory.mktemp("cli")
    calib = calibration_from_bps(read_bps(DATA), "33.24")
    fam = generate_keluarga(
        desa, calib, n_keluarga=2500, periode="2025-03", seed=8, kantong=1
    ).keluarga
    write_keluarga(fam, folder / "keluarga.parquet")
    write_geojson(desa, folder / "desa.geojson")
    return folder


def _run(args):
    from typer.testing import CliRunner

    from geo_service.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_sample_import_progress(cli_files):
    folder = cli_files
    store_dir = folder / "sampel"
    r = _run(
        [
            "uji-petik",
            "sample",
            "--keluarga",
            folder / "keluarga.parquet",
            "--boundaries",
            folder / "desa.geojson",
            "--seed",
            4,
            "--per-desa",
            6,
            "--maks-bendera",
            40,
            "--format",
            "csv,gpkg",
            "--out",
            store_dir,
        ]
    )
    assert r.exit_code == 0, r.output
    assert "Sampel uji petik UP-3324-2025-03-" in r.output
    store = F.SampleStore(store_dir)
    sample = store.sample()
    assert sample.params.seed == 4 and sample.params.maks_bendera == 40
    # Flagged families come in priority order: pocket members first, then by desa rank
    # (computed by the planning stage: every desa has one).
    flagged = sample.daftar[sample.daftar["urutan_bendera"].notna()].sort_values("urutan_bendera")
    in_pocket = flagged["kantong"].notna().to_numpy()
    assert not (in_pocket[1:] & ~in_pocket[:-1]).any()
    ranks = flagged.loc[~in_pocket, "peringkat_desa"]
    assert ranks.notna().all() and ranks.is_monotonic_increasing
    n_desa = sample.daftar["kode_desa"].nunique()
    assert len(list((store_dir / "lapangan").glob("uji_petik_*.gpkg"))) == n_desa
    # Same seed, same random part.
    again = _run(
        [
            "uji-petik",
            "sample",
            "--keluarga",
            folder / "keluarga.parquet",
            "--boundaries",
            folder / "desa.geojson",
            "--seed",
            4,
            "--per-desa",
            6,
            "--maks-bendera",
            40,
            "--format",
            "csv",
            "--tanpa-prioritas",
            "--out",
            folder / "sampel2",
        ]
    )
    assert again.exit_code == 0, again.output
    other = F.SampleStore(folder / "sampel2").sample()
    assert set(other.acak["id_keluarga"]) == set(sample.acak["id_keluarga"])

    kode = sample.daftar["kode_desa"].iloc[0]
    sheet = pd.read_csv(
        store_dir / "lapangan" / f"uji_petik_{kode}.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    sheet.loc[:3, ["status", "petugas", "tanggal"]] = ["sesuai", "Bu Sari", "2025-06-02"]
    good = folder / "hasil.csv"
    sheet.to_csv(good, index=False, encoding="utf-8-sig")
    sheet.loc[0, "status"] = "entah"
    bad = folder / "hasil_salah.csv"
    sheet.to_csv(bad, index=False, encoding="utf-8-sig")

    r = _run(
        ["uji-petik", "import", bad, "--sampel", store_dir, "--tanggal-hari-ini", "2025-12-31"]
    )
    assert r.exit_code == 2 and "Tidak ada yang diimpor" in r.output
    assert store.results() is None
    assert (store_dir / "masalah_hasil_salah.csv").exists()
    r = _run(
        ["uji-petik", "import", good, "--sampel", store_dir, "--tanggal-hari-ini", "2025-12-31"]
    )
    assert r.exit_code == 0 and "4 baru" in r.output, r.output
    r = _run(
        [
            "uji-petik",
            "import",
            good,
            "--sampel",
            store_dir,
            "--tanggal-hari-ini",
            "2025-12-31",
            "--lang",
            "en",
        ]
    )
    assert r.exit_code == 0 and "0 new, 0 updated, 4 same" in r.output

    r = _run(
        ["uji-petik", "progress", "--sampel", store_dir, "--boundaries", folder / "desa.geojson"]
    )
    assert r.exit_code == 0, r.output
    prog = pd.read_csv(
        store_dir / "progres" / "progres_desa.csv", encoding="utf-8-sig", dtype={"kode_desa": str}
    )
    assert prog["n_selesai"].sum() == 4 and prog["n_sampel"].sum() == len(sample.daftar)
    est = pd.read_csv(store_dir / "progres" / "taksiran_galat.csv", encoding="utf-8-sig")
    assert est["kelompok"].iloc[-1] == "kabupaten"
    html = (store_dir / "progres" / "progres.html").read_text(encoding="utf-8")
    assert "Progres uji petik" in html and "unpkg.com" not in html  # offline map


def test_cli_sample_uses_an_analysis_run(cli_files, desa):
    """``--hasil DIR`` takes pockets and desa ranks from an analysis run's files."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo_service.analysis.locate import cells_to_str
    from geo_service.io.keluarga import read_keluarga

    folder = cli_files
    run = folder / "run"
    run.mkdir()
    located = compute_indicators(read_keluarga(folder / "keluarga.parquet"), desa).keluarga
    codes = sorted(located["kode_desa"].unique())
    pd.DataFrame({"kode_desa": codes[::-1], "peringkat": range(1, len(codes) + 1)}).to_csv(
        run / "priorities.csv", index=False, encoding="utf-8-sig"
    )
    # One pocket made of the cells of the flagged families of the lowest-ranked desa.
    flags = G.flag_families(located)
    pick = located[
        (flags["n_alasan"] > 0) & (located["h3"] != 0) & (located["kode_desa"] == codes[0])
    ]
    cells = sorted(set(cells_to_str(pick["h3"].to_numpy(dtype=np.uint64))))
    gpd.GeoDataFrame(
        {"kantong_id": ["K-uji"], "nomor": [1], "sel_h3": [",".join(cells)]},
        geometry=[Point(110, -7)],
        crs=4326,
    ).to_file(run / "pockets.geojson")
    r = _run(
        [
            "uji-petik",
            "sample",
            "--keluarga",
            folder / "keluarga.parquet",
            "--boundaries",
            folder / "desa.geojson",
            "--seed",
            4,
            "--per-desa",
            2,
            "--maks-bendera",
            1000,
            "--format",
            "csv",
            "--hasil",
            run,
            "--out",
            folder / "sampel_hasil",
        ]
    )
    assert r.exit_code == 0, r.output
    daftar = F.SampleStore(folder / "sampel_hasil").sample().daftar
    flagged = daftar[daftar["urutan_bendera"].notna()].sort_values("urutan_bendera")
    geo = located[(flags["n_alasan"] > 0) & (located["h3"] != 0)]
    members = geo[np.isin(cells_to_str(geo["h3"].to_numpy(dtype=np.uint64)), cells)]
    n = len(members)
    assert n >= len(pick) > 0
    assert set(flagged["id_keluarga"].iloc[:n]) == set(members["id_keluarga"])  # pocket first
    assert (flagged["kantong"].iloc[:n] == "K-uji").all()
    rest = flagged.iloc[n:]
    assert rest["peringkat_desa"].is_monotonic_increasing
    assert rest["kode_desa"].iloc[0] == codes[-1]  # rank 1
