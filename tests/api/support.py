"""Shared set-up of the API tests: a migrated SpatiaLite database with two kabupaten
(Kendal 33.24 = "A", Jepara 33.20 = "B"), one finished run each, families of Kendal stored,
and users of every role. Built once per test process and copied per module.

Imported by the ``test_api_*`` modules (``from tests.api.support import ...``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.settings import Settings
from tests.conftest import postgis_database
from tests.fixtures.settings import make_settings

ROOT = Path(__file__).resolve().parents[2]
KAB_A, KAB_B = "33.24", "33.20"
PERIODE = "2025-03"
PASSWORD = "rahasia-uji-123"
USERS = {  # name: (role, kabupaten, kode_opd)
    "admin_a": ("admin", [KAB_A], None),
    "analis_a": ("analis", [KAB_A], None),
    "opd_a": ("opd", [KAB_A], "Dinsos"),
    "opd_dinkes_a": ("opd", [KAB_A], "Dinkes"),
    "publik_a": ("publik", [KAB_A], None),
    "analis_b": ("analis", [KAB_B], None),
    "publik_b": ("publik", [KAB_B], None),
}
N_KELUARGA = {KAB_A: 12_000, KAB_B: 6_000}


def test_support_module_builds_database(api_db):
    """The shared database has both kabupaten and a finished run for each."""
    from sqlalchemy import select

    from geo_service.db import models as M
    from geo_service.db.engine import make_engine

    engine = make_engine(settings=api_db.settings)
    with engine.connect() as conn:
        runs = conn.execute(select(M.AnalisisRun.kode_kab, M.AnalisisRun.status)).all()
    engine.dispose()
    assert sorted(r[0] for r in runs) == [KAB_B, KAB_A]
    assert {r[1] for r in runs} == {"selesai"}


@dataclass(frozen=True)
class ApiDb:
    settings: Settings
    path: Path
    api_keys: dict[str, str]
    n_desa: dict[str, int]


def _desa(kode_kab: str) -> gpd.GeoDataFrame:
    from geo_service.io.boundaries import boundary_files, read_boundaries

    return read_boundaries(boundary_files(ROOT / "data", kode_kab)["desa"])


def _multi(g):
    return g if g.geom_type == "MultiPolygon" else MultiPolygon([g])


def fake_planning(desa_ind: gpd.GeoDataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """Planning tables shaped like the planning stage's (used when it is not installed)."""
    rng = np.random.default_rng(seed)
    d = desa_ind.drop(columns="geometry").copy()
    kab_pct = d["n_jiwa_ekstrem"].sum() / max(d["n_jiwa"].sum(), 1) * 100
    kab_n = d["n_jiwa_ekstrem"].mean()
    hi_pct = d["pct_jiwa_ekstrem"].fillna(0) >= kab_pct
    hi_n = d["n_jiwa_ekstrem"] >= kab_n
    d["kuadran"] = np.select(
        [hi_pct & hi_n, hi_pct & ~hi_n, ~hi_pct & ~hi_n], ["I", "II", "III"], "IV"
    )
    d["skor"] = (
        d["n_jiwa_ekstrem"] / max(d["n_jiwa_ekstrem"].max(), 1)
        + d["pct_jiwa_ekstrem"].fillna(0) / 100
    ).round(4)
    d = d.sort_values("skor", ascending=False).reset_index(drop=True)
    d["peringkat"] = np.arange(1, len(d) + 1)
    d["alasan"] = [
        f"{n} jiwa miskin ekstrem; {p:.1f}% dari penduduk desa"
        for n, p in zip(d["n_jiwa_ekstrem"], d["pct_jiwa_ekstrem"].fillna(0), strict=True)
    ]
    prioritas = d[
        [
            "peringkat",
            "kode_desa",
            "nama_desa",
            "kode_kec",
            "nama_kec",
            "kuadran",
            "skor",
            "n_keluarga",
            "n_keluarga_ekstrem",
            "n_jiwa_ekstrem",
            "pct_jiwa_ekstrem",
            "alasan",
        ]
    ]
    opd = []
    for name, prog in (("Dinsos", "PKH"), ("Perkim", "RTLH")):
        for r in d.head(15).itertuples():
            opd.append(
                {
                    "opd": name,
                    "program": prog,
                    "kode_desa": r.kode_desa,
                    "nama_desa": r.nama_desa,
                    "n_keluarga_sasaran": int(rng.integers(0, r.n_keluarga_ekstrem + 1)),
                }
            )
    cakupan = d[["kode_desa", "nama_desa", "n_keluarga_ekstrem"]].copy()
    cakupan["n_ekstrem_tanpa_pkh"] = (cakupan["n_keluarga_ekstrem"] * 0.3).astype(int)
    cakupan["pct_exclusion_pkh"] = 30.0
    top = desa_ind.set_index("kode_desa").loc[d["kode_desa"].head(2)]
    kantong = gpd.GeoDataFrame(
        {
            "id_kantong": ["K01", "K02"],
            "nama_kec": top["nama_kec"].to_numpy(),
            "n_jiwa_ekstrem": top["n_jiwa_ekstrem"].to_numpy(),
        },
        geometry=shapely.buffer(top.geometry.to_numpy(), 0.002),
        crs=4326,
    )
    return {
        "kantong": kantong,
        "prioritas": prioritas,
        "target_opd": pd.DataFrame(opd),
        "cakupan": cakupan,
    }


