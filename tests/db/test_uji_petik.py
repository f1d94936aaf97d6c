"""Ground checks and citizen reports in the database, on both backends: a stored sample
comes back as the file store gives it, field results are imported all-or-nothing and
idempotently (one result per sample and family), progress and error rates come from the
stored results, citizen reports live in their table, and everything is scoped."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from geo_service.analysis import uji_petik as G
from geo_service.db import make_session_factory
from geo_service.db import models as M
from geo_service.db.repo import Scope
from geo_service.db.repo import laporan_warga as LR
from geo_service.db.repo import uji_petik as GR
from geo_service.errors import AccessDeniedError, NotFoundError
from geo_service.io import uji_petik as F
from geo_service.services.laporan_warga import CitizenReportService, RateLimiter

KAB, PERIODE = "33.24", "2025-03"
MINE, OTHERS = Scope.of(KAB), Scope.of("33.20")
TODAY = date(2025, 12, 31)


@pytest.fixture(scope="module")
def desa(kendal_sample):
    return kendal_sample[0]


@pytest.fixture(scope="module")
def sample(kendal_sample):
    return kendal_sample[1]


@pytest.fixture()
def stored(db_engine, sample, tmp_path):
    """The sample saved in the database and in a file store."""
    factory = make_session_factory(db_engine)
    with factory() as s:
        sid = GR.save_sample(s, sample, kode_kab=KAB, periode=PERIODE, scope=MINE)
        s.commit()
    store = F.SampleStore.create(tmp_path / "sampel", sample, kode_kab=KAB, periode=PERIODE)
    return {"factory": factory, "id": sid, "store": store}


def _filled(sample, tmp_path, k=6, name="hasil.csv", edits=None):
    """A returned CSV of the first desa: the first k rows visited, row 1 changed."""
    out = tmp_path / "ekspor"
    kode = sample.daftar["kode_desa"].iloc[0]
    F.export_sample(sample.daftar, _no_desa(), out, formats=("csv",))
    frame = pd.read_csv(
        out / f"uji_petik_{kode}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    frame.loc[: k - 1, "status"] = "sesuai"
    frame.loc[: k - 1, "petugas"] = "Bu Sari"
    frame.loc[: k - 1, "tanggal"] = "2025-06-02"
    frame.loc[1, "status"] = "kondisi_berubah"
    frame.loc[1, "rumah_tidak_layak"] = "1" if frame.loc[1, "rumah_tidak_layak"] == "0" else "0"
    for (row, col), value in (edits or {}).items():
        frame.loc[row, col] = value
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _no_desa():
    import geopandas as gpd

    return gpd.GeoDataFrame({"kode": [], "nama": []}, geometry=[], crs=4326)


def _import(factory, sid, path, *, scope=MINE, partial=False):
    data = path.read_bytes()
    with factory() as s:
        out = GR.import_results(
            s,
            sid,
            F.read_field_results(path),
            scope=scope,
            berkas=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            ukuran_byte=len(data),
            partial=partial,
            today=TODAY,
        )
        s.commit()
    return out


def _count(factory, model, **where):
    with factory() as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.execute(stmt).scalar_one()


def test_sample_comes_back_as_the_file_store_gives_it(stored, sample):
    with stored["factory"]() as s:
        back = GR.load_sample(s, stored["id"], scope=MINE)
        info = GR.get_sample_info(s, stored["id"], scope=MINE)
    files = stored["store"].sample()
    pd.testing.assert_frame_equal(back.daftar, files.daftar)
    pd.testing.assert_frame_equal(back.design, files.design)
    assert back.params == sample.params == files.params
    assert (back.n_bendera, back.n_bendera_dipotong) == (files.n_bendera, files.n_bendera_dipotong)
    assert info.kode == stored["store"].meta["id"]
    assert info.n_item == len(sample.daftar) and info.n_acak == len(sample.acak)
    assert _count(stored["factory"], M.UjiPetikItem, sampel_id=stored["id"]) == len(sample.daftar)


def test_samples_are_scoped(stored, sample):
    with stored["factory"]() as s:
        for fn in (GR.load_sample, GR.get_sample_info, GR.load_results, GR.sample_progress):
            with pytest.raises(NotFoundError):
                fn(s, stored["id"], scope=OTHERS)
        assert GR.list_samples(s, scope=OTHERS) == []
        assert [i.id for i in GR.list_samples(s, scope=MINE)] == [stored["id"]]
        with pytest.raises(AccessDeniedError):
            GR.save_sample(s, sample, kode_kab=KAB, periode=PERIODE, scope=OTHERS)
        with pytest.raises(AccessDeniedError):
            GR.list_samples(s, scope=OTHERS, kode_kab=KAB)


def test_import_twice_changes_nothing_and_matches_the_file_store(stored, sample, tmp_path):
    factory, sid = stored["factory"], stored["id"]
    path = _filled(
        sample, tmp_path, edits={(1, "lat_baru"): "-6.951234", (1, "lon_baru"): "110.201234"}
    )
    first = _import(factory, sid, path)
    assert first.status == "selesai" and first.summary.baru == 6
    with factory() as s:
        results = GR.load_results(s, sid, scope=MINE)
    F.import_field_results(path, stored["store"], today=TODAY)
    pd.testing.assert_frame_equal(results, stored["store"].results())
    assert (results["perubahan"] != "{}").sum() == 1
    moved = results.dropna(subset=["lat_baru"])  # the new geotag is the result's point
    assert moved[["lat_baru", "lon_baru"]].values.tolist() == [[-6.951234, 110.201234]]
    n_batches = _count(factory, M.ImporBatch)

    again = _import(factory, sid, path)
    assert again.status == GR.STATUS_SUDAH_ADA and again.batch_id == first.batch_id
    assert _count(factory, M.ImporBatch) == n_batches  # nothing written at all
    # The same rows in another file: a new batch, the same results.
    copy = tmp_path / "salinan.csv"
    copy.write_bytes(path.read_bytes() + b"\n")
    other = _import(factory, sid, copy)
    assert other.status == "selesai" and not other.summary.berubah and other.summary.sama == 6
    with factory() as s:
        pd.testing.assert_frame_equal(GR.load_results(s, sid, scope=MINE), results)
        batch = s.get(M.ImporBatch, first.batch_id)
        assert (batch.jenis, batch.status, batch.kode_kab) == ("uji_petik", "selesai", [KAB])
        assert batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _count(factory, M.UjiPetikHasil, sampel_id=sid) == 6


def test_a_later_result_replaces_the_earlier_one(stored, sample, tmp_path):
    factory, sid = stored["factory"], stored["id"]
    _import(factory, sid, _filled(sample, tmp_path))
    later = _filled(
        sample,
        tmp_path,
        name="later.csv",
        edits={(0, "status"): "tidak_ditemukan", (0, "tanggal"): "2025-06-09"},
    )
    out = _import(factory, sid, later)
    assert (out.summary.baru, out.summary.diperbarui, out.summary.sama) == (0, 1, 5)
    with factory() as s:
        res = GR.load_results(s, sid, scope=MINE).set_index("id_keluarga")
    first_id = pd.read_csv(later, dtype=str, encoding="utf-8-sig")["id_keluarga"].iloc[0]
    assert res.loc[first_id, "status"] == "tidak_ditemukan"
    assert res.loc[first_id, "tanggal"] == "2025-06-09"
    assert _count(factory, M.UjiPetikHasil, sampel_id=sid) == 6


def test_wrong_status_or_unknown_family_imports_nothing(stored, sample, tmp_path):
    factory, sid = stored["factory"], stored["id"]
    path = _filled(
        sample,
        tmp_path,
        edits={(0, "status"): "salah_ketik", (2, "id_keluarga"): "DTSEN-3324-0000000000"},
    )
    out = _import(factory, sid, path)
    assert out.status == "gagal" and not out.diimpor
    assert _count(factory, M.UjiPetikHasil) == 0
    with factory() as s:
        problems = s.execute(
            select(M.ImporMasalah.baris, M.ImporMasalah.kode_alasan).where(
                M.ImporMasalah.batch_id == out.batch_id
            )
        ).all()
        batch = s.get(M.ImporBatch, out.batch_id)
    assert set(problems) == {(2, "status_tidak_valid"), (4, "keluarga_tidak_dalam_sampel")}
    assert batch.status == "gagal" and batch.n_sah == 0 and batch.n_masalah == 2
    partial = _import(factory, sid, path, partial=True)
    assert partial.status == "selesai" and partial.summary.baru == 4
    assert _count(factory, M.UjiPetikHasil, sampel_id=sid) == 4


def test_one_result_per_sample_and_family(stored):
    factory, sid = stored["factory"], stored["id"]
    row = {"sampel_id": sid, "id_keluarga": "X-1", "status": "sesuai", "perubahan": {}}
    with factory() as s:
        s.execute(insert(M.UjiPetikHasil), [row])
        with pytest.raises(IntegrityError):
            s.execute(insert(M.UjiPetikHasil), [row])
        s.rollback()


def test_import_into_a_sample_outside_the_scope_is_not_found(stored, sample, tmp_path):
    with pytest.raises(NotFoundError):
        _import(stored["factory"], stored["id"], _filled(sample, tmp_path), scope=OTHERS)
    assert _count(stored["factory"], M.ImporBatch) == 0


def test_progress_and_error_rates_from_stored_results(stored, sample, tmp_path):
    factory, sid = stored["factory"], stored["id"]
    path = _filled(sample, tmp_path, k=8)
    _import(factory, sid, path)
    F.import_field_results(path, stored["store"], today=TODAY)
    files = stored["store"]
    expected = G.sample_progress(files.sample().daftar, files.results())
    expected_est = G.estimate_error_rate(
        files.sample().daftar, files.sample().design, files.results()
    )
    with factory() as s:
        prog = GR.sample_progress(s, sid, scope=MINE)
        est = GR.error_rates(s, sid, scope=MINE, kelompok=None)
        by_desa = GR.error_rates(s, sid, scope=MINE, kelompok="desa")
    pd.testing.assert_frame_equal(prog[expected.columns], expected)
    assert prog["n_selesai"].sum() == 8 and prog["n_kondisi_berubah"].sum() == 1
    pd.testing.assert_frame_equal(est.drop(columns="teks"), expected_est)
    assert by_desa["kelompok"].iloc[-1] == "kabupaten"
    assert len(by_desa) == sample.daftar["kode_desa"].nunique() + 1
    assert est["teks"].iloc[-1].startswith("kabupaten:")


# --- citizen reports ------------------------------------------------------------------


def _service(factory, clock):
    seq = iter(range(1, 1000))
    return CitizenReportService(
        LR.DbReportStore(factory),
        known_desa={"33.24.01.2001", "33.20.01.2001"},
        limiter=RateLimiter({3600: 100}),
        clock=lambda: clock[0],
        number=lambda now, kab: f"LW-{kab.replace('.', '')}-{now:%y%m%d}-{next(seq):08d}",
    )


def test_citizen_reports_in_the_database(db_engine, sample):
    factory = make_session_factory(db_engine)
    clock = [datetime(2025, 6, 2, 8, 0, tzinfo=UTC)]
    svc = _service(factory, clock)
    fam = sample.daftar["id_keluarga"].iloc[0]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    a = svc.submit(
        {
            "kode_desa": "33.24.01.2001",
            "jenis": "keberatan_penerima",
            "keterangan": "Punya toko.",
            "id_keluarga": fam,
            "lat": -6.95,
            "lon": 110.2,
        },
        caller="x",
        foto=png,
    )
    b = svc.submit(
        {"kode_desa": "33.20.01.2001", "jenis": "usulan_penerima", "keterangan": "Belum menerima."},
        caller="y",
    )
    assert a["status"] == "diterima" and "id_keluarga" not in a
    # A fresh service over the same database sees the same reports.
    again = _service(factory, clock)
    assert again.status(a["nomor"])["nomor"] == a["nomor"]
    stored = again.store.get(a["nomor"])
    assert (stored.id_keluarga, stored.lat, stored.lon) == (fam, -6.95, 110.2)
    assert again.store.photo(stored.foto_sha256) == ("png", png)
    with factory() as s:
        mine = LR.citizen_reports(s, scope=MINE, kode_kab=KAB)
        assert [r.nomor for r in mine] == [a["nomor"]]
        assert [r.nomor for r in LR.citizen_reports(s, scope=OTHERS)] == [b["nomor"]]
        with pytest.raises(AccessDeniedError):
            LR.citizen_reports(s, scope=OTHERS, kode_kab=KAB)
        assert LR.reported_families(s, KAB, scope=MINE) == [fam]
    # 15 days later it is overdue; queued by a sample, verified by a result.
    clock[0] = datetime(2025, 6, 17, 9, 0, tzinfo=UTC)
    assert again.status(a["nomor"])["terlambat"] is True
    with factory() as s:
        sid = GR.save_sample(s, sample, kode_kab=KAB, periode=PERIODE, scope=MINE)
        assert (
            LR.mark_reports_queued(
                s, sample.daftar["id_keluarga"], "UP-x", kode_kab=KAB, scope=MINE, now=clock[0]
            )
            == 1
        )
        s.execute(
            insert(M.UjiPetikHasil),
            [{"sampel_id": sid, "id_keluarga": fam, "status": "sesuai", "perubahan": {}}],
        )
        assert LR.close_reports_from_results(s, sid, scope=MINE, now=clock[0]) == 1
        s.commit()
    final = again.store.get(a["nomor"])
    assert (final.status, final.sampel_id) == ("diverifikasi", "UP-x")
    assert again.status(a["nomor"])["terlambat"] is False
    assert again.store.get(b["nomor"]).status == "diterima"
