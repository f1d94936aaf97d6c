"""The synthetic national data set: families shared by desa count, one file per kabupaten,
made once (a second call writes nothing), a sample with the sizes of the whole set."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo_service.services.batch_nasional import (
    MANIFEST,
    NationalSpec,
    desa_counts,
    families_per_kabupaten,
    generate_national,
    kabupaten_seed,
)
from tests.fixtures import DATA

KABUPATEN = {"33.24": "kendal", "33.20": "jepara"}


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    root = tmp_path_factory.mktemp("nasional")
    parts = [
        gpd.read_file(DATA / "boundaries" / f"desa_{k}_{n}.geojson") for k, n in KABUPATEN.items()
    ]
    path = root / "desa.parquet"
    pd.concat(parts, ignore_index=True).to_parquet(path)
    return path


def test_families_follow_the_desa_counts():
    shares = families_per_kabupaten({"a": 10, "b": 30, "c": 60}, 1001)
    assert sum(shares.values()) == 1001
    assert shares == {"a": 100, "b": 300, "c": 601} or shares == {"a": 100, "b": 301, "c": 600}
    assert families_per_kabupaten({"a": 1, "b": 1000}, 10) == {"a": 1, "b": 10}
    assert families_per_kabupaten({}, 5) == {}


def test_each_kabupaten_has_its_own_seed():
    assert kabupaten_seed(7, "33.24") != kabupaten_seed(7, "33.20")
    assert kabupaten_seed(7, "33.24") != kabupaten_seed(8, "33.24")


def test_national_set_is_written_per_kabupaten_and_once(layer, tmp_path):
    counts = desa_counts(layer)
    assert set(counts) == set(KABUPATEN) and all(v > 100 for v in counts.values())
    spec = NationalSpec(total=900, seed=3, kantong=0)
    written: list[str] = []
    manifest = generate_national(
        layer, tmp_path, spec, data_dir=DATA, on_done=lambda r: written.append(r["kode_kab"])
    )
    plan = families_per_kabupaten(counts, 900)
    assert sorted(written) == sorted(KABUPATEN)
    for kab in KABUPATEN:
        frame = pd.read_parquet(tmp_path / f"{kab}.parquet")
        assert len(frame) == plan[kab] == manifest["kabupaten"][kab]["n_keluarga"]
        assert frame["kode_desa"].str.startswith(kab + ".").all()
        assert (tmp_path / f"{kab}.truth.json").exists()
    assert (tmp_path / MANIFEST).exists()
    stamp = {k: (tmp_path / f"{k}.parquet").stat().st_mtime_ns for k in KABUPATEN}
    written.clear()
    generate_national(layer, tmp_path, spec, data_dir=DATA, on_done=lambda r: written.append(1))
    assert written == []  # made once: the second call finds everything written
    assert stamp == {k: (tmp_path / f"{k}.parquet").stat().st_mtime_ns for k in KABUPATEN}
    # Other parameters: the folder starts again.
    generate_national(layer, tmp_path, NationalSpec(total=400, seed=3, kantong=0), data_dir=DATA)
    assert sum(len(pd.read_parquet(tmp_path / f"{k}.parquet")) for k in KABUPATEN) == 400


def test_sample_has_the_sizes_of_the_whole_set(layer, tmp_path):
    spec = NationalSpec(total=900, seed=3, kantong=0)
    generate_national(layer, tmp_path / "semua", spec, data_dir=DATA)
    generate_national(layer, tmp_path / "contoh", spec, data_dir=DATA, only=["33.20"])
    assert not (tmp_path / "contoh" / "33.24.parquet").exists()
    whole = pd.read_parquet(tmp_path / "semua" / "33.20.parquet")
    sample = pd.read_parquet(tmp_path / "contoh" / "33.20.parquet")
    pd.testing.assert_frame_equal(whole, sample)  # same rows: same seed per kabupaten