def _planning(result, seed: int) -> dict[str, pd.DataFrame]:
    """The stored planning tables of the one analysis run (default parameters)."""
    from geo_service.analysis.planning import compute_planning
    from geo_service.services.analysis_run import RUN_DEFAULTS, read_programmes, stored_tables

    planning = compute_planning(
        result,
        RUN_DEFAULTS.planning_params(),
        seed=seed,
        programmes=read_programmes(ROOT / "data"),
    )
    return stored_tables(planning)


@lru_cache(maxsize=1)
def _template() -> tuple[Path, dict[str, str], dict[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="geo-api-template-"))
    # Only the process that made it removes it: forked children (Dask workers, fault-test
    # subprocesses) run atexit handlers too.
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))
    settings = make_settings(data_dir=folder, database_url=f"sqlite:///{folder / 'api.sqlite'}")
    keys, n_desa = build_database(settings)
    return folder, keys, n_desa


def build_database(settings: Settings) -> tuple[dict[str, str], dict[str, int]]:
    """Migrate the database of ``settings`` and fill it (both backends); returns the API keys
    per user and the number of desa per kabupaten."""
    from geoalchemy2.shape import from_shape
    from sqlalchemy import insert

    from geo_service.api.security import hash_password
    from geo_service.db import models as M
    from geo_service.db import repo as R
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import upgrade
    from geo_service.io.boundaries import read_bps
    from geo_service.synth import calibration_from_bps, generate_keluarga

    engine = make_engine(settings=settings)
    upgrade(engine)
    # Analysis runs read the need -> OPD table from the data folder.
    shutil.copy(ROOT / "data" / "opd_programmes.csv", settings.paths.data_dir)
    sessions = make_session_factory(engine)
    keys: dict[str, str] = {}
    n_desa: dict[str, int] = {}
    with sessions() as s:
        s.add(M.Provinsi(kode="33", nama="Jawa Tengah"))
        s.flush()
        for kab in (KAB_A, KAB_B):
            desa = _desa(kab)
            n_desa[kab] = len(desa)
            batch = M.ImporBatch(
                jenis=M.JENIS_BATAS,
                berkas=f"desa_{kab}.geojson",
                sha256=kab.replace(".", "") * 16,
                ukuran_byte=1,
                kode_kab=[kab],
                status=M.BATCH_SELESAI,
            )
            s.add(batch)
            s.flush()
            versi = M.BatasVersi(
                batch_id=batch.id,
                berkas=batch.berkas,
                sha256=batch.sha256,
                kode_kab=[kab],
                n_desa=len(desa),
            )
            s.add(versi)
            s.flush()
            s.add(
                M.Kabupaten(
                    kode=kab,
                    nama=desa["nama_kab"].iloc[0],
                    kode_prov="33",
                    versi_id=versi.id,
                    geom=from_shape(_multi(desa.union_all()), srid=4326),
                )
            )
            s.flush()
            for kode_kec, grp in desa.groupby("kode_kec"):
                s.add(
                    M.Kecamatan(
                        kode=kode_kec,
                        nama=grp["nama_kec"].iloc[0],
                        kode_kab=kab,
                        geom=from_shape(_multi(grp.union_all()), srid=4326),
                    )
                )
            s.flush()
            s.execute(
                insert(M.Desa),
                [
                    {
                        "kode": r.kode,
                        "nama": r.nama,
                        "jenis": r.jenis,
                        "kode_kec": r.kode_kec,
                        "kode_kab": kab,
                        "versi_id": versi.id,
                        "geom": from_shape(_multi(r.geometry), srid=4326),
                    }
                    for r in desa.itertuples()
                ],
            )
            calib = calibration_from_bps(read_bps(ROOT / "data"), kab)
            data = generate_keluarga(
                desa, calib, n_keluarga=N_KELUARGA[kab], periode=PERIODE, seed=11, kantong=2
            )
            result = compute_indicators(data.keluarga, desa, AnalysisParams())
            R.save_run(
                s,
                kode_kab=kab,
                periode=PERIODE,
                result=result,
                scope=R.Scope.all(),
                extra=_planning(result, 11),
                seed=11,
            )
            if kab == KAB_A:
                store_families(s, result.keluarga, periode=PERIODE)
        for name, (role, kabs, opd) in USERS.items():
            user = R.create_user(
                s, name, role, kabupaten=kabs, kode_opd=opd, kata_sandi_hash=hash_password(PASSWORD)
            )
            keys[name] = R.create_api_key(s, user.id, f"kunci {name}")
        s.commit()
    engine.dispose()
    return keys, n_desa


