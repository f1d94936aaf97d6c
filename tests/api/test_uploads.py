"""Uploads: oversized bodies refused with 413 before they are read, zip bombs and ``../``
archives refused before extraction leaving no files, real imports through the API."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import io
import socket
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.api.support import KAB_A, ROOT, read_head, served, with_limits

GB = 1024**3


@pytest.fixture(scope="module")
def live_server(api_db):
    """The app under uvicorn on a free loopback port (real HTTP, real sockets)."""
    from geo_service.api import create_app

    app = create_app(with_limits(api_db.settings, upload_max_bytes=4 * 1024**2))
    with served(app, lifespan="on") as port:
        yield port


def test_1gb_content_length_refused_before_any_body_byte(live_server):
    """Only the headers are sent: a 413 can only come from not reading the body."""
    with socket.create_connection(("127.0.0.1", live_server)) as s:
        s.sendall(
            (
                f"POST /impor/keluarga HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: multipart/form-data; boundary=xyz\r\n"
                f"Content-Length: {GB}\r\n\r\n"
            ).encode()
        )
        head = read_head(s)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert b"terlalu_besar" in head or b"content-length" in head.lower()


def test_chunked_body_cut_off_at_the_limit(live_server):
    """Without Content-Length the body is counted as it streams and cut off at the limit."""
    sent = 0
    chunk = b"x" * (256 * 1024)
    with socket.create_connection(("127.0.0.1", live_server)) as s:
        s.sendall(
            b"POST /impor/keluarga HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        part = (
            b'--xyz\r\nContent-Disposition: form-data; name="berkas"; '
            b'filename="k.csv"\r\nContent-Type: text/csv\r\n\r\n'
        )
        s.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        try:
            for _ in range(64):  # up to 16 MB, four times the limit
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: it stopped reading
        head = read_head(s)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]


def test_multipart_over_limit_is_413_in_english(api_db, tokens):
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    app = create_app(with_limits(api_db.settings, upload_max_bytes=1024**2))
    with TestClient(app) as c:
        r = c.post(
            "/impor/keluarga?lang=en",
            headers=tokens["analis_a"],
            files={"berkas": ("k.csv", b"a" * (2 * 1024**2), "text/csv")},
            data={"periode": "2025-03"},
        )
    assert r.status_code == 413
    assert r.json()["kode"] == "terlalu_besar" and "too large" in r.json()["pesan"]


def _zip_bytes(members: dict[str, bytes | int]) -> bytes:
    """A zip; an int value writes that many zero bytes (compressed: a bomb)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            if isinstance(content, int):
                with zf.open(name, "w", force_zip64=True) as f:
                    block = b"\0" * (1 << 20)
                    for _ in range(content // len(block)):
                        f.write(block)
            else:
                zf.writestr(name, content)
    return buf.getvalue()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Temporary files of the request go here, so the test can see what is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_zip_bomb_refused_before_extraction(client, tokens, private_tmp):
    bomb = _zip_bytes({"desa.shp": 300 * 1024**2, "desa.prj": b"GEOGCS[]"})
    assert len(bomb) < 2 * 1024**2
    r = client.post(
        "/impor/batas",
        headers=tokens["admin_a"],
        files={"berkas": ("batas.zip", bomb, "application/zip")},
    )
    assert r.status_code == 413, r.text
    assert "zip" in r.json()["pesan"].lower()
    assert list(private_tmp.iterdir()) == [], "nothing may be left behind"


@pytest.mark.parametrize(
    "name", ["../evil.geojson", "a/../../evil.geojson", "/tmp/evil.geojson", "..\\evil.geojson"]
)
def test_path_traversal_zip_refused(client, tokens, private_tmp, name):
    z = _zip_bytes({name: b"{}", "ok.txt": b"x"})
    r = client.post(
        "/impor/batas",
        headers=tokens["admin_a"],
        files={"berkas": ("batas.zip", z, "application/zip")},
    )
    assert r.status_code == 422, r.text
    assert list(private_tmp.iterdir()) == []
    assert not (private_tmp.parent / "evil.geojson").exists()
    assert not Path("/tmp/evil.geojson").exists()


def test_boundaries_import_through_the_api_then_duplicate_is_409(client, tokens):
    """Jepara's boundary file for a kabupaten-B admin-less user is refused; Kendal's for
    admin_a is imported (a new version), and the same file again is a 409."""
    data = (ROOT / "data" / "boundaries" / "desa_33.24_kendal.geojson").read_bytes()
    other = (ROOT / "data" / "boundaries" / "desa_33.20_jepara.geojson").read_bytes()
    r = client.post(
        "/impor/batas",
        headers=tokens["admin_a"],
        files={"berkas": ("jepara.geojson", other, "application/geo+json")},
    )
    assert r.status_code == 403, r.text
    r = client.post(
        "/impor/batas",
        headers=tokens["admin_a"],
        files={"berkas": ("kendal.geojson", data, "application/geo+json")},
    )
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["status"] == "selesai" and rep["kode_kab"] == [KAB_A]
    again = client.post(
        "/impor/batas",
        headers=tokens["admin_a"],
        files={"berkas": ("kendal.geojson", data, "application/geo+json")},
    )
    assert again.status_code == 409 and again.json()["kode"] == "duplikat"
    assert client.get(f"/impor/{rep['id']}", headers=tokens["analis_a"]).json()["id"] == rep["id"]


def test_family_import_report_422_then_partial(client, tokens):
    import pandas as pd

    good = pd.DataFrame(
        {
            "id_keluarga": [f"K{i:05d}" for i in range(40)],
            "periode": "2026-01",
            "kode_desa": "33.24.01.2001",
            "lat": None,
            "lon": None,
            "jumlah_art": 3,
            "desil": 1,
        }
    )
    bad = good.copy()
    bad.loc[0, "desil"] = 11
    bad.loc[1, "kode_desa"] = "33.24.1.2001"
    csv = bad.to_csv(index=False).encode()
    r = client.post(
        "/impor/keluarga",
        headers=tokens["analis_a"],
        files={"berkas": ("k.csv", csv, "text/csv")},
        data={"periode": "2026-01"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert set(detail["masalah_per_kode"]) == {"desil_di_luar_rentang", "kode_desa_salah_format"}
    r = client.post(
        "/impor/keluarga",
        headers=tokens["analis_a"],
        files={"berkas": ("k.csv", csv, "text/csv")},
        data={"periode": "2026-01", "sebagian": "true"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["n_sah"] == 38 and r.json()["n_ditolak"] == 2
    r = client.post(
        "/impor/keluarga",
        headers=tokens["analis_b"],
        files={"berkas": ("k2.csv", good.to_csv(index=False).encode(), "text/csv")},
        data={"periode": "2026-01"},
    )
    assert r.status_code == 403
