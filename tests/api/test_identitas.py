"""Identities over HTTP: the named field list for analis and a pendamping (their desa only),
refused for opd/publik; the family upload through a profile; OpenSID results; erasure is
admin-only. SpatiaLite here (both backends in tests/services/test_identitas.py)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from geo_service.analysis import compute_indicators
from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.analysis.validate import validate_keluarga
from geo_service.api import create_app
from geo_service.api.security import hash_password
from geo_service.db import make_engine, make_session_factory, upgrade
from geo_service.db.repo import Scope
from geo_service.db.repo import uji_petik as GR
from geo_service.db.repo.users import create_user
from geo_service.services import identitas as I
from geo_service.services.imports import import_boundaries
from geo_service.settings import IdentitySettings
from tests.fixtures import KENDAL_DESA
from tests.fixtures.by_name import BAD_ROWS, make_by_name
from tests.fixtures.settings import make_settings

KAB, PASSWORD = "33.24", "sandi-uji-identitas-1"
PKEY = "kunci-pseudonim-api-".ljust(40, "a")
USERS = {"ani": "analis", "pendi": "pendamping", "opa": "opd", "pub": "publik", "adi": "admin"}


@pytest.fixture(scope="module")
def env(kendal_keluarga, kendal_desa, tmp_path_factory):
    folder = tmp_path_factory.mktemp("api_identitas")
    fam = kendal_keluarga["frame"].sample(150, random_state=6)
    by = make_by_name(
        fam, pd.DataFrame(kendal_desa[["kode", "nama", "nama_kec"]]), folder, PKEY.encode()
    )
    settings = make_settings(
        data_dir=folder, database_url=f"sqlite:///{folder / 'api.sqlite'}"
    ).model_copy(
        update={
            "identitas": IdentitySettings(
                pseudonym_key=PKEY, vault_key=Fernet.generate_key().decode()
            )
        }
    )
    engine = make_engine(settings=settings)
    upgrade(engine)
    import_boundaries(engine, KENDAL_DESA, settings=settings)
    valid = validate_keluarga(pd.read_csv(by.csv, dtype=str, keep_default_na=False)).valid
    located = compute_indicators(valid.drop(columns="baris"), kendal_desa).keluarga
    located = located[located[S.KODE_DESA].isin(sorted(set(located[S.KODE_DESA]))[:5])]
    sample = G.build_sample(located, G.SampleParams(seed=1, n_per_desa=2, maks_bendera=5))
    with make_session_factory(engine)() as s:
        for name, role in USERS.items():
            create_user(s, name, role, kabupaten=[KAB], kata_sandi_hash=hash_password(PASSWORD))
        sid = GR.save_sample(s, sample, kode_kab=KAB, periode="2025-03", scope=Scope.all())
        s.commit()
    desa = sorted(set(sample.daftar[S.KODE_DESA]))
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        headers = {}
        for name in USERS:
            r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            headers[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield {"client": client, "h": headers, "by": by, "sid": sid, "desa": desa, "app": app}


def test_upload_through_profile_then_named_lists_by_role(env):
    c, h, by, sid = env["client"], env["h"], env["by"], env["sid"]
    with by.xlsx.open("rb") as fh:
        r = c.post(
            "/impor/keluarga",
            headers=h["ani"],
            files={"berkas": (by.xlsx.name, fh, "application/octet-stream")},
            data={"periode": "2025-03", "sebagian": "true", "profil": "dtsen_nama"},
        )
    assert r.status_code == 201, r.text
    assert r.json()["n_sah"] == by.n_good and r.json()["n_ditolak"] == BAD_ROWS
    assert not [n for n in by.nik + by.kk if n in r.text]

    I.assign_facilitator(
        env["app"].state.engine, "pendi", sid, env["desa"][:1], who=I.Pemohon.cli()
    )
    url = f"/uji-petik/{sid}/daftar-nama"
    r = c.get(url, headers=h["ani"], params={"tujuan": "uji petik", "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    sheets = pd.read_excel(io.BytesIO(r.content), sheet_name=None, header=1, dtype=str)
    assert len([n for n in sheets if n != "info"]) == len(env["desa"])

    r = c.get(url, headers=h["pendi"], params={"tujuan": "kunjungan", "format": "opensid"})
    assert r.status_code == 200, r.text
    mine = pd.read_excel(io.BytesIO(r.content), dtype=str)
    assert set(mine["kode_desa"]) == {env["desa"][0].replace(".", "")}
    assert mine["nama"].notna().all()
    other = {"tujuan": "kunjungan", "desa": env["desa"][1]}
    assert c.get(url, headers=h["pendi"], params=other).status_code == 403
    for name in ("opa", "pub"):
        assert c.get(url, headers=h[name], params={"tujuan": "lihat"}).status_code == 403
    assert c.get(url, headers=h["ani"]).status_code == 422  # no purpose, no names


def test_opensid_results_and_erasure(env):
    c, h, sid = env["client"], env["h"], env["sid"]
    r = c.get(
        f"/uji-petik/{sid}/daftar-nama",
        headers=h["ani"],
        params={"tujuan": "opensid", "format": "opensid"},
    )
    sheet = pd.read_excel(io.BytesIO(r.content), dtype=str)
    sheet.loc[:0, ["status", "petugas", "tanggal"]] = ["sesuai", "Pak Budi", "2025-05-02"]
    body = sheet.drop(columns=["id_keluarga", "nama", "alamat"]).to_csv(index=False, sep=";")
    r = c.post(
        f"/uji-petik/{sid}/hasil-opensid",
        headers=h["ani"],
        files={"berkas": ("hasil.csv", body.encode(), "text/csv")},
        data={"sebagian": "true"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "selesai" and r.json()["baru"] == 1
    erase = {"alasan": "permintaan warga", "no_kk": [sheet["no_kk"].iloc[0]]}
    assert c.post("/identitas/hapus", headers=h["ani"], json=erase).status_code == 403
    r = c.post("/identitas/hapus", headers=h["adi"], json=erase)
    assert r.status_code == 200 and r.json() == {"n_dihapus": 1}
