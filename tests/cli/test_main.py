import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo_service.cli import app

runner = CliRunner()
CODES = {
    "kolom_wajib_kosong",
    "desil_di_luar_rentang",
    "kode_desa_salah_format",
    "kode_desa_tidak_dikenal",
    "jumlah_art_tidak_valid",
    "koordinat_di_luar_indonesia",
    "koordinat_tertukar",
    "id_keluarga_ganda",
    "periode_salah_format",
}


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    good, bad = d / "good.csv", d / "bad.parquet"
    r = _run("generate", "--kabupaten", "33.24", "--keluarga", 8000, "--seed", 3, "--out", good)
    assert r.exit_code == 0, r.output
    r = _run(
        "generate",
        "--kabupaten",
        "33.24",
        "--keluarga",
        4000,
        "--seed",
        4,
        "--rusak",
        1,
        "--out",
        bad,
    )
    assert r.exit_code == 0, r.output
    return d, good, bad


def test_generate_writes_rows_and_truth(files):
    d, good, _ = files
    frame = pd.read_csv(good, dtype=str)
    assert len(frame) == 8000
    truth = json.loads((d / "good.csv.truth.json").read_text())
    assert truth["seed"] == 3 and truth["jumlah"]["keluarga"] == 8000


def test_analyse_writes_every_output(files):
    d, good, _ = files
    out = d / "hasil"
    r = _run("analyse", "--kabupaten", "33.24", "--keluarga", good, "--out", out, "--h3-res", 9)
    assert r.exit_code == 0, r.output
    names = {p.name for p in out.iterdir()}
    assert {
        "desa.geojson",
        "desa.csv",
        "h3.geojson",
        "h3.csv",
        "validation.csv",
        "map.html",
        "kecamatan.csv",
        "kabupaten.csv",
        "run.json",
        "pockets.geojson",
        "priorities.csv",
        "priorities.xlsx",
        "opd_targets.csv",
        "coverage.csv",
    } <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary leftovers
    raw = (out / "desa.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel-ready UTF-8 BOM
    desa = pd.read_csv(out / "desa.csv", encoding="utf-8-sig", dtype={"kode_desa": str})
    assert len(desa) == 286
    run = json.loads((out / "run.json").read_text())
    assert run["parameter"]["h3_resolution"] == 9
    assert run["validasi"]["baris_ditolak"] == 0
    h3 = pd.read_csv(out / "h3.csv", encoding="utf-8-sig")
    assert (h3["resolusi"] == 9).all()
    assert "Kendal" in r.output
    assert run["perencanaan"]["seed"] == 7
    assert (out / "priorities.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pri = pd.read_csv(out / "priorities.csv", encoding="utf-8-sig")
    assert len(pri) == (desa["n_keluarga"] > 0).sum() and pri["alasan"].notna().all()
    sheets = pd.read_excel(out / "priorities.xlsx", sheet_name=None)
    assert list(sheets) == ["Prioritas", "Metode", "Keterangan kolom"]
    assert len(sheets["Prioritas"]) == len(pri)
    # Headers from the catalogue, explained on the last sheet.
    assert {"Peringkat", "Kode desa", "% jiwa ekstrem"} <= set(sheets["Prioritas"].columns)
    assert "peringkat" in set(sheets["Keterangan kolom"]["Nama teknis"])


def test_same_seed_gives_byte_identical_tables(files):
    d, good, _ = files
    outs = []
    for name in ("s1", "s2"):
        r = _run(
            "analyse",
            "--kabupaten",
            "33.24",
            "--keluarga",
            good,
            "--out",
            d / name,
            "--seed",
            5,
            "--permutasi",
            199,
        )
        assert r.exit_code == 0, r.output
        outs.append(d / name)
    for f in (
        "desa.csv",
        "h3.csv",
        "priorities.csv",
        "coverage.csv",
        "opd_targets.csv",
        "pockets.geojson",
    ):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


def test_bad_file_fails_and_leaves_no_output(files):
    d, _, bad = files
    out = d / "gagal"
    r = _run("analyse", "--kabupaten", "33.24", "--keluarga", bad, "--out", out)
    assert r.exit_code == 2
    assert not out.exists()
    assert "ditolak" in r.output and "--partial" in r.output
    report = pd.read_csv(d / "gagal-validation.csv", encoding="utf-8-sig")
    assert set(report["kode_alasan"]) == CODES
    assert report[["baris", "kolom", "nilai"]].notna().all().all() or True
    assert report["baris"].notna().all() and report["kolom"].notna().all()


def test_partial_analyses_valid_rows_and_keeps_rejected(files):
    d, _, bad = files
    out = d / "sebagian"
    r = _run("analyse", "--kabupaten", "33.24", "--keluarga", bad, "--out", out, "--partial")
    assert r.exit_code == 0, r.output
    report = pd.read_csv(out / "validation.csv", encoding="utf-8-sig")
    assert set(report["kode_alasan"]) == CODES
    run = json.loads((out / "run.json").read_text())
    assert run["validasi"]["baris_ditolak"] >= 9
    assert (
        run["kabupaten"]["n_keluarga"] + run["lokasi"]["di_luar_batas"]
        == run["validasi"]["baris_sah"]
    )


def test_existing_output_survives_a_failed_run(files):
    d, good, bad = files
    out = d / "tetap"
    assert _run("analyse", "--kabupaten", "33.24", "--keluarga", good, "--out", out).exit_code == 0
    before = (out / "desa.csv").read_bytes()
    assert _run("analyse", "--kabupaten", "33.24", "--keluarga", bad, "--out", out).exit_code == 2
    assert (out / "desa.csv").read_bytes() == before


def test_unknown_kabupaten_and_bad_extension_give_clear_errors(files, tmp_path):
    d, good, _ = files
    r = _run("analyse", "--kabupaten", "99.99", "--keluarga", good, "--out", tmp_path / "x")
    assert r.exit_code == 2 and "99.99" in r.output and "33.24" in r.output
    r = _run("generate", "--kabupaten", "33.24", "--out", tmp_path / "x.txt")
    assert r.exit_code == 2 and ".csv" in r.output


def test_english_option(files):
    d, good, _ = files
    r = _run(
        "analyse", "--kabupaten", "33.24", "--keluarga", good, "--out", d / "en", "--lang", "en"
    )
    assert r.exit_code == 0
    assert re.search(r"families: [\d,]+", r.output)
    assert "Village" in (d / "en" / "map.html").read_text()


def test_meeting_pack_from_files_shows_target_progress(files):
    import pypdf

    d, good, _ = files
    out = d / "untuk_laporan"
    assert (
        _run(
            "analyse", "--kabupaten", "33.24", "--keluarga", good, "--out", out, "--tanpa-kantong"
        ).exit_code
        == 0
    )
    assert json.loads((out / "run.json").read_text())["periode"] == "2025-03"
    r = _run("report", "--kabupaten", "33.24", "--hasil", out, "--out", d / "laporan")
    assert r.exit_code == 0, r.output
    pdf = next((d / "laporan").glob("*.pdf"))
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages).split())
    assert "Capaian target" in text
    assert "target 0,00 % pada 2026" in text  # Kendal: extreme poverty 0 % by 2026
    assert "(2025-03)" in text  # this run is an observation of the target
