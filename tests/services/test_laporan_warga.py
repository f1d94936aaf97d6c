"""Citizen reports: checks, numbers, public status without family data, overdue after 14 days,
rate limits, the ground-check queue, the file store, and the HTTP routes."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from geo_service.analysis import uji_petik as G
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.services.laporan_warga import (
    CitizenReportService,
    JsonFileReportStore,
    MemoryReportStore,
    RateLimiter,
    RateLimitError,
    reported_families,
    validate_report,
)
from tests.api.support import KAB_A, api_db, tokens  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FAMILY_KEYS = {"id_keluarga", "kode_desa", "lat", "lon", "kontak", "keterangan", "foto_sha256"}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _payload(**kw):
    base = {
        "kode_desa": "33.24.01.2001",
        "jenis": "keberatan_penerima",
        "keterangan": "Keluarga ini sudah punya usaha toko dan mobil.",
    }
    return base | kw


@pytest.fixture()
def service():
    clock = Clock(datetime(2025, 6, 2, 8, 0, tzinfo=UTC))
    seq = iter(range(1, 10_000))
    svc = CitizenReportService(
        MemoryReportStore(),
        known_desa={"33.24.01.2001", "33.24.01.2002"},
        limiter=RateLimiter({3600: 5}, clock=lambda: clock.now.timestamp()),
        clock=clock,
        number=lambda now, kab: f"LW-{kab.replace('.', '')}-{now:%y%m%d}-{next(seq):08d}",
    )
    svc.test_clock = clock
    return svc


def test_every_problem_is_reported():
    _, problems = validate_report(
        {
            "kode_desa": "3324012001",
            "jenis": "iseng",
            "keterangan": "NIK 3324011234567890",
            "lat": 110.2,
            "lon": -6.9,
        },
        foto=b"GIF89a",
    )
    codes = {(p["kolom"], p["kode_alasan"]) for p in problems}
    assert codes == {
        ("kode_desa", "kode_desa_salah_format"),
        ("jenis", "jenis_laporan_tidak_valid"),
        ("keterangan", "nik_tidak_boleh"),
        ("lat", "koordinat_tertukar"),
        ("foto", "foto_tidak_valid"),
    }
    _, more = validate_report(
        {"kode_desa": "33.24.99.9999", "jenis": "kondisi_berubah", "keterangan": "", "lat": 51.5},
        known_desa={"33.24.01.2001"},
        lang="en",
    )
    assert {p["kode_alasan"] for p in more} == {
        "kode_desa_tidak_dikenal",
        "keterangan_kosong",
        "koordinat_tidak_lengkap",
    }
    assert any("required" in p["keterangan"] for p in more)
    clean, ok = validate_report(_payload(lat="-6.95", lon="110.2"), foto=PNG)
    assert ok == [] and clean["lat"] == -6.95 and clean["foto_jenis"] == "png"


def test_submit_returns_a_number_and_no_family_data(service):
    status = service.submit(
        _payload(id_keluarga="DTSEN-3324-0000000001", lat=-6.95, lon=110.2, kontak="0812xxxx"),
        caller="1.2.3.4",
        foto=PNG,
    )
    assert re.fullmatch(r"LW-3324-250602-\d{8}", status["nomor"])
    assert status["status"] == "diterima" and status["terlambat"] is False
    assert not FAMILY_KEYS & set(status)
    looked = service.status(status["nomor"])
    assert looked == status
    assert not FAMILY_KEYS & set(looked)
    stored = service.store.get(status["nomor"])
    assert stored.id_keluarga == "DTSEN-3324-0000000001" and stored.foto_sha256
    assert stored.pelapor and "1.2.3.4" not in stored.pelapor  # caller kept only as a hash
    assert service.store.photos[stored.foto_sha256] == PNG
    with pytest.raises(NotFoundError):
        service.status("LW-3324-250602-99999999")
    with pytest.raises(InvalidInputError) as err:
        service.submit(_payload(jenis="lain"), caller="1.2.3.4")
    assert err.value.detail[0]["kode_alasan"] == "jenis_laporan_tidak_valid"


def test_overdue_after_14_days_unless_closed(service):
    a = service.submit(_payload(), caller="a")["nomor"]
    b = service.submit(_payload(), caller="b")["nomor"]
    service.test_clock.now += timedelta(days=14)
    assert not service.status(a)["terlambat"]  # exactly 14 days: not yet
    service.test_clock.now += timedelta(hours=1)
    assert service.status(a)["terlambat"] and service.status(a)["hari_sejak_dibuat"] == 14
    service.set_status(b, "selesai", catatan="Sudah dicek")
    assert not service.status(b)["terlambat"]
    q = service.queue([KAB_A])
    assert list(q["nomor"]) == [a] and bool(q["terlambat"].iloc[0])
    assert "pelapor" not in q.columns
    assert len(service.queue([KAB_A], hanya_terbuka=False)) == 2
    assert service.queue(["33.20"]).empty


def test_rate_limit_per_caller(service):
    for _ in range(5):
        service.submit(_payload(), caller="same")
    with pytest.raises(RateLimitError):
        service.submit(_payload(), caller="same")
    service.submit(_payload(), caller="other")  # other callers are not affected
    service.test_clock.now += timedelta(hours=1, seconds=1)
    service.submit(_payload(), caller="same")  # the window has passed
    assert len(service.store.all()) == 7  # the refused one was not stored


def test_reports_enter_the_ground_check_queue(service):
    fam = pd.DataFrame(
        {
            "id_keluarga": ["k1", "k2", "k3"],
            "kode_desa": "33.24.01.2001",
            "desil": [5, 5, 5],
            "jumlah_art": 3,
            "periode": "2025-03",
            "penerima_pkh": 0,
            "penerima_bpnt": 0,
            "penerima_pbi_jk": 1,
        }
    )
    n1 = service.submit(_payload(id_keluarga="k2"), caller="x")["nomor"]
    service.submit(_payload(), caller="x")  # no family named: stays for officers to look up
    ids = reported_families(service.store.all())
    assert ids == ["k2"]
    flagged = G.flagged_list(fam, laporan_warga=ids).daftar
    assert flagged["id_keluarga"].tolist() == ["k2"]
    assert flagged["alasan"].tolist() == ["laporan_warga"]
    assert service.mark_queued(["k2", "k3"], "UP-uji") == 1
    assert service.status(n1)["status"] == "antre_uji_petik"
    assert (
        service.close_from_results(pd.DataFrame({"id_keluarga": ["k2"], "status": ["sesuai"]})) == 1
    )
    assert service.status(n1)["status"] == "diverifikasi"
    assert reported_families(service.store.all()) == []


def test_file_store_keeps_reports(tmp_path):
    store = JsonFileReportStore(tmp_path / "lw")
    svc = CitizenReportService(store, known_desa=None)
    nomor = svc.submit(_payload(id_keluarga="k9"), caller="c", foto=PNG)["nomor"]
    again = JsonFileReportStore(tmp_path / "lw")
    assert again.get(nomor).id_keluarga == "k9"
    assert again.reported_families() == ["k9"]
    assert len(list((tmp_path / "lw" / "foto").glob("*.png"))) == 1


# --- HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(api_db):
    from fastapi.testclient import TestClient

    from geo_service.api import create_app

    app = create_app(api_db.settings)  # the citizen router is included
    with TestClient(app) as c:
        yield c


def _desa_code(client, headers):
    r = client.get(f"/wilayah/kabupaten/{KAB_A}/desa", headers=headers)
    props = r.json()["features"][0]["properties"]
    return props.get("kode_desa") or props["kode"]


def test_routes_public_submit_and_lookup_without_family_data(client, tokens):
    kode = _desa_code(client, tokens["analis_a"])
    r = client.post(
        "/laporan-warga",
        data=_payload(kode_desa=kode, id_keluarga="DTSEN-x"),
        files={"foto": ("rumah.png", PNG, "image/png")},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert not FAMILY_KEYS & set(body)
    nomor = body["nomor"]
    got = client.get(f"/laporan-warga/{nomor}")
    assert got.status_code == 200 and got.json()["status"] == "diterima"
    assert not FAMILY_KEYS & set(got.json())
    assert client.get("/laporan-warga/LW-3324-250602-AAAAAAAA").status_code == 404
    bad = client.post("/laporan-warga?lang=en", data=_payload(kode_desa="33.24.99.9999", jenis="x"))
    assert bad.status_code == 422
    assert {d["kode_alasan"] for d in bad.json()["detail"]} == {
        "kode_desa_tidak_dikenal",
        "jenis_laporan_tidak_valid",
    }
    extra = client.post("/laporan-warga", data=_payload(kode_desa=kode, nik="1"))
    assert extra.status_code == 422

    # The queue is household-level: analis/admin of the kabupaten only.
    assert client.get(f"/laporan-warga?kode_kab={KAB_A}").status_code == 401
    assert (
        client.get(f"/laporan-warga?kode_kab={KAB_A}", headers=tokens["analis_b"]).status_code
        == 403
    )
    assert (
        client.get(f"/laporan-warga?kode_kab={KAB_A}", headers=tokens["opd_a"]).status_code == 403
    )
    q = client.get(f"/laporan-warga?kode_kab={KAB_A}", headers=tokens["analis_a"])
    assert q.status_code == 200 and nomor in {row["nomor"] for row in q.json()["baris"]}
    ch = client.patch(
        f"/laporan-warga/{nomor}/status", json={"status": "selesai"}, headers=tokens["analis_a"]
    )
    assert ch.status_code == 200 and ch.json()["status"] == "selesai"
    assert (
        client.patch(
            f"/laporan-warga/{nomor}/status", json={"status": "selesai"}, headers=tokens["analis_b"]
        ).status_code
        == 403
    )


def test_routes_rate_limited(client, tokens):
    kode = _desa_code(client, tokens["analis_a"])
    codes = [
        client.post("/laporan-warga", data=_payload(kode_desa=kode)).status_code for _ in range(6)
    ]
    assert codes[-1] == 429 and 201 in codes
    again = client.post("/laporan-warga", data=_payload(kode_desa=kode))
    assert again.json()["kode"] == "terlalu_sering"  # the one error table maps it to 429
    assert again.headers["retry-after"] == "3600"


def test_reports_are_kept_in_the_database(client):
    """Reports submitted over HTTP are rows of ``laporan_warga`` (photo in its own table)."""
    from sqlalchemy import text

    with client.app.state.engine.connect() as con:  # the app's SQLite library, not sqlite3
        rows = con.execute(text("SELECT nomor, kode_kab, status FROM laporan_warga")).all()
        photos = [
            tuple(r)
            for r in con.execute(text("SELECT jenis, length(data) FROM laporan_warga_foto")).all()
        ]
        audit = con.execute(
            text("SELECT count(*) FROM audit_log WHERE aksi = 'baca_laporan_warga'")
        ).scalar_one()
    assert rows and all(kab == KAB_A for _, kab, _ in rows)
    assert {s for _, _, s in rows} >= {"selesai", "diterima"}
    assert photos == [("png", len(PNG))]
    assert audit >= 1  # reading the queue is a household-level read


def test_cli_report_loop_flag_queue_verify(tmp_path):
    """A report naming a family: the next sample flags it first, the report is queued, and
    the imported field result marks it verified."""
    from typer.testing import CliRunner

    from geo_service.cli import app
    from geo_service.io.boundaries import read_boundaries, read_bps
    from geo_service.io.export import write_geojson
    from geo_service.io.keluarga import write_keluarga
    from geo_service.io.uji_petik import SampleStore
    from geo_service.synth import calibration_from_bps, generate_keluarga
    from tests.fixtures import DATA, KENDAL_DESA

    desa = read_boundaries(KENDAL_DESA)
    desa = desa[desa["kode_kec"] == sorted(desa["kode_kec"].unique())[1]]
    fam = generate_keluarga(
        desa,
        calibration_from_bps(read_bps(DATA), "33.24"),
        n_keluarga=1200,
        periode="2025-03",
        seed=3,
    ).keluarga
    write_keluarga(fam, tmp_path / "k.parquet")
    write_geojson(desa, tmp_path / "desa.geojson")
    target = fam.iloc[17]
    svc = CitizenReportService(JsonFileReportStore(tmp_path / "lw"))
    nomor = svc.submit(
        _payload(kode_desa=target["kode_desa"], id_keluarga=target["id_keluarga"]), caller="warga"
    )["nomor"]
    run = CliRunner().invoke(
        app,
        [
            "uji-petik",
            "sample",
            "--keluarga",
            str(tmp_path / "k.parquet"),
            "--boundaries",
            str(tmp_path / "desa.geojson"),
            "--seed",
            "1",
            "--per-desa",
            "4",
            "--format",
            "csv",
            "--tanpa-prioritas",
            "--laporan-warga",
            str(tmp_path / "lw"),
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert run.exit_code == 0, run.output
    daftar = SampleStore(tmp_path / "s").sample().daftar
    first = daftar.sort_values("urutan").iloc[0]
    assert first["id_keluarga"] == target["id_keluarga"]
    assert first["alasan"].startswith("laporan_warga")
    assert JsonFileReportStore(tmp_path / "lw").get(nomor).status == "antre_uji_petik"

    sheet = pd.DataFrame(
        {
            "id_keluarga": [target["id_keluarga"]],
            "status": ["sesuai"],
            "petugas": ["Bu Sari"],
            "tanggal": ["2025-06-05"],
        }
    )
    sheet.to_csv(tmp_path / "hasil.csv", index=False)
    run = CliRunner().invoke(
        app,
        [
            "uji-petik",
            "import",
            str(tmp_path / "hasil.csv"),
            "--sampel",
            str(tmp_path / "s"),
            "--laporan-warga",
            str(tmp_path / "lw"),
            "--tanggal-hari-ini",
            "2025-12-31",
        ],
    )
    assert run.exit_code == 0, run.output
    assert JsonFileReportStore(tmp_path / "lw").get(nomor).status == "diverifikasi"


def test_routes_take_their_rate_limits_from_the_settings(api_db, tokens):
    """``GEO_RATE_CEK_PER_JAM`` (here 2) limits status look-ups per caller: the third is 429."""
    from fastapi.testclient import TestClient

    from geo_service.api import create_app
    from geo_service.settings import RateLimitSettings

    settings = api_db.settings.model_copy(update={"rate_limits": RateLimitSettings(cek_per_jam=2)})
    with TestClient(create_app(settings)) as c:
        codes = [c.get("/laporan-warga/LW-3324-250602-AAAAAAAA").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
