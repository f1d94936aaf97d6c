"""`generate` and `analyse` for a kabupaten that is only in a national-style layer."""

import json

import pandas as pd
from typer.testing import CliRunner

from geo_service.cli import app
from tests.analysis.test_boundaries import BORDER_LAYER

runner = CliRunner()


def test_generate_and_analyse_kota_mataram_from_a_national_layer(tmp_path):
    fam = tmp_path / "mataram.parquet"
    r = runner.invoke(
        app,
        ["generate", "--kabupaten", "52.71", "--boundaries", str(BORDER_LAYER)]
        + ["--keluarga", "2000", "--out", str(fam)],
    )
    assert r.exit_code == 0, r.output
    truth = json.loads((tmp_path / "mataram.parquet.truth.json").read_text())
    assert truth["kalibrasi"]["bawaan"] is True
    rows = pd.read_parquet(fam)
    assert len(rows) == 2000 and set(rows["kode_desa"].str[:5]) == {"52.71"}

    out = tmp_path / "hasil"
    r = runner.invoke(
        app,
        ["analyse", "--kabupaten", "52.71", "--boundaries", str(BORDER_LAYER)]
        + ["--keluarga", str(fam), "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    desa = pd.read_csv(out / "desa.csv", dtype={"kode_desa": str})
    assert len(desa) == 10  # kec. Ampenan only, Ampenan Selatan repaired and counted
    assert desa.loc[desa["kode_desa"] == "52.71.01.1004", "n_keluarga"].iloc[0] > 0
    assert "Traceback" not in r.output


def test_kabupaten_without_bundled_boundaries_names_the_national_layer(tmp_path):
    r = runner.invoke(
        app, ["generate", "--kabupaten", "94.01", "--out", str(tmp_path / "x.parquet")]
    )
    assert r.exit_code != 0
    assert "indonesia_desa.parquet" in r.output


def test_batch_prepares_a_national_layer_and_writes_national_pockets(tmp_path):
    fam_dir = tmp_path / "keluarga"
    for kab in ("11.72", "52.71"):
        r = runner.invoke(
            app,
            ["generate", "--kabupaten", kab, "--boundaries", str(BORDER_LAYER)]
            + ["--keluarga", "1500", "--kantong", "1", "--out", str(fam_dir / f"{kab}.parquet")],
        )
        assert r.exit_code == 0, r.output
    out = tmp_path / "hasil"
    r = runner.invoke(
        app,
        ["batch", "--keluarga", str(fam_dir), "--boundaries", str(BORDER_LAYER)]
        + ["--out", str(out), "--prepare", "--workers", "1", "--permutasi", "99"],
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (out / "_batas" / "indeks").glob("*.npz")) == [
        f"{k}.npz" for k in ("11.06", "11.72", "52.71", "53.14", "91.11", "93.01")
    ]
    summary = pd.read_csv(out / "ringkasan_nasional.csv", dtype={"kode_kab": str})
    assert list(summary["kode_kab"]) == ["11.72", "52.71", "TOTAL"]
    assert summary["indeks_tersimpan"].iloc[:2].astype(bool).all()
    assert (out / "kantong_nasional.parquet").exists()
    assert not (out / "kabupaten_gagal.csv").exists()
