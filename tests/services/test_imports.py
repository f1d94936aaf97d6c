"""Family imports on both backends: idempotent, all-or-nothing with the full report, --partial
with quarantine, every reason code, chunked streaming, snapshots replaced never duplicated,
corrupted files leave only the failed batch."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, text

from geo_service.analysis import schema as S
from geo_service.analysis.locate import cells_to_str, h3_cells, locate_keluarga
from geo_service.analysis.validate import validate_keluarga
from geo_service.db import make_session_factory
from geo_service.db.repo import (
    Scope,
    batch_problems,
    get_batch,
    keluarga_frame,
    list_snapshots,
    quarantined_rows,
)
from geo_service.errors import DuplicateError, InvalidInputError, NotFoundError
from geo_service.io.boundaries import read_boundaries
from geo_service.io.keluarga import read_keluarga
from geo_service.services import imports as importers
from geo_service.services.imports import import_boundaries, import_keluarga
from geo_service.settings import PROJECT_ROOT

KENDAL = PROJECT_ROOT / "data" / "boundaries" / "desa_33.24_kendal.geojson"
TABLES = [
    "impor_batch",
    "impor_masalah",
    "karantina",
    "keluarga",
    "keluarga_snapshot",
    "desa",
    "kecamatan",
    "kabupaten",
    "provinsi",
    "batas_versi",
]


def state(engine) -> dict[str, object]:
    """Row counts of every storage table plus a digest of the family rows."""
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        out["keluarga_rows"] = conn.execute(
            text(
                "SELECT periode, id_keluarga, kode_desa, jumlah_art, desil FROM keluarga "
                "ORDER BY periode, id_keluarga"
            )
        ).all()
        out["batches"] = conn.execute(text("SELECT id, status FROM impor_batch ORDER BY id")).all()
    return out


@pytest.fixture
def kendal_db(db_engine, db_settings):
    import_boundaries(db_engine, KENDAL, settings=db_settings)
    return db_engine


def _session(engine):
    return make_session_factory(engine)()


# --- a hand-made file with one row per reason code -------------------------------------

GOOD = {
    "id_keluarga": "OK-1",
    "periode": "2025-03",
    "kode_desa": "33.24.01.2001",
    "lat": "-7.05",
    "lon": "110.05",
    "jumlah_art": "4",
    "desil": "1",
    "pengeluaran_kapita": "350000",
    **{c: "0" for c in S.FLAG_COLUMNS},
}

BAD_ROWS = {  # reason code -> changes to a good row
    "kolom_wajib_kosong": {"desil": ""},
    "desil_di_luar_rentang": {"desil": "11"},
    "kode_desa_salah_format": {"kode_desa": "3324012001"},
    "kode_desa_tidak_dikenal": {"kode_desa": "33.24.99.9999"},
    "jumlah_art_tidak_valid": {"jumlah_art": "0"},
    "koordinat_di_luar_indonesia": {"lat": "51.5", "lon": "0.12"},
    "koordinat_tertukar": {"lat": "110.2", "lon": "-6.95"},
    "periode_salah_format": {"periode": "03/2025"},
    "id_keluarga_tidak_valid": {"id_keluarga": "X" * 65},
    "koordinat_tidak_lengkap": {"lon": ""},
    "koordinat_tidak_valid": {"lat": "utara"},
    "nilai_biner_tidak_valid": {"penerima_pkh": "2"},
    "pengeluaran_tidak_valid": {"pengeluaran_kapita": "-5"},
}


def every_reason_frame() -> pd.DataFrame:
    """Good rows, one bad row per reason code, and one id twice, far apart (other chunks)."""
    rows = []
    for i in range(6):
        rows.append(
            GOOD
            | {
                "id_keluarga": f"OK-{i}",
                "kode_desa": f"33.24.01.200{i + 1}",
                "desil": str(i % 3 + 1),
            }
        )
    rows.append(GOOD | {"id_keluarga": "DUP-1"})
    for code, change in BAD_ROWS.items():
        rows.append(GOOD | {"id_keluarga": f"BAD-{code}"} | change)
    rows.append(GOOD | {"id_keluarga": "OK-99", "lat": "", "lon": ""})  # not geotagged: fine
    rows.append(GOOD | {"id_keluarga": "DUP-1", "desil": "2"})
    return pd.DataFrame(rows, columns=S.ALL_COLUMNS)


def bad_row(code: str) -> int:
    """Spreadsheet row (header = 1) of the bad row of ``code`` in every_reason_frame()."""
    return 7 + list(BAD_ROWS).index(code) + 2


@pytest.fixture
def reason_file(tmp_path):
    path = tmp_path / "alasan.csv"
    every_reason_frame().to_csv(path, index=False)
    return path


def test_every_reason_code_is_reported_and_nothing_imported(kendal_db, db_settings, reason_file):
    before = state(kendal_db)
    with pytest.raises(InvalidInputError) as err:
        import_keluarga(
            kendal_db, reason_file, periode="2025-03", settings=db_settings, chunk_rows=5
        )
    report = err.value.detail
    assert report.status == "gagal"
    after = state(kendal_db)
    assert after["keluarga_rows"] == before["keluarga_rows"] == []
    assert after["karantina"] == 0 and after["keluarga_snapshot"] == 0
    assert after["impor_batch"] == before["impor_batch"] + 1

    expected_codes = set(BAD_ROWS) | {"id_keluarga_ganda"}
    assert set(report.masalah_per_kode) == expected_codes
    with _session(kendal_db) as s:
        batch = get_batch(s, report.batch_id, scope=Scope.all())
        stored = batch_problems(s, report.batch_id, scope=Scope.all())
    assert batch.status == "gagal" and "--partial" in batch.alasan
    # The chunked report equals the whole-file validator's report, row for row.
    whole = validate_keluarga(
        read_keluarga(reason_file), known_desa=read_boundaries(KENDAL)["kode"]
    )
    key = ["baris", "kode_alasan", "kolom"]
    got = stored.sort_values(key).reset_index(drop=True)
    want = whole.problems.sort_values(key).reset_index(drop=True)
    assert got["baris"].tolist() == want["baris"].astype(int).tolist()
    assert got["kode_alasan"].tolist() == want["kode_alasan"].tolist()
    assert got["nilai"].fillna("").tolist() == want["nilai"].fillna("").tolist()
    # each bad row is reported at its spreadsheet row with its own code
    frame = every_reason_frame()
    for code in BAD_ROWS:
        assert code in set(got.loc[got["baris"] == bad_row(code), "kode_alasan"])
    dup_rows = [int(i) + 2 for i in np.flatnonzero(frame["id_keluarga"] == "DUP-1")]
    assert sorted(got.loc[got["kode_alasan"] == "id_keluarga_ganda", "baris"]) == dup_rows


def test_partial_keeps_valid_rows_and_quarantines_the_rest(kendal_db, db_settings, reason_file):
    report = import_keluarga(
        kendal_db, reason_file, periode="2025-03", partial=True, settings=db_settings, chunk_rows=5
    )
    frame = every_reason_frame()
    whole = validate_keluarga(frame, known_desa=read_boundaries(KENDAL)["kode"])
    assert report.status == "selesai"
    assert report.n_sah == len(whole.valid) == 7
    assert report.n_ditolak == len(whole.rejected)
    with _session(kendal_db) as s:
        stored = keluarga_frame(s, "33.24", "2025-03", scope=Scope.all())
        quarantined = quarantined_rows(s, report.batch_id, scope=Scope.all())
        problems = batch_problems(s, report.batch_id, scope=Scope.all())
    assert sorted(stored["id_keluarga"]) == sorted(whole.valid["id_keluarga"])
    assert sorted(quarantined["baris"]) == sorted(whole.rejected["baris"])
    by_row = dict(zip(quarantined["baris"], quarantined["kode_alasan"], strict=True))
    for code in BAD_ROWS:
        assert code in by_row[bad_row(code)].split(",")
    # quarantine keeps the row as read, so nothing is lost
    bad_desil = quarantined[quarantined["kode_alasan"] == "desil_di_luar_rentang"]
    assert bad_desil["desil"].tolist() == ["11"]
    assert len(problems) == len(whole.problems)


def test_missing_required_column_fails_with_kolom_tidak_ada(kendal_db, db_settings, tmp_path):
    path = tmp_path / "tanpa_desil.csv"
    every_reason_frame().drop(columns="desil").to_csv(path, index=False)
    with pytest.raises(InvalidInputError) as err:
        import_keluarga(kendal_db, path, periode="2025-03", partial=True, settings=db_settings)
    assert "desil" in err.value.pesan
    assert err.value.detail.masalah_per_kode == {"kolom_tidak_ada": 1}
    with _session(kendal_db) as s:
        problems = batch_problems(s, err.value.detail.batch_id, scope=Scope.all())
    assert problems[["baris", "kolom", "kode_alasan"]].values.tolist() == [
        [1, "desil", "kolom_tidak_ada"]
    ]
    assert state(kendal_db)["keluarga"] == 0


def test_rows_of_another_periode_fail_the_file(kendal_db, db_settings, reason_file):
    with pytest.raises(InvalidInputError) as err:
        import_keluarga(
            kendal_db, reason_file, periode="2025-09", partial=True, settings=db_settings
        )
    assert "2025-03" in err.value.pesan
    assert state(kendal_db)["keluarga"] == 0


def test_families_need_boundaries_first(db_engine, db_settings, reason_file):
    with pytest.raises(NotFoundError) as err:
        import_keluarga(db_engine, reason_file, periode="2025-03", settings=db_settings)
    assert "import batas" in err.value.pesan


# --- real-sized synthetic data --------------------------------------------------------


def test_import_twice_leaves_one_copy(kendal_db, db_settings, kendal_keluarga):
    first = import_keluarga(
        kendal_db, kendal_keluarga["parquet"], periode="2025-03", settings=db_settings
    )
    after_first = state(kendal_db)
    second = import_keluarga(
        kendal_db, kendal_keluarga["parquet"], periode="2025-03", settings=db_settings
    )
    assert first.status == "selesai" and first.n_sah == 20_000
    assert second.status == "sudah_ada" and second.batch_id == first.batch_id
    assert state(kendal_db) == after_first
    assert after_first["keluarga"] == 20_000


def test_stored_families_equal_the_validated_file(kendal_db, db_settings, kendal_keluarga):
    import_keluarga(
        kendal_db, kendal_keluarga["csv"], periode="2025-03", settings=db_settings, chunk_rows=3_000
    )
    with _session(kendal_db) as s:
        stored = keluarga_frame(s, "33.24", "2025-03", scope=Scope.all(), with_location=True)
    desa = read_boundaries(KENDAL)
    valid = validate_keluarga(read_keluarga(kendal_keluarga["csv"]), known_desa=desa["kode"]).valid
    valid = valid.reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[valid.columns], valid)
    loc = locate_keluarga(valid, desa)
    assert (
        stored["kode_desa_lokasi"].fillna("-").tolist()
        == loc["kode_desa_lokasi"].fillna("-").tolist()
    )
    assert stored["status_lokasi"].tolist() == loc["status_lokasi"].tolist()
    assert stored["lokasi_tidak_sesuai"].tolist() == loc["lokasi_tidak_sesuai"].tolist()
    np.testing.assert_allclose(stored["jarak_m"], loc["jarak_m"])
    cells = cells_to_str(h3_cells(valid["lat"].to_numpy(), valid["lon"].to_numpy(), 8))
    geotag = valid["lat"].notna().to_numpy()
    assert stored["h3"][geotag].tolist() == cells[geotag].tolist()
    assert stored["h3"][~geotag].isna().all()
    with kendal_db.connect() as conn:
        n_geom = conn.execute(text("SELECT count(geom) FROM keluarga")).scalar()
        far = conn.execute(
            text(
                "SELECT count(*) FROM keluarga WHERE geom IS NOT NULL AND "
                "(abs(ST_X(geom) - lon) > 1e-9 OR abs(ST_Y(geom) - lat) > 1e-9)"
            )
        ).scalar()
    assert n_geom == int(geotag.sum()) and far == 0


def test_file_is_streamed_in_chunks(kendal_db, db_settings, kendal_keluarga, monkeypatch):
    sizes = []
    real = importers.keluarga.validate_keluarga

    def spy(df, **kw):
        sizes.append(len(df))
        return real(df, **kw)

    monkeypatch.setattr(importers.keluarga, "validate_keluarga", spy)
    import_keluarga(
        kendal_db,
        kendal_keluarga["parquet"],
        periode="2025-03",
        settings=db_settings,
        chunk_rows=4_000,
    )
    assert sizes == [4_000] * 5


def test_snapshot_is_replaced_only_when_asked(kendal_db, db_settings, kendal_keluarga, tmp_path):
    first = import_keluarga(
        kendal_db, kendal_keluarga["parquet"], periode="2025-03", settings=db_settings
    )
    smaller = tmp_path / "revisi.csv"
    kendal_keluarga["frame"].head(1_000).to_csv(smaller, index=False)
    before = state(kendal_db)
    with pytest.raises(DuplicateError) as err:
        import_keluarga(kendal_db, smaller, periode="2025-03", settings=db_settings)
    assert "--replace" in err.value.pesan
    after_refusal = state(kendal_db)
    assert after_refusal["keluarga_rows"] == before["keluarga_rows"]
    assert after_refusal["impor_batch"] == before["impor_batch"] + 1  # the refused one, failed

    second = import_keluarga(
        kendal_db, smaller, periode="2025-03", replace=True, settings=db_settings
    )
    assert second.diganti == [first.batch_id]
    with _session(kendal_db) as s:
        snaps = list_snapshots(s, scope=Scope.all())
        assert get_batch(s, first.batch_id, scope=Scope.all()).status == "diganti"
    assert snaps[["periode", "kode_kab", "batch_id", "n_keluarga"]].values.tolist() == [
        ["2025-03", "33.24", second.batch_id, 1_000]
    ]
    assert state(kendal_db)["keluarga"] == 1_000


def test_another_periode_is_a_second_snapshot(kendal_db, db_settings, kendal_keluarga, tmp_path):
    import_keluarga(kendal_db, kendal_keluarga["parquet"], periode="2025-03", settings=db_settings)
    other = tmp_path / "keluarga_2025-09.csv"
    kendal_keluarga["frame"].head(500).assign(periode="2025-09").to_csv(other, index=False)
    import_keluarga(kendal_db, other, periode="2025-09", settings=db_settings)
    with _session(kendal_db) as s:
        snaps = list_snapshots(s, scope=Scope.all())
    assert snaps[["periode", "n_keluarga"]].values.tolist() == [
        ["2025-09", 500],
        ["2025-03", 20_000],
    ]


def _corrupt_csv(src, dst, keep_rows):
    lines = src.read_bytes().splitlines(keepends=True)
    dst.write_bytes(
        b"".join(lines[:keep_rows])
        + b"DTSEN-x,2025-03,33.24.01.2001,\xff\xfe\xfa,"
        + b"".join(lines[keep_rows + 1 : keep_rows + 50])
    )


def _truncated_parquet(src, dst):
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind", ["csv_bad_bytes_mid_file", "parquet_truncated"])
def test_corrupted_file_leaves_only_the_failed_batch(
    kendal_db, db_settings, kendal_keluarga, tmp_path, kind
):
    if kind == "csv_bad_bytes_mid_file":
        path = tmp_path / "rusak.csv"
        _corrupt_csv(kendal_keluarga["csv"], path, keep_rows=12_000)
    else:
        path = tmp_path / "rusak.parquet"
        _truncated_parquet(kendal_keluarga["parquet"], path)
    before = state(kendal_db)
    with pytest.raises(InvalidInputError) as err:
        import_keluarga(kendal_db, path, periode="2025-03", settings=db_settings, chunk_rows=4_000)
    assert "tidak ada data yang tersimpan" in err.value.pesan
    after = state(kendal_db)
    assert after["keluarga_rows"] == before["keluarga_rows"]
    for t in ["keluarga", "karantina", "keluarga_snapshot", "impor_masalah"]:
        assert after[t] == before[t]
    assert after["batches"] == before["batches"] + [(err.value.detail.batch_id, "gagal")]
    with _session(kendal_db) as s:
        assert get_batch(s, err.value.detail.batch_id, scope=Scope.all()).alasan


def test_progress_reports_rows(kendal_db, db_settings, kendal_keluarga):
    seen = []
    import_keluarga(
        kendal_db,
        kendal_keluarga["csv"],
        periode="2025-03",
        settings=db_settings,
        chunk_rows=6_000,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(6_000, 20_000), (12_000, 20_000), (18_000, 20_000), (20_000, 20_000)]
    assert math.isclose(seen[-1][0] / seen[-1][1], 1.0)


def test_chunk_rows_are_stored_in_desa_and_key_order():
    """in_key_order sorts a chunk's rows by located desa, kode_kab and id_keluarga (byte
    order, missing desa last), keeping every row and every column type."""
    from geo_service.services.imports.keluarga_rows import in_key_order

    rows = pd.DataFrame(
        {
            "kode_desa_lokasi": pd.array(["33.24.02", None, "33.24.01", "33.24.02"], "string"),
            "kode_kab": ["33.24", "33.24", "33.24", "33.24"],
            S.ID: pd.array(["b", "a", "Z", "B"], dtype="str"),
            "baris": np.array([2, 3, 4, 5], dtype="int64"),
        }
    )
    got = in_key_order(rows)
    assert got["baris"].tolist() == [4, 5, 2, 3]  # "B" < "b": bytes, not a locale
    assert got.dtypes.equals(rows.dtypes) and list(got.index) == [0, 1, 2, 3]


def test_imported_families_have_their_indexes_and_a_working_spatial_index(
    kendal_db, db_settings, kendal_keluarga, tmp_path
):
    """After a (large, indexes rebuilt) family import every index of keluarga is back, and a
    box query through the spatial index (SpatiaLite: the R*Tree, written packed; PostGIS:
    GiST, scans off) finds exactly the families a scan of lon/lat finds; the same after a
    replacing import, whose deletes empty the R*Tree inside the transaction first."""
    import_keluarga(
        kendal_db,
        kendal_keluarga["parquet"],
        periode="2025-03",
        settings=db_settings,
        chunk_rows=3_000,
    )
    _check_indexes_and_spatial_queries(kendal_db)
    revisi = tmp_path / "revisi.csv"
    kendal_keluarga["frame"].tail(5_000).to_csv(revisi, index=False)
    report = import_keluarga(
        kendal_db, revisi, periode="2025-03", replace=True, settings=db_settings, chunk_rows=2_000
    )
    assert report.diganti and report.n_sah == 5_000
    _check_indexes_and_spatial_queries(kendal_db)


def _check_indexes_and_spatial_queries(engine) -> None:
    boxes = [(110.1, 110.2, -7.0, -6.95), (110.0, 110.5, -7.2, -6.8), (110.3, 110.31, -7.1, -7.0)]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        names = {i["name"]: bool(i["unique"]) for i in inspect(conn).get_indexes("keluarga")}
        assert names == {
            "uq_keluarga_periode_kode_kab_id_keluarga": True,
            "ix_keluarga_batch_id": False,
            "ix_keluarga_kode_desa_lokasi": False,
            "idx_keluarga_geom": False,  # GiST; SpatiaLite's R*Tree as GeoAlchemy reports it
        }
        if sqlite:
            assert conn.exec_driver_sql("SELECT rtreecheck('idx_keluarga_geom')").scalar() == "ok"
            assert (
                conn.exec_driver_sql("SELECT CheckSpatialIndex('keluarga', 'geom')").scalar() == 1
            )
            n_geom = conn.exec_driver_sql("SELECT count(geom) FROM keluarga").scalar()
            assert conn.exec_driver_sql("SELECT count(*) FROM idx_keluarga_geom").scalar() == n_geom
        n_found = 0
        for x0, x1, y0, y1 in boxes:
            exact = f"lon BETWEEN {x0} AND {x1} AND lat BETWEEN {y0} AND {y1}"
            scan = list(
                conn.exec_driver_sql(f"SELECT id FROM keluarga WHERE {exact} ORDER BY id").scalars()
            )
            if sqlite:
                through_sql = (
                    "SELECT id FROM keluarga WHERE rowid IN (SELECT pkid FROM idx_keluarga_geom "
                    f"WHERE xmin <= {x1} AND xmax >= {x0} AND ymin <= {y1} AND ymax >= {y0}) "
                    f"AND {exact} ORDER BY id"
                )
            else:
                conn.exec_driver_sql("SET enable_seqscan = off")
                through_sql = (
                    "SELECT id FROM keluarga WHERE geom && "
                    f"ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326) AND {exact} ORDER BY id"
                )
                plan = " ".join(conn.exec_driver_sql(f"EXPLAIN {through_sql}").scalars())
                assert "idx_keluarga_geom" in plan
            assert list(conn.exec_driver_sql(through_sql).scalars()) == scan
            n_found += len(scan)
            if not sqlite:
                conn.exec_driver_sql("RESET enable_seqscan")
        assert n_found > 200  # the boxes hold families
