"""The bulk loader on both backends: a large load drops and rebuilds the table's indexes
(the unique key included) inside the transaction, lists duplicate keys instead of storing
them, checks the batch reference once, and leaves the schema exactly as it found it."""

from __future__ import annotations

import pandas as pd
import pytest
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import inspect, text

from geo_service.analysis import schema as S
from geo_service.db.bulk import BulkLoader, Encoded
from geo_service.errors import DuplicateError, InvalidInputError


def _batch(engine) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO impor_batch (jenis, berkas, sha256, ukuran_byte, kode_kab, status, "
                "sebagian, ganti, mulai, n_baris, n_sah, n_ditolak, n_masalah, laporan) VALUES "
                "('keluarga', 'a.csv', 'abc', 1, '[]', 'berjalan', false, false, "
                "'2025-03-01 00:00:00', 0, 0, 0, 0, '{}') RETURNING id"
            )
        ).scalar_one()


def _rows(batch_id: int, ids: list[str], start: int = 0) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "batch_id": batch_id,
            "kode_kab": "33.24",
            S.ID: ids,
            S.PERIODE: "2025-03",
            S.KODE_DESA: "33.24.01.2001",
            "lat": [-7.0 - i * 1e-4 for i in range(start, start + n)],
            "lon": [110.1 + i * 1e-4 for i in range(start, start + n)],
            "jumlah_art": 4,
            "desil": 1,
            **{c: 0 for c in S.FLAG_COLUMNS},
            "baris": range(2, n + 2),
            "pengeluaran_kapita": pd.array([None] * n, dtype="Int64"),
            "kode_desa_lokasi": "33.24.01.2001",
            "status_lokasi": "di_desa",
            "jarak_m": 0.0,
            "lokasi_tidak_sesuai": False,
            "h3": None,
        }
    )
    frame.loc[0, ["lat", "lon"]] = None  # one family without a geotag
    return frame


def _schema(engine) -> tuple:
    insp = inspect(engine)
    indexes = sorted((i["name"], bool(i["unique"])) for i in insp.get_indexes("keluarga"))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            triggers = conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'keluarga' ORDER BY name"
                )
            ).scalars()
        else:
            triggers = conn.execute(
                text(
                    "SELECT tgname || ':' || tgenabled::text FROM pg_trigger WHERE tgrelid = "
                    "'keluarga'::regclass AND NOT tgisinternal ORDER BY tgname"
                )
            ).scalars()
        return indexes, list(triggers)


def _load(engine, frames: list[pd.DataFrame]) -> int:
    with engine.connect() as conn, conn.begin():
        loader = BulkLoader(
            conn, "keluarga", point=("lon", "lat"), expected_rows=sum(map(len, frames))
        )
        for f in frames:
            loader.add(f)
        return loader.finish()


def test_large_load_rebuilds_indexes_and_keeps_the_schema(db_engine):
    before = _schema(db_engine)
    assert ("uq_keluarga_periode_kode_kab_id_keluarga", True) in before[0]
    b = _batch(db_engine)
    frames = [_rows(b, [f"K-{i}" for i in range(k, k + 50)], k) for k in (0, 50)]
    assert _load(db_engine, frames) == 100
    assert _schema(db_engine) == before
    with db_engine.connect() as conn:
        n, n_geom = conn.execute(text("SELECT count(*), count(geom) FROM keluarga")).one()
        near = conn.execute(
            text(
                "SELECT id_keluarga FROM keluarga WHERE geom IS NOT NULL AND ST_Intersects(geom, "
                "ST_Buffer(ST_GeomFromText('POINT(110.1049 -7.0049)', 4326), 0.00005))"
            )
        ).scalars()
        assert list(near) == ["K-49"]  # the point is where its lon/lat say
        if db_engine.dialect.name == "sqlite":
            assert conn.execute(text("SELECT CheckSpatialIndex('keluarga', 'geom')")).scalar() == 1
    assert (n, n_geom) == (100, 98)  # K-0 and K-50 have no geotag


def test_duplicate_keys_are_listed_and_nothing_is_stored(db_engine):
    before = _schema(db_engine)
    b = _batch(db_engine)
    with pytest.raises(DuplicateError) as err:
        _load(db_engine, [_rows(b, ["A", "B", "C"]), _rows(b, ["C", "D", "A"])])
    assert "(2025-03, 33.24, A) 2x" in err.value.pesan
    assert "(2025-03, 33.24, C) 2x" in err.value.pesan and "D" not in err.value.pesan
    assert "periode, kode_kab, id_keluarga" in err.value.message
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM keluarga")).scalar() == 0
    assert _schema(db_engine) == before