def store_families(
    session, fam: pd.DataFrame, *, periode: str, berkas: str = "keluarga.parquet", sha: str = "f"
) -> None:
    """Located families (``compute_indicators(...).keluarga``) as an imported snapshot of
    ``periode``, so a run can be started over HTTP (one import batch, bulk insert)."""
    from geo_service.analysis import schema as S
    from geo_service.analysis.locate import cells_to_str
    from geo_service.db import models as M
    from geo_service.db.bulk import bulk_insert
    from geo_service.db.repo.keluarga import VALID_COLUMNS

    kab = fam[S.KODE_DESA].str[:5].iloc[0]
    batch = M.ImporBatch(
        jenis=M.JENIS_KELUARGA,
        berkas=berkas,
        sha256=sha * 64,
        ukuran_byte=1,
        periode=periode,
        kode_kab=[kab],
        status=M.BATCH_SELESAI,
        n_baris=len(fam),
        n_sah=len(fam),
    )
    session.add(batch)
    session.flush()
    frame = fam[[c for c in VALID_COLUMNS if c != "baris"]].copy()
    frame["pengeluaran_kapita"] = pd.array(frame["pengeluaran_kapita"].round(), dtype="Int64")
    frame["batch_id"] = batch.id
    frame["kode_kab"] = kab
    frame["baris"] = np.arange(2, len(frame) + 2)
    for c in ("kode_desa_lokasi", "status_lokasi", "jarak_m", "lokasi_tidak_sesuai"):
        frame[c] = fam[c].to_numpy()
    h3 = fam["h3"].to_numpy()
    strs = np.array([None] * len(h3), dtype=object)
    strs[h3 != 0] = cells_to_str(h3[h3 != 0])
    frame["h3"] = strs
    bulk_insert(session.connection(), "keluarga", frame, point=("lon", "lat"))
    session.add(
        M.KeluargaSnapshot(
            periode=periode,
            kode_kab=kab,
            batch_id=batch.id,
            n_keluarga=len(fam),
            n_jiwa=int(fam["jumlah_art"].sum()),
            h3_resolusi=8,
        )
    )
    session.flush()


@pytest.fixture(scope="module")
def api_db(tmp_path_factory) -> ApiDb:
    """A private copy of the template database for one test module."""
    template, keys, n_desa = _template()
    folder = tmp_path_factory.mktemp("apidb")
    shutil.copy(template / "api.sqlite", folder / "api.sqlite")
    shutil.copy(template / "opd_programmes.csv", folder / "opd_programmes.csv")
    settings = make_settings(data_dir=folder, database_url=f"sqlite:///{folder / 'api.sqlite'}")
    return ApiDb(settings=settings, path=folder / "api.sqlite", api_keys=keys, n_desa=n_desa)


def with_limits(settings: Settings, *, upload_max_bytes: int) -> Settings:
    """``settings`` with another upload limit."""
    imports = settings.imports.model_copy(update={"upload_max_bytes": upload_max_bytes})
    return settings.model_copy(update={"imports": imports})


@contextmanager
def postgis_client(folder: Path, name: str) -> Iterator:
    """A TestClient (lifespan run) on a fresh PostGIS database ``name`` filled like the
    SpatiaLite template; the API keys and desa counts are on the client (``keys``,
    ``n_desa``)."""
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    with postgis_database(name) as url:
        settings = make_settings(data_dir=folder, database_url=url)
        keys, n_desa = build_database(settings)
        with TestClient(create_app(settings)) as c:
            c.keys, c.n_desa = keys, n_desa
            yield c


@contextmanager
def served(app, *, join_timeout: float = 10, **config) -> Iterator[int]:
    """``app`` under uvicorn on a free loopback port (real HTTP, real sockets), with further
    uvicorn ``config`` options; yields the port and stops the server afterwards."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(
        uvicorn.Config(app, **{"log_level": "warning", **config, "host": "127.0.0.1", "port": port})
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=join_timeout)


def read_head(sock: socket.socket) -> bytes:
    """What the server sends until the end of its response head (20 s at most)."""
    sock.settimeout(20)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture(scope="module")
def client(api_db):
    """A TestClient (lifespan run) on the module's database."""
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    app = create_app(api_db.settings)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client) -> dict[str, dict[str, str]]:
    """Authorization headers per user (password flow)."""
    out = {}
    for name in USERS:
        r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out
