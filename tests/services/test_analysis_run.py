"""Issue 10 acceptance: one analysis run behind four adapters.

The same families and parameters go through ``geo-service analyse`` (files),
``geo-service analyse --db``, ``POST /analisis`` (TestClient) and the Dask batch
(in-process); the written files and the stored tables must be byte-identical.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo_service.api import create_app
from geo_service.cli import app
from geo_service.db import make_engine
from geo_service.db import repo as R
from geo_service.io.export import write_csv, write_geojson
from geo_service.io.keluarga import write_keluarga
from geo_service.services.analysis_run import RUN_DEFAULTS, RunParams, stored_tables
from geo_service.services.batch import run_batch
from geo_service.settings import get_settings
from geo_service.synth import generate_keluarga
from tests.fixtures import DATA, KENDAL_DESA
from tests.fixtures.settings import make_settings

KAB, PERIODE = "33.24", "2025-03"
# Low permutations and a small pocket size keep the test to seconds on 5,000 families;
# the same values go to every adapter.
OPTIONS = {"seed": 5, "permutasi": 199, "min_jiwa_kantong": 30}
FILES = (
    "priorities.csv",
    "pockets.geojson",
    "opd_targets.csv",
    "coverage.csv",
    "pocket_desa.csv",
    "needs_desa.csv",
    "desa.csv",
    "h3.csv",
    "kecamatan.csv",
    "kabupaten.csv",
)
STORED = ("kantong", "prioritas", "target_opd", "cakupan", "h3_gi", "desa", "h3", "kabupaten")


def _cli_options() -> list[str]:
    return [x for k, v in OPTIONS.items() for x in (f"--{k.replace('_', '-')}", str(v))]


def _ok(runner: CliRunner, *args) -> str:
    r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def _as_bytes(frame: pd.DataFrame, folder: Path, name: str) -> bytes:
    """A stored table written with the writers of the files (GeoJSON for geometries)."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, gpd.GeoDataFrame):
        path = folder / f"{name}.geojson"
        flat = frame.copy()
        for col in flat.columns:
            if col != flat.geometry.name and flat[col].map(lambda v: isinstance(v, list)).any():
                flat[col] = flat[col].map(lambda v: ",".join(map(str, v)))
        write_geojson(flat, path)
    else:
        path = folder / f"{name}.csv"
        write_csv(frame, path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, kendal_desa, kendal_calib):
    """The four runs over one Kendal file; returns their folders and stored tables."""
    root = tmp_path_factory.mktemp("satu_analisis")
    desa = kendal_desa
    fam = generate_keluarga(
        desa,
        kendal_calib,
        n_keluarga=5_000,
        periode=PERIODE,
        seed=21,
        kantong=3,
    ).keluarga
    fam_file = write_keluarga(fam, root / "keluarga" / f"{KAB}.parquet")
    db_url = f"sqlite:///{root / 'geo.sqlite'}"
    data_dir = root / "data"
    data_dir.mkdir()
    shutil.copy(DATA / "opd_programmes.csv", data_dir)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEO_DATABASE_URL", db_url)
        get_settings.cache_clear()
        try:
            runner = CliRunner()
            # 1. Files.
            _ok(runner, "analyse", "--kabupaten", KAB, "--keluarga", fam_file,
                "--out", root / "berkas", *_cli_options())  # fmt: skip
            # 2. Database: the real import, then analyse --db.
            _ok(runner, "db", "upgrade")
            _ok(runner, "import", "batas", KENDAL_DESA)
            _ok(runner, "import", "keluarga", fam_file, "--periode", PERIODE)
            _ok(runner, "analyse", "--db", "--kabupaten", KAB, "--periode", PERIODE,
                "--out", root / "basis_data", *_cli_options())  # fmt: skip
            cli_params = RunParams.from_settings(
                get_settings(),
                seed=OPTIONS["seed"],
                permutations=OPTIONS["permutasi"],
                min_jiwa_kantong=OPTIONS["min_jiwa_kantong"],
            )
        finally:
            get_settings.cache_clear()

    # 3. The API on the same database (a user of the kabupaten, through the TestClient).
    settings = make_settings(data_dir=data_dir, database_url=db_url)
    engine = make_engine(settings=settings)
    with Session(engine) as s:
        user = R.create_user(s, "analis", "analis", kabupaten=[KAB])
        key = R.create_api_key(s, user.id, "kunci uji")
        s.commit()
    with TestClient(create_app(settings)) as client:
        r = client.post(
            "/analisis",
            json={"kode_kab": KAB, "periode": PERIODE, **OPTIONS},
            headers={"X-API-Key": key},
        )
        assert r.status_code == 202, r.text
        api_id = r.json()["id"]
        client.app.state.runs.wait(api_id, timeout=300)
    db_id = json.loads((root / "basis_data" / "run.json").read_text())["id_analisis"]
    with Session(engine) as s:
        api_run = R.load_run(s, api_id, scope=R.Scope.all(), tables=STORED)
        db_run = R.load_run(s, db_id, scope=R.Scope.all(), tables=STORED)
    engine.dispose()

    # 4. The Dask batch, in-process (threads), over a GeoParquet of the same desa.
    layer = root / "desa.parquet"
    gpd.read_file(KENDAL_DESA).to_parquet(layer)
    batch = run_batch(
        root / "keluarga",
        layer,
        root / "batch",
        prefix=KAB,
        processes=False,
        n_workers=1,
        params=cli_params,
        data_dir=data_dir,
    )
    assert batch.failed == {}
    return {
        "folders": {
            "analyse": root / "berkas",
            "analyse --db": root / "basis_data",
            "batch": root / "batch" / KAB,
        },
        "stored": {"analyse --db": db_run, "POST /analisis": api_run},
        "params": cli_params,
        "root": root,
    }


