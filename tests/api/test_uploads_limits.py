"""Bounded work per upload (issue 12, finding 4) against a live uvicorn *subprocess*: wide
headers, long lines, many vertices and a decompression bomb are refused with 413/422 in under
5 s with the server's RSS (read from /proc) growing less than 200 MB; a kill -9 mid-import
leaves a batch "berjalan" and an upload folder, and the restart marks the batch failed and
removes the folder."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from geo_service.db.engine import make_engine

MB = 1024**2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Server:
    def __init__(self, api_db) -> None:
        self.api_db = api_db
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "GEO_DATABASE_URL": str(self.api_db.settings.database.url),
            "GEO_DATA_DIR": str(self.api_db.path.parent),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "geo_service.api.app:create_app"]
            + ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=env,
        )
        for _ in range(300):
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(api_db):
    s = Server(api_db)
    s.start()
    yield s
    s.stop()


def _post_measured(server: Server, path: str, files, data=None, key: str = ""):
    """POST and return (response, seconds, peak RSS growth in bytes)."""
    pid = server.proc.pid
    base = _rss(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss(pid))
            time.sleep(0.02)

    t = threading.Thread(target=sample)
    t.start()
    start = time.perf_counter()
    try:
        r = httpx.post(
            server.url + path, files=files, data=data, headers={"X-API-Key": key}, timeout=60
        )
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        t.join()
    peak[0] = max(peak[0], _rss(pid))
    return r, elapsed, peak[0] - base


def _check(r, elapsed, growth, statuses=(413, 422)):
    assert r.status_code in statuses, r.text[:300]
    assert elapsed < 5.0, elapsed
    assert growth < 200 * MB, growth / MB


def test_million_column_header_refused(server, api_db):
    header = b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n"  # 7.9 MB
    r, el, growth = _post_measured(
        server,
        "/impor/keluarga",
        {"berkas": ("lebar.csv", header + b"1,2\n", "text/csv")},
        {"periode": "2025-04"},
        api_db.api_keys["analis_a"],
    )
    _check(r, el, growth)
    assert r.json()["kode"] == "input_tidak_sah" or "kolom" in r.text


def test_long_line_refused(server, api_db):
    body = b"id_keluarga,kode_desa\n" + b"x" * (40 * MB)
    r, el, growth = _post_measured(
        server,
        "/impor/keluarga",
        {"berkas": ("panjang.csv", body, "text/csv")},
        {"periode": "2025-04"},
        api_db.api_keys["analis_a"],
    )
    _check(r, el, growth)


def test_two_million_vertices_refused(server, api_db):
    ring = b"[110.1,-7.1]," * 2_100_000 + b"[110.1,-7.1]"
    gj = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        b'{"kode":"33.24.01.2001","nama":"X"},"geometry":{"type":"Polygon","coordinates":[['
        + ring
        + b"]]}}]}"
    )
    r, el, growth = _post_measured(
        server,
        "/impor/batas",
        {"berkas": ("rinci.geojson", gj, "application/geo+json")},
        key=api_db.api_keys["admin_a"],
    )
    _check(r, el, growth)


def test_decompression_bomb_refused(server, api_db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("desa.geojson", b"\x00" * (64 * MB))
    r, el, growth = _post_measured(
        server,
        "/impor/batas",
        {"berkas": ("bom.zip", buf.getvalue(), "application/zip")},
        key=api_db.api_keys["admin_a"],
    )
    _check(r, el, growth)


def test_refused_imports_are_audited(server, api_db):
    engine = make_engine(settings=api_db.settings)
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM audit_log WHERE aksi = 'impor_ditolak'")).scalar()
    engine.dispose()
    assert n >= 3


def test_kill_9_mid_import_then_restart_cleans_up(api_db, tmp_path):
    """A big family file is uploaded; once its batch is 'berjalan' the server gets SIGKILL.
    The restart marks the batch failed and removes the dead process's upload folder."""
    import pandas as pd

    from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
    from geo_service.synth import calibration_from_bps, generate_keluarga
    from tests.api.support import KAB_A, ROOT

    desa = read_boundaries(boundary_files(ROOT / "data", KAB_A)["desa"])
    data = generate_keluarga(
        desa,
        calibration_from_bps(read_bps(ROOT / "data"), KAB_A),
        n_keluarga=50_000,
        periode="2025-06",
        seed=9,
    )
    path = tmp_path / "besar.csv"
    pd.DataFrame(data.keluarga).to_csv(path, index=False)
    engine = make_engine(settings=api_db.settings)
    s = Server(api_db)
    s.start()
    pid = s.proc.pid
    try:

        def upload():
            try:
                with open(path, "rb") as fh:
                    httpx.post(
                        s.url + "/impor/keluarga",
                        files={"berkas": ("besar.csv", fh, "text/csv")},
                        data={"periode": "2025-06"},
                        headers={"X-API-Key": api_db.api_keys["analis_a"]},
                        timeout=120,
                    )
            except httpx.HTTPError:
                pass  # the server is killed mid-request

        t = threading.Thread(target=upload)
        t.start()
        running = None
        for _ in range(600):
            with engine.connect() as c:
                running = c.execute(
                    text("SELECT id FROM impor_batch WHERE status = 'berjalan'")
                ).scalar()
            if running:
                break
            time.sleep(0.05)
        assert running, "the import never started"
        leftovers = list(Path(tempfile.gettempdir()).glob(f"geo-upload-{pid}-*"))
        assert leftovers  # the upload folder exists while the import runs
        s.stop(signal.SIGKILL)
        t.join(timeout=30)
        assert list(Path(tempfile.gettempdir()).glob(f"geo-upload-{pid}-*"))  # crash left it
        s2 = Server(api_db)
        s2.start()
        try:
            with engine.connect() as c:
                status = c.execute(
                    text("SELECT status FROM impor_batch WHERE id = :i"), {"i": running}
                ).scalar()
            assert status == "gagal"
            assert not list(Path(tempfile.gettempdir()).glob(f"geo-upload-{pid}-*"))
        finally:
            s2.stop()
    finally:
        s.stop(signal.SIGKILL)
        engine.dispose()
