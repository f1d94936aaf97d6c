"""The Dask batch path gives the same tables as the single-process analysis."""

import geopandas as gpd
import pandas as pd
import pytest

from geo_service.analysis import compute_indicators
from geo_service.io.boundaries import read_bps
from geo_service.io.export import write_csv
from geo_service.services.analysis_run import RunParams
from geo_service.services.batch import (
    national_summary,
    read_kabupaten_desa,
    run_batch,
    split_by_kabupaten,
)
from geo_service.synth import calibration_from_bps, generate_keluarga
from tests.fixtures import DATA

KABUPATEN = {"33.24": "kendal", "33.20": "jepara"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    layers = [
        gpd.read_file(DATA / "boundaries" / f"desa_{k}_{n}.geojson") for k, n in KABUPATEN.items()
    ]
    boundaries = root / "desa.parquet"
    pd.concat(layers, ignore_index=True).to_parquet(boundaries)
    bps = read_bps(DATA)
    frames = []
    for i, kab in enumerate(KABUPATEN):
        desa = read_kabupaten_desa(boundaries, kab)
        frames.append(
            generate_keluarga(
                desa,
                calibration_from_bps(bps, kab),
                n_keluarga=4000,
                periode="2025-03",
                seed=10 + i,
                kantong=1,
                rusak=1,
            ).keluarga
        )
    everyone = root / "semua.parquet"
    pd.concat(frames, ignore_index=True).to_parquet(everyone, index=False)
    fam_dir = root / "keluarga"
    split = split_by_kabupaten(everyone, fam_dir, batch_rows=1500)
    return boundaries, fam_dir, split, frames


def test_split_streams_rows_to_one_file_per_kabupaten(inputs):
    _, _, split, frames = inputs
    assert sorted(split) == sorted([*KABUPATEN, "_lainnya"])
    for kab, frame in zip(KABUPATEN, frames, strict=True):
        back = pd.read_parquet(split[kab])
        mine = frame["kode_desa"].astype(str).str.startswith(kab + ".")
        assert len(back) == mine.sum()
        assert set(back["id_keluarga"]) == set(frame.loc[mine, "id_keluarga"])
    lainnya = pd.read_parquet(split["_lainnya"])
    assert len(lainnya) + sum(len(pd.read_parquet(split[k])) for k in KABUPATEN) == sum(
        len(f) for f in frames
    )


def test_dask_batch_equals_single_process(inputs, tmp_path):
    boundaries, fam_dir, split, _ = inputs
    done = []
    result = run_batch(
        fam_dir,
        boundaries,
        tmp_path / "hasil",
        prefix="33",
        processes=False,
        n_workers=2,
        params=RunParams(kantong=False, partial=True),
        data_dir=DATA,
        on_done=lambda k, row: done.append(k),
    )
    assert result.failed == {}
    assert result.unassigned_rows == len(pd.read_parquet(split["_lainnya"]))
    assert sorted(done) == sorted(KABUPATEN)
    for kab in KABUPATEN:
        single = compute_indicators(
            pd.read_parquet(split[kab]), read_kabupaten_desa(boundaries, kab)
        )
        want = tmp_path / f"single-{kab}"
        want.mkdir()
        for name in ("desa", "kecamatan", "kabupaten", "h3"):
            write_csv(getattr(single, name), want / f"{name}.csv")
            got = (tmp_path / "hasil" / kab / f"{name}.csv").read_bytes()
            assert got == (want / f"{name}.csv").read_bytes(), (kab, name)
    summary = pd.read_csv(tmp_path / "hasil" / "ringkasan_nasional.csv", dtype={"kode_kab": str})
    assert list(summary["kode_kab"]) == ["33.20", "33.24", "TOTAL"]
    kab_rows = summary[summary["kode_kab"] != "TOTAL"]
    total = summary[summary["kode_kab"] == "TOTAL"].iloc[0]
    assert total["n_jiwa"] == kab_rows["n_jiwa"].sum()
    assert total["n_baris_ditolak"] > 0  # the --rusak rows are reported, not analysed
    assert (tmp_path / "hasil" / "33.24" / "map.html").exists()  # the files of `analyse`


def test_rejected_rows_fail_the_kabupaten_unless_partial(inputs, tmp_path):
    """The batch takes the run's defaults: rejected rows stop a kabupaten (as `analyse`
    does) and leave their report; the other kabupaten go on."""
    boundaries, fam_dir, _, _ = inputs
    result = run_batch(
        fam_dir,
        boundaries,
        tmp_path / "hasil",
        prefix="33.24",
        processes=False,
        n_workers=1,
        params=RunParams(kantong=False),
        data_dir=DATA,
    )
    assert list(result.failed) == ["33.24"] and "ditolak" in result.failed["33.24"]
    report = pd.read_csv(tmp_path / "hasil" / "33.24-validation.csv", encoding="utf-8-sig")
    assert len(report) >= 9


def test_national_summary_recomputes_the_rate():
    rows = [
        {"kode_kab": "33.24", "nama_kab": "A", "n_jiwa": 100, "n_jiwa_ekstrem": 10},
        {"kode_kab": "33.20", "nama_kab": "B", "n_jiwa": 300, "n_jiwa_ekstrem": 10},
    ]
    total = national_summary(rows).iloc[-1]
    assert total["pct_jiwa_ekstrem"] == pytest.approx(5.0)
    assert national_summary([]).empty
