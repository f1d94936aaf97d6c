"""Fixtures of the OGC API tests: the shared API database (Kendal 33.24 and Jepara 33.20, one
finished run each), a TestClient, and a live uvicorn server in a subprocess for GDAL and
QGIS (plain HTTP, and HTTPS with a self-signed certificate for HTTP Basic)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.support import ROOT, api_db  # noqa: F401  (fixture)

SERVER = """
import json, sys
sys.path.insert(0, {root!r})
import uvicorn
from geo_service.api import create_app
from tests.fixtures.settings import make_settings

cfg = json.loads(sys.argv[1])
settings = make_settings(data_dir=cfg["data_dir"], database_url=cfg["url"], **cfg["api"])
uvicorn.run(create_app(settings), host="127.0.0.1", port=cfg["port"], log_level="warning",
            **cfg["ssl"])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Live:
    base: str  # e.g. http://127.0.0.1:PORT
    keys: dict[str, str]
    cert: Path | None = None


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cryptography is a project dependency)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def start_server(api_db, folder: Path, *, tls: bool = False, **api) -> Iterator[Live]:  # noqa: F811
    """Run the app of ``api_db`` under uvicorn until the generator is closed."""
    port = free_port()
    ssl: dict[str, str] = {}
    cert = None
    if tls:
        key, cert = _self_signed(folder)
        ssl = {"ssl_keyfile": str(key), "ssl_certfile": str(cert)}
    cfg = {
        "data_dir": str(api_db.settings.paths.data_dir),
        "url": api_db.settings.database.url,
        "port": port,
        "api": api,
        "ssl": ssl,
    }
    script = folder / "server.py"
    script.write_text(SERVER.format(root=str(ROOT)))
    log = open(folder / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, str(script), json.dumps(cfg)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("GEO_")},
    )
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", verify=False, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "server.log").read_text())
            time.sleep(0.2)
        yield Live(base=base, keys=api_db.api_keys, cert=cert)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def live(api_db, tmp_path_factory) -> Iterator[Live]:  # noqa: F811
    """The app on plain HTTP (API keys; HTTP Basic allowed for local QGIS runs)."""
    yield from start_server(api_db, tmp_path_factory.mktemp("live"), basic_auth="always")


@pytest.fixture(scope="module")
def ogc_client(api_db):  # noqa: F811
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    with TestClient(create_app(api_db.settings)) as c:
        c.keys = api_db.api_keys
        c.n_desa = api_db.n_desa
        yield c