def test_a_missing_batch_is_refused_once_for_the_load(db_engine):
    before = _schema(db_engine)
    b = _batch(db_engine)
    # A large load: one check after the load on both backends (SQLite: one query over the
    # new rows; PostgreSQL: the statement trigger is off during the load, the batch ids
    # sent are checked and locked once).
    with pytest.raises(InvalidInputError) as err:
        _load(db_engine, [_rows(b, ["A"]), _rows(b + 99, ["B"])])
    assert "impor_batch" in str(err.value) and str(b + 99) in str(err.value)
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM keluarga")).scalar() == 0
    assert _schema(db_engine) == before


def test_a_missing_batch_in_a_small_load_is_refused(db_engine):
    """A small load: PostgreSQL keeps its statement trigger (no table lock taken for it);
    SQLite checks the new rows in one query, as for any load."""
    b = _batch(db_engine)
    assert _load(db_engine, [_rows(b, [f"K-{i}" for i in range(100)])]) == 100
    before = _schema(db_engine)
    expected = InvalidInputError if db_engine.dialect.name == "sqlite" else ForeignKeyViolation
    with pytest.raises(expected) as err, db_engine.connect() as conn, conn.begin():
        loader = BulkLoader(conn, "keluarga", point=("lon", "lat"), expected_rows=2)
        loader.add(_rows(b + 99, ["X1", "X2"]))
        loader.finish()
    assert "impor_batch" in str(err.value)
    assert _schema(db_engine) == before


def test_a_duplicate_in_a_small_load_is_named(db_engine):
    """A small load into a larger table keeps the indexes: the unique index refuses the
    duplicate at once, as a DuplicateError naming the key, and nothing is stored."""
    b = _batch(db_engine)
    assert _load(db_engine, [_rows(b, [f"K-{i}" for i in range(100)])]) == 100
    with pytest.raises(DuplicateError) as err, db_engine.connect() as conn, conn.begin():
        loader = BulkLoader(conn, "keluarga", point=("lon", "lat"), expected_rows=2)
        loader.add(_rows(b, ["NEW-1", "K-7"], 500))
    assert "id_keluarga" in err.value.pesan and "Kunci ganda di keluarga" in err.value.pesan
    if db_engine.dialect.name == "postgresql":  # PostgreSQL names the values too
        assert "K-7" in err.value.pesan
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM keluarga")).scalar() == 100


def test_ids_increase_in_load_order_and_later_inserts_follow(db_engine):
    """A large load's serial ids (PostgreSQL: blocks of the sequence sent in the COPY)
    follow the load order; a later small load (the column default) gets higher ids."""
    b = _batch(db_engine)
    frames = [_rows(b, [f"K-{i}" for i in range(k, k + 50)], k) for k in (0, 50, 100)]
    assert _load(db_engine, frames) == 150
    assert _load(db_engine, [_rows(b, ["L-1", "L-2"])]) == 2
    with db_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, id_keluarga FROM keluarga ORDER BY id")).all()
    ids = [r[0] for r in rows]
    assert len(set(ids)) == 152
    assert [r[1] for r in rows] == [f"K-{i}" for i in range(150)] + ["L-1", "L-2"]
    assert ids[:150] == list(range(ids[0], ids[0] + 150))


def test_encoded_chunks_store_the_same_rows(db_engine):
    """PostgreSQL: after the first chunk the COPY fields of the next ones are built ahead
    (``encode``, on the caller's thread); what is stored is the same."""
    b = _batch(db_engine)
    frames = [_rows(b, [f"K-{i}" for i in range(k, k + 50)], k) for k in (0, 50, 100)]
    with db_engine.connect() as conn, conn.begin():
        loader = BulkLoader(conn, "keluarga", point=("lon", "lat"), expected_rows=150)
        assert loader.encode(frames[0]) is frames[0]  # column types not known yet
        loader.add(frames[0])
        for f in frames[1:]:
            chunk = loader.encode(f)
            assert isinstance(chunk, Encoded) == (db_engine.dialect.name == "postgresql")
            loader.add(chunk)
        assert loader.finish() == 150
    with db_engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT id_keluarga, baris, lat, lon, jarak_m, lokasi_tidak_sesuai, "
                "ST_X(geom), ST_Y(geom) FROM keluarga ORDER BY id"
            )
        ).all()
    assert [r[0] for r in got] == [f"K-{i}" for i in range(150)]
    assert got[51][1:4] == (3, -7.0 - 51 * 1e-4, 110.1 + 51 * 1e-4)
    assert got[51][6:] == (got[51][3], got[51][2])
    assert got[50][1:4] == (2, None, None) and got[50][6] is None  # no geotag
    assert got[50][4] == 0.0 and not got[50][5]


