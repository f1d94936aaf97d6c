"""Fault tests: a family import killed halfway (the process with SIGKILL, or its PostgreSQL
connection with pg_terminate_backend, or Ctrl-C on SQLite) leaves the database exactly as
it was, and the batch ends up recorded as failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from geo_service.db.engine import DatabaseError
from geo_service.services.imports import (
    import_boundaries,
    import_keluarga,
    reap_interrupted_imports,
)
from geo_service.settings import PROJECT_ROOT
from tests.services.test_imports import KENDAL, state

CHUNK = 2_000


@pytest.fixture
def loaded_db(db_engine, db_settings, kendal_keluarga, tmp_path):
    """Kendal boundaries and an earlier snapshot (2025-01, 3,000 families) already stored."""
    import_boundaries(db_engine, KENDAL, settings=db_settings)
    earlier = tmp_path / "keluarga_2025-01.csv"
    kendal_keluarga["frame"].head(3_000).assign(periode="2025-01").to_csv(earlier, index=False)
    import_keluarga(db_engine, earlier, periode="2025-01", settings=db_settings)
    return db_engine


def _batch(engine, batch_id):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status, alasan FROM impor_batch WHERE id = :i"), {"i": batch_id}
        ).one()


def _sqlite_healthy(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(text("SELECT CheckSpatialIndex('keluarga', 'geom')")).scalar() == 1
        triggers = conn.execute(
            text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
                "tbl_name = 'keluarga'"
            )
        ).scalar()
        # SpatiaLite's geometry and index triggers (8) and the batch checks (2) are all back
        assert triggers == 10


CHILD = textwrap.dedent("""
    import sys
    from geo_service.db import make_engine
    from geo_service.services.imports import import_keluarga
    from geo_service.settings import Settings

    url, path, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = make_engine(url, settings=Settings())

    def progress(done, total):
        if done >= total // 2:
            print("SETENGAH", done, flush=True)  # halfway: wait here to be killed
            sys.stdin.readline()

    import_keluarga(engine, path, periode="2025-03", chunk_rows=chunk, on_progress=progress,
                    settings=Settings())
    print("SELESAI", flush=True)
""")


def test_process_killed_halfway_leaves_db_as_before(
    loaded_db, db_url, db_settings, kendal_keluarga
):
    before = state(loaded_db)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(kendal_keluarga["parquet"]), str(CHUNK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("SETENGAH"), child.stderr.read()
        assert int(line.split()[1]) == 10_000  # half of the 20,000 rows were sent
        with loaded_db.connect() as conn:  # the running batch is visible, its rows are not
            running = (
                conn.execute(text("SELECT id FROM impor_batch WHERE status = 'berjalan'"))
                .scalars()
                .all()
            )
        assert len(running) == 1
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    after = state(loaded_db)
    assert after["keluarga_rows"] == before["keluarga_rows"]
    for table in ["keluarga", "keluarga_snapshot", "karantina", "impor_masalah", "desa"]:
        assert after[table] == before[table]
    assert after["batches"] == before["batches"] + [(running[0], "berjalan")]

    # The next start (import, db upgrade, runs list) finds the orphan and records it failed.
    deadline = time.monotonic() + 30  # PostgreSQL notices the dead client within moments
    reaped = reap_interrupted_imports(loaded_db)
    while not reaped and time.monotonic() < deadline:
        time.sleep(0.2)
        reaped = reap_interrupted_imports(loaded_db)
    assert reaped == running
    status, reason = _batch(loaded_db, running[0])
    assert status == "gagal" and "terhenti" in reason
    if loaded_db.dialect.name == "sqlite":
        _sqlite_healthy(loaded_db)
    # and the database works normally afterwards
    done = import_keluarga(
        loaded_db, kendal_keluarga["parquet"], periode="2025-03", settings=db_settings
    )
    assert done.status == "selesai" and done.n_sah == 20_000


def _terminate_import_backend(url: str) -> int:
    u = make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
    ) as admin:
        pids = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        ).fetchall()
        assert len(pids) == 1, pids
        admin.execute("SELECT pg_terminate_backend(%s)", (pids[0][0],))
        return pids[0][0]


def test_connection_lost_halfway_leaves_db_as_before(
    loaded_db, db_url, db_settings, kendal_keluarga
):
    """PostGIS: the import's backend is killed (pg_terminate_backend) halfway.
    SpatiaLite: the operator presses Ctrl-C halfway (KeyboardInterrupt)."""
    before = state(loaded_db)
    postgres = loaded_db.dialect.name == "postgresql"
    killed = []

    def progress(done, total):
        if done >= total // 2 and not killed:
            if postgres:
                killed.append(_terminate_import_backend(db_url))
            else:
                killed.append(done)
                raise KeyboardInterrupt

    expected = DatabaseError if postgres else KeyboardInterrupt
    with pytest.raises(expected) as err:
        import_keluarga(
            loaded_db,
            kendal_keluarga["parquet"],
            periode="2025-03",
            settings=db_settings,
            chunk_rows=CHUNK,
            on_progress=progress,
        )
    assert killed
    after = state(loaded_db)
    assert after["keluarga_rows"] == before["keluarga_rows"]
    for table in ["keluarga", "keluarga_snapshot", "karantina", "impor_masalah"]:
        assert after[table] == before[table]
    new_batch = after["batches"][-1]
    assert after["batches"][:-1] == before["batches"] and new_batch[1] == "gagal"
    status, reason = _batch(loaded_db, new_batch[0])
    if postgres:
        assert "koneksi" in err.value.pesan and "koneksi" in reason
    else:
        _sqlite_healthy(loaded_db)
    assert reap_interrupted_imports(loaded_db) == []
