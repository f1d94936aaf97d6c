"""The batch on a real Dask cluster: a scheduler and two workers started as separate
processes on loopback (as on a cluster, only on one machine), the same tables as the
single-process run of each kabupaten."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo_service.io.boundaries import prepare_layer
from geo_service.services import analysis_run as AR
from geo_service.services.analysis_run import RunParams
from geo_service.services.batch import read_kabupaten_desa, run_batch
from tests.fixtures import DATA
from tests.services.test_batch import KABUPATEN
from tests.services.test_batch import inputs as inputs  # noqa: F401 - the shared fixture

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"no scheduler on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` + 2 ``dask worker`` processes, every server bound to 127.0.0.1,
    dashboards on loopback too (never on all interfaces)."""
    assert DASK.exists(), f"{DASK} missing: pip install -e .[dask]"
    logs = tmp_path_factory.mktemp("dask")
    port, dash = _free_port(), _free_port()
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs = []

    def start(args: list[str], name: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen(
            [str(DASK), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=logs,
            start_new_session=True,
        )
        procs.append((p, log))
        return p

    scheduler = start(
        ["scheduler", "--host", "127.0.0.1", "--port", str(port)]
        + ["--dashboard-address", f"127.0.0.1:{dash}"],
        "scheduler",
    )
    try:
        _wait_for_port(port, scheduler)
        address = f"tcp://127.0.0.1:{port}"
        for i in range(2):
            start(
                ["worker", address, "--host", "127.0.0.1", "--nthreads", "1"]
                + ["--dashboard-address", "127.0.0.1:0", "--memory-limit", "2GiB"]
                + ["--name", f"w{i}", "--local-directory", str(logs / f"w{i}")],
                f"worker{i}",
            )
        from dask.distributed import Client

        client = Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        yield client, [p.pid for p, _ in procs]
        client.close()
    finally:
        for p, _log in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p, log in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            log.close()


def test_cluster_servers_listen_on_loopback_only(cluster):
    client, _ = cluster
    info = client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    workers = info["workers"]
    assert len(workers) == 2
    for address, w in workers.items():
        assert address.startswith("tcp://127.0.0.1:")
        assert w["host"] == "127.0.0.1"
    assert all(p.get("dashboard", 0) for p in [w.get("services", {}) for w in workers.values()])


def test_no_dask_process_listens_beyond_loopback(cluster):
    """Scheduler, nannies and workers (dashboards included) accept connections on
    127.0.0.1 only."""
    import psutil

    _, pids = cluster
    listening = []
    for pid in pids:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            for c in proc.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN:
                    listening.append(c.laddr)
    assert len(listening) >= 5  # scheduler + its dashboard, 2 workers + their dashboards
    assert {a.ip for a in listening} == {"127.0.0.1"}, listening


def test_batch_on_separate_scheduler_and_workers_equals_single_process(
    cluster,
    inputs,
    tmp_path,  # noqa: F811 - pytest fixture
):
    client, _ = cluster
    raw_layer, fam_dir, split, _ = inputs
    # Boundary preparation: one row group per kabupaten and its index, built once here.
    boundaries, index_dir = tmp_path / "desa_siap.parquet", tmp_path / "indeks"
    prepare_layer(raw_layer, boundaries, index_dir=index_dir)
    params = RunParams(kantong=True, partial=True, permutations=99)
    result = run_batch(
        fam_dir,
        boundaries,
        tmp_path / "hasil",
        prefix="33",
        client=client,
        params=params,
        data_dir=DATA,
        index_dir=index_dir,
    )
    assert result.failed == {}
    assert result.summary.loc[result.summary["kode_kab"] != "TOTAL", "indeks_tersimpan"].all()
    for kab in KABUPATEN:
        raw = pd.read_parquet(split[kab])
        single = AR.run_analysis(
            AR.inputs_from_frames(raw, read_kabupaten_desa(boundaries, kab), data_dir=DATA),
            params,
        )
        want = tmp_path / f"single-{kab}"
        AR.write_outputs(single, want)
        for name in ("desa.csv", "kecamatan.csv", "kabupaten.csv", "h3.csv", "priorities.csv"):
            got = (tmp_path / "hasil" / kab / name).read_bytes()
            assert got == (want / name).read_bytes(), (kab, name)
    summary = pd.read_csv(tmp_path / "hasil" / "ringkasan_nasional.csv", dtype={"kode_kab": str})
    total = summary[summary["kode_kab"] == "TOTAL"].iloc[0]
    assert total["n_baris_ditolak"] > 0  # the --rusak rows, reported per kabupaten
    assert (summary.loc[summary["kode_kab"] != "TOTAL", "n_baris_ditolak"] > 0).all()
    national = gpd.read_parquet(tmp_path / "hasil" / "kantong_nasional.parquet")
    assert len(national) == int(total["n_kantong"]) > 0
    for kab in KABUPATEN:
        mine = national[national["kode_kab"] == kab]
        single = gpd.read_file(tmp_path / f"single-{kab}" / "pockets.geojson")
        assert sorted(mine["kantong_id"]) == sorted(single["kantong_id"])
    shutil.rmtree(tmp_path / "hasil")
