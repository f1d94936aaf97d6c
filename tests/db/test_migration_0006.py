"""Migration 0006 on both backends: the family key becomes a separate unique index, the
batch reference a statement-level check; rows, geometry and spatial index survive upgrade
and downgrade, and the checks refuse what the old constraints refused."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from geo_service.db import head_revision, upgrade
from geo_service.db.migrate import downgrade

UQ = "uq_keluarga_periode_kode_kab_id_keluarga"


def _add_batch(conn, sha: str = "abc") -> int:
    return conn.execute(
        text(
            "INSERT INTO impor_batch (jenis, berkas, sha256, ukuran_byte, kode_kab, status, "
            "sebagian, ganti, mulai, n_baris, n_sah, n_ditolak, n_masalah, laporan) VALUES "
            "('keluarga', 'a.csv', :sha, 1, '[]', 'selesai', false, false, "
            "'2025-03-01 00:00:00', 0, 0, 0, 0, '{}') RETURNING id"
        ),
        {"sha": sha},
    ).scalar_one()


def _add_family(conn, batch_id: int, fid: str, lon: float | None = 110.1) -> None:
    point = "NULL" if lon is None else f"ST_GeomFromText('POINT({lon} -7.0)', 4326)"
    conn.execute(
        text(
            "INSERT INTO keluarga (batch_id, periode, kode_kab, id_keluarga, kode_desa, lat, lon, "
            "jumlah_art, desil, penerima_pkh, penerima_bpnt, penerima_pbi_jk, penerima_blt, "
            "rumah_tidak_layak, tanpa_jamban, air_minum_tidak_layak, tanpa_listrik, "
            "kk_tidak_tamat_sd, anak_tidak_sekolah, kk_tidak_bekerja, baris, status_lokasi, "
            "lokasi_tidak_sesuai, geom) VALUES (:b, '2025-03', '33.24', :f, '33.24.01.2001', "
            f"-7.0, :lon, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 'di_desa', false, {point})"
        ),
        {"b": batch_id, "f": fid, "lon": lon},
    )


def _families(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id, batch_id, id_keluarga, ST_AsText(geom) FROM keluarga ORDER BY id")
        ).all()


def _keluarga_shape(engine) -> tuple[set, set, list]:
    insp = inspect(engine)
    uniques = {u["name"] for u in insp.get_unique_constraints("keluarga")}
    unique_indexes = {i["name"] for i in insp.get_indexes("keluarga") if i["unique"]}
    fks = [fk["referred_table"] for fk in insp.get_foreign_keys("keluarga")]
    return uniques, unique_indexes, fks


def _spatial_index_ok(engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("SELECT CheckSpatialIndex('keluarga', 'geom')")).scalar() == 1
            n = conn.execute(text("SELECT count(*) FROM idx_keluarga_geom")).scalar()
        else:
            n = conn.execute(
                text(
                    "SELECT count(*) FROM keluarga WHERE geom && "
                    "ST_MakeEnvelope(110, -8, 111, -6, 4326)"
                )
            ).scalar()
        assert n == 2  # the two families with a point, found through the index


def test_upgrade_and_downgrade_keep_rows_and_swap_the_constraints(db_engine):
    downgrade(db_engine, "0005")
    with db_engine.begin() as conn:
        b = _add_batch(conn)
        for fid, lon in [("A", 110.1), ("B", None), ("C", 110.2)]:
            _add_family(conn, b, fid, lon)
    rows = _families(db_engine)
    assert _keluarga_shape(db_engine)[0] == {UQ} and _keluarga_shape(db_engine)[2] == [
        "impor_batch"
    ]

    assert upgrade(db_engine) == head_revision()
    assert _families(db_engine) == rows
    uniques, unique_indexes, fks = _keluarga_shape(db_engine)
    assert uniques == set() and UQ in unique_indexes and fks == []
    _spatial_index_ok(db_engine)

    downgrade(db_engine, "0005")
    assert _families(db_engine) == rows
    uniques, unique_indexes, fks = _keluarga_shape(db_engine)
    assert uniques == {UQ} and fks == ["impor_batch"]
    _spatial_index_ok(db_engine)
    assert upgrade(db_engine) == head_revision()
    _spatial_index_ok(db_engine)


def test_statement_checks_refuse_what_the_foreign_key_refused(db_engine):
    with db_engine.begin() as conn:
        b = _add_batch(conn)
        _add_family(conn, b, "A")
    with pytest.raises(DBAPIError) as err, db_engine.begin() as conn:
        _add_family(conn, b + 1000, "B")  # no such batch
    assert "impor_batch yang tidak ada" in str(err.value)
    with pytest.raises(DBAPIError) as err, db_engine.begin() as conn:
        conn.execute(text("UPDATE keluarga SET batch_id = :x"), {"x": b + 1000})
    assert "impor_batch yang tidak ada" in str(err.value)
    with pytest.raises(DBAPIError) as err, db_engine.begin() as conn:
        conn.execute(text("DELETE FROM impor_batch WHERE id = :b"), {"b": b})
    assert "masih dirujuk" in str(err.value)
    with pytest.raises(DBAPIError) as err, db_engine.begin() as conn:
        conn.execute(text("UPDATE impor_batch SET id = id + 1000 WHERE id = :b"), {"b": b})
    assert "masih dirujuk" in str(err.value)
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        _add_family(conn, b, "A")  # the unique index holds the natural key
    with db_engine.begin() as conn:  # an unreferenced batch may go; status updates pass
        other = _add_batch(conn, sha="def")
        conn.execute(text("UPDATE impor_batch SET status = 'gagal' WHERE id = :b"), {"b": b})
        conn.execute(text("DELETE FROM impor_batch WHERE id = :o"), {"o": other})
    assert [r[2] for r in _families(db_engine)] == ["A"]
