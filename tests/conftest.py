"""Shared fixtures. Keep this file small and documented; module-specific fixtures stay in
their test module.

Database fixtures run every storage test on BOTH backends for real:

- ``spatialite``: a fresh SQLite file in ``tmp_path`` with SpatiaLite loaded;
- ``postgis``: a fresh database on the PostgreSQL at 127.0.0.1:5432 (user ``postgres``,
  trust auth), created with ``CREATE EXTENSION postgis`` and dropped afterwards. If
  PostgreSQL or PostGIS is missing these tests FAIL; they are never skipped (a hook below
  also fails the run if any postgis test was skipped).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.fixtures.settings import make_settings

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
BACKENDS = ["spatialite", "postgis"]


def _pg_dsn(dbname: str) -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


@contextmanager
def postgis_database(prefix: str = "geo_test") -> Iterator[str]:
    """A fresh PostGIS database; yields its SQLAlchemy URL, drops it afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_dsn("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_pg_dsn(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(_pg_dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """URL of a fresh, empty spatial database, once per backend."""
    if request.param == "spatialite":
        yield f"sqlite:///{tmp_path / 'geo_service.sqlite'}"
    else:
        with postgis_database() as url:
            yield url


@pytest.fixture
def db_settings(tmp_path):
    """Settings built explicitly (a developer's .env cannot leak in)."""
    return make_settings(data_dir=tmp_path / "data", maps_dir=tmp_path / "maps")


@pytest.fixture
def db_engine(db_url, db_settings):
    """A migrated database (``geo-service db upgrade`` done), once per backend."""
    from geo_service.db import make_engine, upgrade

    engine = make_engine(db_url, settings=db_settings)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def kendal_desa():
    """Kendal's shipped desa boundaries, read once per session. Shared: never modify it in
    place (``.copy()`` first, or select rows into a new frame)."""
    from geo_service.io.boundaries import read_boundaries
    from tests.fixtures import KENDAL_DESA

    return read_boundaries(KENDAL_DESA)


@pytest.fixture(scope="session")
def kendal_calib():
    """The synthetic generator's calibration for Kendal from the shipped BPS figures."""
    from geo_service.io.boundaries import read_bps
    from geo_service.synth import calibration_from_bps
    from tests.fixtures import DATA

    return calibration_from_bps(read_bps(DATA), "33.24")


def kendal_kecamatan(desa, n: int):
    """The desa of the first ``n`` kecamatan (by code) of ``desa``, as a new frame."""
    kec = sorted(desa["kode_kec"].unique())[:n]
    return desa[desa["kode_kec"].isin(kec)].reset_index(drop=True)


@pytest.fixture(scope="session")
def kendal_keluarga(tmp_path_factory, kendal_desa, kendal_calib):
    """20,000 synthetic Kendal families (periode 2025-03, seed 11, 3 planted pockets) as
    Parquet and CSV: ``{"parquet": Path, "csv": Path, "frame": DataFrame}``."""
    from geo_service.io.keluarga import write_keluarga
    from geo_service.synth import generate_keluarga

    frame = generate_keluarga(
        kendal_desa, kendal_calib, n_keluarga=20_000, periode="2025-03", seed=11, kantong=3
    ).keluarga
    folder = tmp_path_factory.mktemp("keluarga")
    return {
        "parquet": write_keluarga(frame, folder / "keluarga_2025-03.parquet"),
        "csv": write_keluarga(frame, folder / "keluarga_2025-03.csv"),
        "frame": frame,
    }


@pytest.fixture(scope="session")
def kendal_sample(kendal_desa, kendal_calib):
    """The ground-check sample of Kendal's first kecamatan (1,500 families, seed 2, 6 per
    desa, at most 30 flagged): ``(desa, sample)``; shared by the db and io tests."""
    from geo_service.analysis import compute_indicators
    from geo_service.analysis import uji_petik as G
    from geo_service.synth import generate_keluarga

    desa = kendal_kecamatan(kendal_desa, 1)
    fam = generate_keluarga(desa, kendal_calib, n_keluarga=1500, periode="2025-03", seed=2)
    located = compute_indicators(fam.keluarga, desa).keluarga
    return desa, G.build_sample(located, G.SampleParams(seed=2, n_per_desa=6, maks_bendera=30))


_skipped_postgis: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and "postgis" in report.nodeid:
        _skipped_postgis.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped_postgis:
        print(
            f"\nPostGIS tests must run, {len(_skipped_postgis)} were skipped: "
            + ", ".join(_skipped_postgis[:5])
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