def test_the_runs_find_pockets(runs):
    """Not a vacuous comparison: pockets and a full priority list exist."""
    pockets = gpd.read_file(runs["folders"]["analyse"] / "pockets.geojson")
    priorities = pd.read_csv(runs["folders"]["analyse"] / "priorities.csv", encoding="utf-8-sig")
    assert len(pockets) >= 1
    assert len(priorities) > 100 and priorities["peringkat"].is_unique


@pytest.mark.parametrize("name", FILES)
def test_written_files_are_byte_identical(runs, name):
    folders = runs["folders"]
    want = (folders["analyse"] / name).read_bytes()
    for adapter in ("analyse --db", "batch"):
        assert (folders[adapter] / name).read_bytes() == want, (adapter, name)


@pytest.mark.parametrize("table", STORED)
def test_stored_tables_are_byte_identical(runs, table, tmp_path):
    cli = _as_bytes(runs["stored"]["analyse --db"][table], tmp_path / "cli", table)
    api = _as_bytes(runs["stored"]["POST /analisis"][table], tmp_path / "api", table)
    assert cli == api, table


def test_stored_priorities_equal_the_written_file(runs):
    """The API's stored priority list is the file of `analyse` (values, order, columns)."""
    stored = runs["stored"]["POST /analisis"]["prioritas"]
    written = pd.read_csv(
        runs["folders"]["analyse"] / "priorities.csv",
        encoding="utf-8-sig",
        dtype={c: str for c in stored.columns if stored[c].dtype == object},
    )
    assert list(written.columns) == list(stored.columns)
    assert written["kode_desa"].tolist() == stored["kode_desa"].tolist()
    pd.testing.assert_series_equal(
        written["peringkat"].astype("Int64"), stored["peringkat"].astype("Int64"), check_names=False
    )
    pd.testing.assert_series_equal(
        written["skor"], stored["skor"].astype(float), check_names=False, rtol=1e-12
    )


def test_every_adapter_records_the_same_parameters(runs):
    """One set of defaults: the stored parameters of the API and CLI runs are equal, and the
    files record the same parameters."""
    api = runs["stored"]["POST /analisis"].info
    cli = runs["stored"]["analyse --db"].info
    # Generated families: both record ``sintetis`` (learnt from the data, not an option).
    expected = runs["params"].stored_parameter() | {"sintetis": True}
    assert api.parameter == cli.parameter == expected
    assert api.seed == cli.seed == OPTIONS["seed"]
    for adapter, folder in runs["folders"].items():
        record = json.loads((folder / "run.json").read_text())
        assert record["parameter"] == runs["params"].record(), adapter
        assert record["perencanaan"]["parameter"]["permutations"] == OPTIONS["permutasi"]


def test_defaults_are_one_object():
    """The API request, the CLI options and the batch take their defaults from RUN_DEFAULTS."""
    from geo_service.api.schemas import AnalysisRequest
    from geo_service.settings import AnalysisSettings

    req = AnalysisRequest(kode_kab=KAB, periode=PERIODE)
    assert req.run_params(AnalysisSettings()) == RUN_DEFAULTS
    assert RUN_DEFAULTS.permutations == 999 and RUN_DEFAULTS.seed == 7
    assert stored_tables(None) == {}
