"""Per-kabupaten boundary indexes built once as cluster tasks and stored; the batch task
uses a stored index only when it belongs to the same desa."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo_service.io.boundaries import read_index
from geo_service.services.analysis_run import RunParams
from geo_service.services.batch import analyse_kabupaten, read_kabupaten_desa, store_index
from geo_service.synth import calibration_for, generate_keluarga
from tests.fixtures import DATA, KENDAL_DESA


def test_index_is_built_once_and_used(tmp_path):
    layer = tmp_path / "desa.parquet"
    gpd.read_file(KENDAL_DESA).to_parquet(layer)
    first = store_index(layer, "33.24", tmp_path / "indeks")
    assert first["dibangun"] is True and (tmp_path / "indeks" / "33.24.npz").exists()
    again = store_index(layer, "33.24", tmp_path / "indeks")
    assert again["dibangun"] is False  # stored: not built a second time
    stored = read_index(tmp_path / "indeks", "33.24")
    assert stored is not None and stored.table is not None  # with the block table

    desa = read_kabupaten_desa(layer, "33.24")
    fam = generate_keluarga(
        desa,
        calibration_for(pd.DataFrame({"kode": []}), "33.24"),
        n_keluarga=800,
        periode="2025-03",
        seed=1,
    ).keluarga
    (tmp_path / "keluarga").mkdir()
    fam.to_parquet(tmp_path / "keluarga" / "33.24.parquet", index=False)
    files = [tmp_path / "keluarga" / "33.24.parquet"]
    params = RunParams(kantong=False, partial=True)
    row = analyse_kabupaten(
        "33.24", files, layer, tmp_path / "hasil", params, DATA, index_dir=tmp_path / "indeks"
    )
    assert row["indeks_tersimpan"] is True and row["n_baris"] == 800
    assert row["detik_cpu"] > 0 and row["rss_puncak_mb"] > 0

    # An index of other desa (one desa moved away) is never used, and is rebuilt.
    moved = gpd.read_file(KENDAL_DESA)
    moved.loc[0, "geometry"] = moved.loc[1, "geometry"].buffer(-0.001)
    moved.to_parquet(layer)
    row = analyse_kabupaten(
        "33.24", files, layer, tmp_path / "hasil2", params, DATA, index_dir=tmp_path / "indeks"
    )
    assert row["indeks_tersimpan"] is False
    assert store_index(layer, "33.24", tmp_path / "indeks")["dibangun"] is True
    assert read_index(tmp_path / "indeks", "33.24") is not None
