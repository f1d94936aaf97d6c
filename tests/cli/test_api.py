"""The service starts only on a migrated database; ``geo-service serve`` answers on /health."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.support import KAB_A, ROOT, api_db  # noqa: F401
from tests.fixtures.settings import make_settings


def test_app_refuses_to_start_on_unmigrated_database(tmp_path):
    from fastapi.testclient import TestClient

    from geo_service.api import create_app
    from geo_service.db.migrate import DatabaseNotMigratedError

    settings = make_settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'kosong.sqlite'}"
    )
    app = create_app(settings)
    with pytest.raises(DatabaseNotMigratedError) as err:
        with TestClient(app):
            pass
    assert "geo-service db upgrade" in err.value.pesan


def test_serve_command_runs_uvicorn(api_db):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = os.environ | {
        "GEO_DATABASE_URL": str(api_db.settings.database.url),
        "GEO_DATA_DIR": str(api_db.path.parent),
        "GEO_SECRET_KEY": "kunci-rahasia-untuk-uji-serve",
    }
    exe = str(Path(sys.executable).with_name("geo-service"))
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(150):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                body = r.json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        if body is None:
            proc.terminate()
            pytest.fail("server did not answer: " + proc.communicate(timeout=20)[0].decode())
        assert body["status"] == "ok"
        r = httpx.get(f"http://127.0.0.1:{port}/kabupaten/{KAB_A}/indikator/desa")
        assert r.status_code == 401
        key = api_db.api_keys["analis_a"]
        r = httpx.get(
            f"http://127.0.0.1:{port}/kabupaten/{KAB_A}/prioritas",
            headers={"X-API-Key": key},
            timeout=30,
        )
        assert r.status_code == 200 and r.json()["total"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_user_add_command_then_login(api_db, monkeypatch):
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from geo_service.api import create_app
    from geo_service.cli import app as cli
    from geo_service.settings import get_settings

    monkeypatch.setenv("GEO_DATA_DIR", str(api_db.path.parent))
    monkeypatch.setenv("GEO_DATABASE_URL", str(api_db.settings.database.url))
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(
            cli,
            [
                "user",
                "add",
                "bappeda",
                "--peran",
                "analis",
                "--kabupaten",
                KAB_A,
                "--password",
                "sandi-panjang-1",
                "--kunci",
            ],
        )
        bad = CliRunner().invoke(cli, ["user", "add", "x", "--peran", "raja", "--kabupaten", KAB_A])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert bad.exit_code == 2 and "Peran tidak dikenal" in bad.output
    key = res.output.split("tidak ditampilkan lagi): ")[1].split()[0]
    with TestClient(create_app(api_db.settings)) as c:
        tok = c.post(
            "/auth/token", data={"username": "bappeda", "password": "sandi-panjang-1"}
        ).json()["access_token"]
        me = c.get("/auth/saya", headers={"Authorization": f"Bearer {tok}"}).json()
        assert me["peran"] == "analis" and me["kabupaten"] == [KAB_A]
        assert c.get("/auth/saya", headers={"X-API-Key": key}).status_code == 200
