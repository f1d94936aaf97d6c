"""Round trip on both backends: boundaries and families imported, analysed from the database,
results stored and reloaded give the numbers of the file-based pipeline. Plus scopes,
users, API keys and the audit log of the repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.db import make_session_factory, session_scope
from geo_service.db.repo import (
    Scope,
    analysis_inputs,
    append_audit,
    audit_entries,
    create_api_key,
    create_user,
    fail_run,
    get_run,
    keluarga_frame,
    list_runs,
    load_run,
    load_run_table,
    revoke_api_key,
    save_run,
    start_run,
    user_for_api_key,
    user_scope,
)
from geo_service.errors import AccessDeniedError, InvalidInputError, NotFoundError
from geo_service.io.boundaries import read_boundaries
from geo_service.io.keluarga import read_keluarga
from geo_service.services.imports import import_boundaries, import_keluarga
from tests.services.test_imports import KENDAL

KAB, PERIODE = "33.24", "2025-03"
MINE, OTHERS = Scope.of(KAB), Scope.of("33.20")


@pytest.fixture
def analysed(db_engine, db_settings, kendal_keluarga):
    """Imported Kendal, the DB-based and the file-based results."""
    import_boundaries(db_engine, KENDAL, settings=db_settings)
    import_keluarga(db_engine, kendal_keluarga["parquet"], periode=PERIODE, settings=db_settings)
    params = AnalysisParams(h3_resolution=8)
    file_based = compute_indicators(
        read_keluarga(kendal_keluarga["parquet"]), read_boundaries(KENDAL), params
    )
    factory = make_session_factory(db_engine)
    with factory() as s:
        inputs = analysis_inputs(s, KAB, PERIODE, scope=MINE)
    from_db = compute_indicators(None, inputs.desa, params, validation=inputs.validation)
    return {
        "engine": db_engine,
        "factory": factory,
        "inputs": inputs,
        "db": from_db,
        "file": file_based,
    }


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


def _same_shapes(a: gpd.GeoSeries, b: gpd.GeoSeries) -> bool:
    return bool(np.all(shapely.equals(a.to_numpy(), b.to_numpy())))


def test_analysis_from_db_equals_file_based(analysed):
    db, file = analysed["db"], analysed["file"]
    for name in ["desa", "kecamatan", "kabupaten", "h3"]:
        pd.testing.assert_frame_equal(
            _plain(getattr(db, name)), _plain(getattr(file, name)), obj=name
        )
    assert _same_shapes(db.desa.geometry, file.desa.geometry)
    assert (
        int(db.kabupaten["n_keluarga"].iloc[0])
        + int(db.kabupaten["n_keluarga_di_luar_batas"].iloc[0])
        == 20_000
    )
    cols = [
        "id_keluarga",
        "kode_desa_lokasi",
        "status_lokasi",
        "lokasi_tidak_sesuai",
        "h3",
        "ekstrem",
    ]
    pd.testing.assert_frame_equal(db.keluarga[cols], file.keluarga[cols])
    assert analysed["inputs"].sumber["n_keluarga"] == 20_000


def _pockets() -> gpd.GeoDataFrame:
    """A stand-in for the pocket frame being built elsewhere: ids, lists, dicts, polygons."""
    return gpd.GeoDataFrame(
        {
            "id_kantong": ["K-001", "K-002"],
            "sel": [["881f1d4a1bfffff", "881f1d4a1dfffff"], ["881f1d4a13fffff"]],
            "desa": [{"33.24.01.2001": 0.75, "33.24.01.2002": 0.25}, {"33.24.02.2001": 1.0}],
            "n_jiwa_ekstrem": np.array([120, 45], dtype=np.int64),
            "pct_jiwa_ekstrem": [31.5, np.nan],
            "gi_z": np.array([4.2, 3.1], dtype=np.float32),
            "signifikan": [True, False],
        },
        geometry=[shapely.box(110.0, -7.0, 110.01, -6.99), shapely.box(110.1, -7.1, 110.11, -7.09)],
        crs=4326,
    )


def test_results_stored_and_reloaded_unchanged(analysed):
    db = analysed["db"]
    prioritas = pd.DataFrame(
        {
            "kode_desa": db.desa["kode_desa"].head(5).to_numpy(),
            "peringkat": np.arange(1, 6),
            "skor": np.linspace(0.9, 0.5, 5),
            "kuadran": ["I", "I", "II", "III", "IV"],
            "h3_induk": np.array([613196570331971583] * 5, dtype=np.uint64),
        }
    )
    with session_scope(analysed["factory"]) as s:
        run_id = save_run(
            s,
            kode_kab=KAB,
            periode=PERIODE,
            result=db,
            scope=MINE,
            seed=7,
            extra={"kantong": _pockets(), "prioritas": prioritas},
            sumber=analysed["inputs"].sumber,
        )
    with analysed["factory"]() as s:
        runs = list_runs(s, scope=MINE)
        stored = load_run(s, run_id, scope=MINE)
    assert [r.id for r in runs] == [run_id]
    info = runs[0]
    assert info.status == "selesai" and info.seed == 7 and info.versi
    assert info.parameter["h3_resolution"] == 8
    assert info.tabel == ["desa", "kecamatan", "kabupaten", "h3", "kantong", "prioritas"]
    assert info.ringkasan["n_jiwa_ekstrem"] == int(db.kabupaten["n_jiwa_ekstrem"].iloc[0])
    assert info.sumber["batch_keluarga"] == analysed["inputs"].batch_id
    file = analysed["file"]
    for name in ["desa", "kecamatan", "kabupaten", "h3"]:
        pd.testing.assert_frame_equal(_plain(stored[name]), _plain(getattr(file, name)), obj=name)
        assert list(stored[name].columns) == list(getattr(db, name).columns)
    assert isinstance(stored["desa"], gpd.GeoDataFrame) and stored["desa"].crs.to_epsg() == 4326
    assert _same_shapes(stored["desa"].geometry, file.desa.geometry)
    assert _same_shapes(stored["h3"].geometry, file.h3.geometry)
    pd.testing.assert_frame_equal(_plain(stored["kantong"]), _plain(_pockets()))
    assert _same_shapes(stored["kantong"].geometry, _pockets().geometry)
    pd.testing.assert_frame_equal(stored["prioritas"], prioritas)


def test_runs_are_scoped_and_failures_recorded(analysed):
    with session_scope(analysed["factory"]) as s:
        run_id = start_run(
            s, kode_kab=KAB, periode=PERIODE, parameter={"h3_resolution": 8}, scope=MINE
        )
        fail_run(s, run_id, "Contoh kegagalan", scope=MINE)
        with pytest.raises(AccessDeniedError):
            start_run(s, kode_kab=KAB, periode=PERIODE, parameter={}, scope=OTHERS)
    with analysed["factory"]() as s:
        assert get_run(s, run_id, scope=MINE).status == "gagal"
        assert list_runs(s, scope=OTHERS) == []
        with pytest.raises(NotFoundError):
            load_run(s, run_id, scope=OTHERS)
        with pytest.raises(NotFoundError):
            load_run_table(s, run_id, "desa", scope=MINE)
        with pytest.raises(AccessDeniedError):
            keluarga_frame(s, KAB, PERIODE, scope=OTHERS)
        with pytest.raises(NotFoundError):
            keluarga_frame(s, KAB, "2024-09", scope=MINE)
        with pytest.raises(AccessDeniedError):
            analysis_inputs(s, KAB, PERIODE, scope=OTHERS)


def test_users_api_keys_and_audit(db_engine):
    factory = make_session_factory(db_engine)
    with session_scope(factory) as s:
        ana = create_user(s, "ana", "analis", kabupaten=["33.24", "33.20"])
        key = create_api_key(s, ana.id, "laptop kantor")
        old = create_api_key(s, ana.id, "lama", kedaluwarsa=datetime.now(UTC) - timedelta(days=1))
        with pytest.raises(InvalidInputError):
            create_user(s, "budi", "raja", kabupaten=["33.24"])
        with pytest.raises(InvalidInputError):
            create_user(s, "citra", "opd", kabupaten=["3324"])
        append_audit(
            s,
            aksi="baca_keluarga",
            objek="keluarga",
            pengguna_id=ana.id,
            aktor="ana",
            kode_kab="33.24",
            periode=PERIODE,
            n_baris=20_000,
            rincian={"format": "csv"},
        )
        append_audit(s, aksi="impor", objek="batas", aktor="admin", kode_kab="16.04")
    with session_scope(factory) as s:
        user = user_for_api_key(s, key)
        assert user is not None and user.nama_pengguna == "ana"
        assert user_scope(user) == Scope.of("33.20", "33.24")
        assert user_for_api_key(s, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert user_for_api_key(s, old) is None
        assert user_for_api_key(s, "bukan-kunci") is None
        revoke_api_key(s, key.split("_")[1])
    with session_scope(factory) as s:
        assert user_for_api_key(s, key) is None
        mine = audit_entries(s, scope=MINE)
        every = audit_entries(s, scope=Scope.all())
    assert mine[["aksi", "n_baris"]].values.tolist() == [["baca_keluarga", 20_000]]
    assert len(every) == 2
    with db_engine.connect() as conn:
        hashes = conn.exec_driver_sql("SELECT hash FROM kunci_api").scalars().all()
    assert key not in hashes and all(len(h) == 64 for h in hashes)