def test_sqlite_cheap_parameters_store_what_none_bool_and_bytes_store():
    """SQLite binds missing values as a value of another type under NULLIF (and NaN for
    floats), booleans as 1/0 and blobs as bytearray (pysqlite's fast path): the stored
    values and their storage classes are those of binding None / bool / bytes."""
    import numpy as np

    from geo_service.db.bulk_values import object_columns, sqlite_params
    from geo_service.db.engine import sqlite_module

    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, 0.0],
            "i": np.array([0, -3, 2**40], dtype="int64"),
            "ni": pd.array([0, None, 7], dtype="Int64"),
            "b": [True, False, True],
            "nb": pd.array([True, None, False], dtype="boolean"),
            "s": pd.array(["0", None, ""], dtype="string"),
            "a": pd.array(["x", "y", None], dtype="str"),
            "o": np.array(["teks", None, "0"], dtype=object),
            "blob": np.array([b"\x00\x01", None, b""], dtype=object),
            "mixed": np.array([1, "a", None], dtype=object),
        }
    )
    params, marks = sqlite_params(frame)
    assert "NULLIF(?, 0)" in marks and "NULLIF(?, '')" in marks
    for values in params:  # nothing on pysqlite's slow path but the mixed column
        assert not any(type(v) in (bool, bytes, np.bool_) for v in values)
    db = sqlite_module().connect(":memory:")
    cols = ", ".join(frame.columns)
    db.execute(f"CREATE TABLE cheap ({cols})")
    db.execute(f"CREATE TABLE plain ({cols})")
    db.executemany(f"INSERT INTO cheap VALUES ({', '.join(marks)})", zip(*params, strict=True))
    plain = [list(a) for a in object_columns(frame)]
    plain[frame.columns.get_loc("b")] = [True, False, True]
    db.executemany(
        f"INSERT INTO plain VALUES ({', '.join('?' for _ in frame.columns)})",
        zip(*plain, strict=True),
    )
    shown = ", ".join(f"typeof({c}), {c}" for c in frame.columns)
    cheap = db.execute(f"SELECT {shown} FROM cheap ORDER BY rowid").fetchall()
    assert cheap == db.execute(f"SELECT {shown} FROM plain ORDER BY rowid").fetchall()
    assert cheap[1][0:2] == ("null", None)  # NaN stored as NULL
    assert cheap[0][10:14] == ("text", "0", "text", "x")
    assert cheap[1][10:12] == ("null", None) and cheap[2][16:18] == ("blob", b"")


def test_new_sqlite_files_get_16k_pages_and_old_files_keep_theirs(tmp_path, db_settings):
    """A new SpatiaLite file is made with 16 KiB pages; a file made before (4 KiB pages,
    with tables) keeps its page size and opens, migrates and takes rows as before."""
    from geo_service.db import make_engine, upgrade
    from geo_service.db.engine import SQLITE_PAGE_SIZE, sqlite_module

    old = tmp_path / "lama.sqlite"
    raw = sqlite_module().connect(old)
    raw.execute("PRAGMA page_size = 4096")
    raw.execute("CREATE TABLE catatan (a)")
    raw.commit()
    raw.close()
    for path, size in ((tmp_path / "baru.sqlite", SQLITE_PAGE_SIZE), (old, 4096)):
        engine = make_engine(f"sqlite:///{path}", settings=db_settings)
        upgrade(engine)
        b = _batch(engine)
        assert _load(engine, [_rows(b, ["A", "B"])]) == 2
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == size
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("SELECT count(*) FROM keluarga").scalar() == 2
        engine.dispose()
    assert SQLITE_PAGE_SIZE == 16384


def _point_frames(batch: int, *, seed: int, missing_every: int = 0) -> list:
    """Three chunks of 2,000 families at random points around Kendal (every
    ``missing_every``-th without a point)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    frames = []
    for k in range(3):
        f = _rows(batch, [f"K-{i}" for i in range(k * 2000, (k + 1) * 2000)])
        f["lon"] = rng.uniform(110.0, 110.4, len(f))
        f["lat"] = rng.uniform(-7.2, -6.8, len(f))
        if missing_every:
            f.loc[::missing_every, ["lat", "lon"]] = None
        frames.append(f)
    return frames


def test_sqlite_rtree_built_packed_finds_what_a_scan_finds(tmp_path, db_settings):
    """An R*Tree empty before a load is written packed (three levels for 6,000 points):
    SQLite's rtreecheck and SpatiaLite's CheckSpatialIndex accept it, a box query through
    it finds exactly the rows a scan finds, and later inserts (per-row triggers) and
    deletes keep it consistent."""

    from geo_service.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'rtree.sqlite'}", settings=db_settings)
    upgrade(engine)
    b = _batch(engine)
    assert _load(engine, _point_frames(b, seed=5, missing_every=97)) == 6000
    boxes = [(110.1, 110.2, -7.0, -6.95), (110.0, 110.4, -7.2, -6.8), (110.3, 110.3001, -7.1, -7.0)]

    def check(conn) -> None:
        assert conn.exec_driver_sql("SELECT rtreecheck('idx_keluarga_geom')").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT CheckSpatialIndex('keluarga', 'geom')").scalar() == 1
        n_geom = conn.exec_driver_sql("SELECT count(geom) FROM keluarga").scalar()
        assert conn.exec_driver_sql("SELECT count(*) FROM idx_keluarga_geom").scalar() == n_geom
        for x0, x1, y0, y1 in boxes:
            exact = f"lon BETWEEN {x0} AND {x1} AND lat BETWEEN {y0} AND {y1}"
            through = conn.exec_driver_sql(
                "SELECT id FROM keluarga WHERE rowid IN (SELECT pkid FROM idx_keluarga_geom "
                f"WHERE xmin <= {x1} AND xmax >= {x0} AND ymin <= {y1} AND ymax >= {y0}) "
                f"AND {exact} ORDER BY id"
            ).scalars()
            scan = conn.exec_driver_sql(f"SELECT id FROM keluarga WHERE {exact} ORDER BY id")
            assert list(through) == list(scan.scalars())

    with engine.connect() as conn:
        depth = conn.exec_driver_sql(
            "SELECT hex(substr(data, 1, 2)) FROM idx_keluarga_geom_node WHERE nodeno = 1"
        ).scalar()
        assert depth == "0002"  # root over 51 x 51 leaves at most: three levels
        # packed: 5,937 points in ~121 nearly full leaves (51 cells) + 4 upper nodes; the
        # R*Tree's own inserts leave nodes ~2/3 full (~180 nodes)
        nodes = conn.exec_driver_sql("SELECT count(*) FROM idx_keluarga_geom_node").scalar()
        assert nodes <= 130
        check(conn)
        # SpatiaLite's own box of each point contains the stored float32 box's point
        off = conn.exec_driver_sql(
            "SELECT count(*) FROM keluarga k JOIN idx_keluarga_geom i ON i.pkid = k.rowid "
            "WHERE i.xmin > k.lon OR i.xmax < k.lon OR i.ymin > k.lat OR i.ymax < k.lat"
        ).scalar()
        assert off == 0
    # the R*Tree is not empty now: the new rows' boxes go in by INSERT ... SELECT
    assert _load(engine, [_rows(b, ["L-1", "L-2", "L-3"], 9000)]) == 3
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM keluarga WHERE id % 3 = 0")
    with engine.connect() as conn:
        check(conn)
    engine.dispose()


def test_sqlite_rtree_past_the_packed_limit_is_filled_by_insert(tmp_path, db_settings, monkeypatch):
    """A load larger than PACKED_RTREE_MAX_ROWS lets the points go and fills the empty
    R*Tree row by row (INSERT ... SELECT): a normal, ~2/3-full tree, still correct."""

    from geo_service.db import bulk_keys, make_engine, upgrade

    monkeypatch.setattr(bulk_keys, "PACKED_RTREE_MAX_ROWS", 2500)
    engine = make_engine(f"sqlite:///{tmp_path / 'rtree_cap.sqlite'}", settings=db_settings)
    upgrade(engine)
    b = _batch(engine)
    assert _load(engine, _point_frames(b, seed=6)) == 6000
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT rtreecheck('idx_keluarga_geom')").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT count(*) FROM idx_keluarga_geom").scalar() == 6000
        nodes = conn.exec_driver_sql("SELECT count(*) FROM idx_keluarga_geom_node").scalar()
        assert nodes > 130  # not the packed tree (<= 130 nodes for these 6,000 points)
        inside = conn.exec_driver_sql(
            "SELECT count(*) FROM idx_keluarga_geom WHERE xmin <= 110.2 AND xmax >= 110.1 "
            "AND ymin <= -6.95 AND ymax >= -7.0"
        ).scalar()
        scan = conn.exec_driver_sql(
            "SELECT count(*) FROM keluarga WHERE lon BETWEEN 110.1 AND 110.2 "
            "AND lat BETWEEN -7.0 AND -6.95"
        ).scalar()
        assert inside == scan > 0
    engine.dispose()


def test_sqlite_rtree_packed_from_explicit_ids(tmp_path, db_settings):
    """Rows loaded with their own ids (gaps, not in order): the packed R*Tree maps each box
    to its row by those ids."""
    import numpy as np

    from geo_service.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'ids.sqlite'}", settings=db_settings)
    upgrade(engine)
    b = _batch(engine)
    rng = np.random.default_rng(9)
    frame = _rows(b, [f"K-{i}" for i in range(3000)])
    frame["lon"] = rng.uniform(110.0, 110.4, len(frame))
    frame["lat"] = rng.uniform(-7.2, -6.8, len(frame))
    frame.insert(0, "id", rng.permutation(np.arange(3000) * 7 + 100))
    assert _load(engine, [frame.iloc[:1500], frame.iloc[1500:]]) == 3000
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT rtreecheck('idx_keluarga_geom')").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT CheckSpatialIndex('keluarga', 'geom')").scalar() == 1
        wrong = conn.exec_driver_sql(
            "SELECT count(*) FROM keluarga k JOIN idx_keluarga_geom i ON i.pkid = k.id "
            "WHERE i.xmin > k.lon OR i.xmax < k.lon OR i.ymin > k.lat OR i.ymax < k.lat"
        ).scalar()
        joined = conn.exec_driver_sql(
            "SELECT count(*) FROM keluarga k JOIN idx_keluarga_geom i ON i.pkid = k.id"
        ).scalar()
    assert (wrong, joined) == (0, 3000)
    engine.dispose()


def test_sqlite_constant_columns_as_literals_store_the_same():
    """Columns with one integer or text on every row go into the statement as literals
    (quotes doubled); the rest stay bound in order; a frame of constants only still binds
    one column, so every row is inserted; stored values equal binding them all."""
    import numpy as np

    from geo_service.db.bulk_values import sqlite_params
    from geo_service.db.engine import sqlite_module

    frame = pd.DataFrame(
        {
            "batch": np.array([7, 7, 7], dtype="int64"),
            "teks": pd.array(["O'Brien; --", "O'Brien; --", "O'Brien; --"], dtype="str"),
            "beda": pd.array(["a", "b", None], dtype="str"),
            "flag": np.array([True, True, True]),
            "nul": pd.array(["a\x00b"] * 3, dtype="str"),
            "x": [1.5, 1.5, 1.5],
        }
    )
    params, marks = sqlite_params(frame, literals=True)
    assert marks[:2] == ["7", "'O''Brien; --'"] and marks[3] == "1"
    assert marks[2] == "NULLIF(?, 0)" and marks[4:] == ["?", "?"]  # NUL text, floats: bound
    assert len(params) == 3
    db = sqlite_module().connect(":memory:")
    cols = ", ".join(frame.columns)
    for t in ("lit", "plain"):
        db.execute(f"CREATE TABLE {t} ({cols})")
    db.executemany(f"INSERT INTO lit VALUES ({', '.join(marks)})", zip(*params, strict=True))
    plain, pm = sqlite_params(frame)
    db.executemany(f"INSERT INTO plain VALUES ({', '.join(pm)})", zip(*plain, strict=True))
    shown = ", ".join(f"typeof({c}), {c}" for c in frame.columns)
    got = db.execute(f"SELECT {shown} FROM lit ORDER BY rowid").fetchall()
    assert got == db.execute(f"SELECT {shown} FROM plain ORDER BY rowid").fetchall()
    assert len(got) == 3 and got[0][:4] == ("integer", 7, "text", "O'Brien; --")
    only = frame[["batch", "teks"]]
    params, marks = sqlite_params(only, literals=True)
    assert marks == ["?", "'O''Brien; --'"] and params == [[7, 7, 7]]
