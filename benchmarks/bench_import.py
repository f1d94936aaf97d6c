"""Import benchmark: N synthetic Kendal families (default 1,000,000) into SpatiaLite and into
PostGIS with ``geo_service.services.imports.import_keluarga``, each in a fresh database and a
fresh process. Prints rows per second and the peak memory (RSS) of the importing process,
next to the in-memory size of the whole table (what a non-streaming import would hold).

    .venv/bin/python benchmarks/bench_import.py                    # 1M rows, both backends
    .venv/bin/python benchmarks/bench_import.py --n 200000 --backends spatialite
    .venv/bin/python benchmarks/bench_import.py --out benchmarks/results/import.json

PostGIS: a database ``geo_bench_<random>`` is created on --pg (superuser, default the local
PostgreSQL 15 at 127.0.0.1:5432, user postgres) with ``CREATE EXTENSION postgis`` and dropped
afterwards. The SpatiaLite file lives in a temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KENDAL = ROOT / "data" / "boundaries" / "desa_33.24_kendal.geojson"
PG_DEFAULT = "host=127.0.0.1 port=5432 user=postgres"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def generate(n: int, path: Path, seed: int) -> dict:
    """Child: write N Kendal families to ``path`` (Parquet); report the table's memory size."""
    from geo_service.io.boundaries import read_boundaries, read_bps
    from geo_service.io.keluarga import write_keluarga
    from geo_service.synth import calibration_from_bps, generate_keluarga

    desa = read_boundaries(KENDAL)
    calib = calibration_from_bps(read_bps(ROOT / "data"), "33.24")
    t0 = time.perf_counter()
    frame = generate_keluarga(
        desa, calib, n_keluarga=n, periode="2025-03", seed=seed, kantong=6
    ).keluarga
    write_keluarga(frame, path)
    return {
        "seconds": time.perf_counter() - t0,
        "table_mb": frame.memory_usage(deep=True).sum() / 1024**2,
        "file_mb": path.stat().st_size / 1024**2,
    }


def run_import(url: str, path: Path, chunk_rows: int) -> dict:
    """Child: migrate, import Kendal boundaries, then time the family import."""
    from geo_service.db import make_engine, upgrade
    from geo_service.services.imports import import_boundaries, import_keluarga
    from geo_service.settings import ImportSettings, Settings

    settings = Settings(imports=ImportSettings(chunk_rows=chunk_rows))
    engine = make_engine(url, settings=settings)
    backends = _server_pids(engine)
    upgrade(engine)
    import_boundaries(engine, KENDAL, settings=settings)
    index_s = _boundary_index(engine, path)
    before_mb = _peak_mb()
    load_before = os.getloadavg()
    server0 = _server_cpu(backends)
    t0, c0 = time.perf_counter(), time.process_time()
    report = import_keluarga(engine, path, periode="2025-03", settings=settings)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    server_cpu = _server_cpu(backends) - server0
    peak = _peak_mb()
    again = import_keluarga(engine, path, periode="2025-03", settings=settings).status
    c0, server0 = time.process_time(), _server_cpu(backends)
    floor_s = _floor(engine, path)
    floor_cpu = time.process_time() - c0 + _server_cpu(backends) - server0
    table = _floor_table(engine, backends)
    load_after = os.getloadavg()
    engine.dispose()
    return {
        "rows": report.n_sah,
        # The stored boundary index of Kendal, built once per boundary version before the
        # timed import (the first family import after a boundary import pays it).
        "boundary_index_seconds": index_s,
        "seconds": seconds,
        "rows_per_s": report.n_sah / seconds,
        # CPU of this process only (threads included); PostgreSQL's own work is in its
        # server process and not counted here.
        "cpu_seconds": cpu,
        # CPU of the PostgreSQL backends of this engine during the import (from /proc;
        # parallel index-build workers not included); 0 for SQLite (in-process).
        "server_cpu_seconds": server_cpu,
        "cpu_rows_per_s": report.n_sah / (cpu + server_cpu),
        "peak_mb": peak,
        "reimport_status": again,  # the same file again: sudah_ada, nothing changed
        "peak_before_import_mb": before_mb,
        "floor_seconds": floor_s,
        "floor_cpu_seconds": floor_cpu,  # process + PostgreSQL server
        "floor_cpu_rows_per_s": report.n_sah / floor_cpu,
        "floor_rows_per_s": report.n_sah / floor_s,
        # The table floor: the rows exactly as the import stored them (every column, ids
        # and points included, read back before the timed part), by a plain binary COPY
        # (PostgreSQL) / plain executemany (SQLite) into a fresh keluarga-shaped table
        # with its primary key, then the same secondary indexes built after the rows as
        # the import does (SQLite: the R*Tree filled by INSERT ... SELECT of the points'
        # boxes, SpatiaLite's own way), one transaction, committed: what the database
        # itself costs for these rows and indexes.
        "floor_table_seconds": table["seconds"],
        "floor_table_cpu_seconds": table["cpu_seconds"],  # process + PostgreSQL server
        "floor_table_rows_per_s": report.n_sah / table["seconds"],
        "floor_table_cpu_rows_per_s": report.n_sah / table["cpu_seconds"],
        "floor_table_steps": table["steps"],
        "load_before": load_before,
        "load_after": load_after,
    }


def _boundary_index(engine, path: Path) -> float:
    """Build and store Kendal's boundary index (what the first family import of a new
    boundary version does inside its timed section); returns the seconds."""
    import pyarrow.parquet as pq

    from geo_service.db.repo import Scope, boundary_index, desa_of_kabupaten

    t0 = time.perf_counter()
    with engine.begin() as conn:
        desa = desa_of_kabupaten(conn, "33.24", scope=Scope.all())
        n = pq.ParquetFile(path).metadata.num_rows
        boundary_index(conn, "33.24", desa, scope=Scope.all(), build_from=n)
    return time.perf_counter() - t0


def _server_pids(engine) -> list[int]:
    """PostgreSQL backend pids of every connection this engine opens (filled as they open)."""
    from sqlalchemy import event

    pids: list[int] = []
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _remember(dbapi_conn, _record) -> None:
            pids.append(dbapi_conn.info.backend_pid)

    return pids


def _server_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of these local processes (0 for any that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _floor(engine, path: Path) -> float:
    """The floor: the same rows (every column of the file) into a table without indexes,
    by a plain binary ``COPY`` (PostgreSQL) or a plain ``executemany`` (SQLite), one
    transaction, nothing else (no validation, location, H3, geometry)."""
    import pandas as pd

    from geo_service.db.bulk_values import object_columns

    frame = pd.read_parquet(path)
    arrays = object_columns(frame)  # plain object values, None for missing

    def sql_type(c: str) -> str:
        kind = frame[c].dtype.kind if hasattr(frame[c].dtype, "kind") else "O"
        if c in ("lat", "lon") or kind == "f":
            return "float8"
        if kind in "iu" or str(frame[c].dtype) == "Int64":
            return "int8"
        return "text"

    types = [sql_type(c) for c in frame.columns]
    cols = ", ".join(f'"{c}" {t}' for c, t in zip(frame.columns, types, strict=True))
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        cur = dbapi.cursor()
        t0 = time.perf_counter()
        if engine.dialect.name == "postgresql":
            cur.execute(f"CREATE TEMPORARY TABLE lantai ({cols})")
            with cur.copy("COPY lantai FROM STDIN (FORMAT binary)") as cp:
                cp.set_types(types)
                for row in zip(*arrays, strict=True):
                    cp.write_row(row)
        else:
            cur.execute("BEGIN")
            cur.execute(f"CREATE TEMPORARY TABLE lantai ({cols})")
            marks = ", ".join("?" for _ in types)
            cur.executemany(f"INSERT INTO lantai VALUES ({marks})", zip(*arrays, strict=True))
        dbapi.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def _floor_table(engine, backends: list[int]) -> dict:
    """The table floor (see ``floor_table_seconds``): seconds, CPU seconds (process +
    server) and the seconds of each step (load, each index, commit)."""
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        cur = dbapi.cursor()
        if engine.dialect.name == "postgresql":
            return _floor_table_pg(dbapi, cur, backends)
        return _floor_table_sqlite(dbapi, cur)
    finally:
        raw.close()


def _floor_table_pg(dbapi, cur, backends: list[int]) -> dict:
    cols = [
        r[0]
        for r in cur.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'keluarga'::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ).fetchall()
    ]
    quoted = ", ".join(f'"{c}"' for c in cols)
    payload = []  # the stored rows as binary COPY data, read before the timed part
    with cur.copy(
        f"COPY (SELECT {quoted} FROM keluarga ORDER BY id) TO STDOUT (FORMAT binary)"
    ) as cp:
        for block in cp:
            payload.append(bytes(block))
    indexes = [
        r[0]
        for r in cur.execute(
            "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = "
            "'keluarga'::regclass AND NOT x.indisprimary ORDER BY x.indexrelid"
        ).fetchall()
    ]
    cur.execute("DROP TABLE IF EXISTS keluarga_lantai")
    cur.execute("CREATE TABLE keluarga_lantai (LIKE keluarga INCLUDING DEFAULTS)")
    cur.execute("ALTER TABLE keluarga_lantai ADD PRIMARY KEY (id)")
    dbapi.commit()
    steps: dict[str, float] = {}
    t0, c0, server0 = time.perf_counter(), time.process_time(), _server_cpu(backends)
    t = time.perf_counter()
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # as the import's index builds
    with cur.copy(f"COPY keluarga_lantai ({quoted}) FROM STDIN (FORMAT binary)") as cp:
        for block in payload:
            cp.write(block)
    steps["load"] = time.perf_counter() - t
    for sql in indexes:
        name = sql.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
        t = time.perf_counter()
        cur.execute(
            sql.replace(f" INDEX {name} ON ", f" INDEX {name}_lantai ON ", 1).replace(
                " public.keluarga ", " public.keluarga_lantai ", 1
            )
        )
        steps[name] = time.perf_counter() - t
    t = time.perf_counter()
    dbapi.commit()
    steps["commit"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0 + _server_cpu(backends) - server0
    cur.execute("DROP TABLE keluarga_lantai")
    dbapi.commit()
    return {"seconds": seconds, "cpu_seconds": cpu, "steps": steps}


def _floor_table_sqlite(dbapi, cur) -> dict:
    cols = [r[1] for r in cur.execute("PRAGMA table_info(keluarga)").fetchall()]
    quoted = ", ".join(f'"{c}"' for c in cols)
    rows = cur.execute(f"SELECT {quoted} FROM keluarga ORDER BY id").fetchall()
    table_sql = cur.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keluarga'"
    ).fetchone()[0]
    indexes = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'keluarga' "
        "AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    cur.execute("BEGIN")
    cur.execute("DROP TABLE IF EXISTS keluarga_lantai")
    cur.execute("DROP TABLE IF EXISTS idx_keluarga_lantai_geom")
    cur.execute(re.sub(r'^CREATE TABLE\s+"?keluarga"?', "CREATE TABLE keluarga_lantai", table_sql))
    cur.execute(
        "CREATE VIRTUAL TABLE idx_keluarga_lantai_geom USING rtree(pkid, xmin, xmax, ymin, ymax)"
    )
    dbapi.commit()
    steps: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    cur.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" for _ in cols)
    t = time.perf_counter()
    cur.executemany(f"INSERT INTO keluarga_lantai ({quoted}) VALUES ({marks})", rows)
    steps["load"] = time.perf_counter() - t
    t = time.perf_counter()
    cur.execute(
        "INSERT INTO idx_keluarga_lantai_geom (pkid, xmin, xmax, ymin, ymax) SELECT rowid, "
        "MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM keluarga_lantai "
        "WHERE geom IS NOT NULL"
    )
    steps["rtree"] = time.perf_counter() - t
    for name, sql in indexes:
        t = time.perf_counter()
        cur.execute(
            sql.replace(f"INDEX {name} ON keluarga ", f"INDEX {name}_lantai ON keluarga_lantai ")
        )
        steps[name] = time.perf_counter() - t
    t = time.perf_counter()
    dbapi.commit()
    steps["commit"] = time.perf_counter() - t
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    cur.execute("BEGIN")
    cur.execute("DROP TABLE keluarga_lantai")
    cur.execute("DROP TABLE idx_keluarga_lantai_geom")
    dbapi.commit()
    return {"seconds": seconds, "cpu_seconds": cpu, "steps": steps}


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgis_database(admin_dsn: str):
    import psycopg

    name = f"geo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn + " dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(admin_dsn + f" dbname={name}", autocommit=True) as c:
        c.execute("CREATE EXTENSION postgis")

    def drop() -> None:
        with psycopg.connect(admin_dsn + " dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    params = dict(p.split("=", 1) for p in admin_dsn.split())
    user, host = params.get("user", "postgres"), params.get("host", "127.0.0.1")
    url = f"postgresql+psycopg://{user}@{host}:{params.get('port', '5432')}/{name}"
    return url, drop


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1_000_000, help="families to import")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk-rows", type=int, default=100_000)
    ap.add_argument("--backends", default="spatialite,postgis")
    ap.add_argument("--pg", default=PG_DEFAULT, help="libpq DSN of a PostgreSQL superuser")
    ap.add_argument("--out", type=Path, help="also write the results as JSON")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, *rest = args.child
        if kind == "generate":
            print(json.dumps(generate(int(rest[0]), Path(rest[1]), int(rest[2]))))
        else:
            print(json.dumps(run_import(rest[0], Path(rest[1]), int(rest[2]))))
        return

    with tempfile.TemporaryDirectory(prefix="geo-bench-import-") as tmp:
        data = Path(tmp) / "keluarga.parquet"
        print(f"Membuat {args.n:,} keluarga Kendal (seed {args.seed}) ...", flush=True)
        gen = _child(["--child", "generate", str(args.n), str(data), str(args.seed)])
        print(
            f"  {gen['seconds']:.1f} s; berkas {gen['file_mb']:.0f} MB; tabel utuh di memori "
            f"{gen['table_mb']:.0f} MB",
            flush=True,
        )
        results = []
        for backend in args.backends.split(","):
            drop = None
            if backend == "spatialite":
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            elif backend == "postgis":
                url, drop = _postgis_database(args.pg)
            else:
                raise SystemExit(f"unknown backend {backend}")
            try:
                print(f"Impor ke {backend} ...", flush=True)
                res = _child(["--child", "import", url, str(data), str(args.chunk_rows)])
            finally:
                if drop:
                    drop()
            res |= {
                "backend": backend,
                "n_families": args.n,
                "chunk_rows": args.chunk_rows,
                "table_mb": gen["table_mb"],
                "file_mb": gen["file_mb"],
                # our rows/s as a share of each floor's, by wall time and per CPU second
                "share_of_floor": res["rows_per_s"] / res["floor_rows_per_s"],
                "cpu_share_of_floor": res["cpu_rows_per_s"] / res["floor_cpu_rows_per_s"],
                "share_of_floor_table": res["rows_per_s"] / res["floor_table_rows_per_s"],
                "cpu_share_of_floor_table": res["cpu_rows_per_s"]
                / res["floor_table_cpu_rows_per_s"],
            }
            results.append(res)

    print()
    print(
        "memori = RSS puncak proses impor; 'sebelum' = RSS puncak sebelum impor keluarga "
        "(Python, pustaka, batas desa)"
    )
    print(
        "lantai = baris berkas yang sama (19 kolom) lewat COPY biner (PostGIS) / executemany "
        "(SQLite) polos ke tabel sementara tanpa indeks (lantai ketat)"
    )
    print(
        "CPU = waktu CPU proses impor; server = CPU proses server PostgreSQL selama impor; "
        "baris/detik CPU = baris / (CPU + server); beban = load average 1 menit"
    )
    print(
        f"{'backend':<11} {'keluarga':>10} {'detik':>8} {'CPU s':>7} {'server s':>9} "
        f"{'baris/detik CPU':>16} {'lantai CPU':>11} {'baris/detik':>12} "
        f"{'lantai baris/detik':>19} {'% lantai':>9} {'beban':>11} "
        f"{'memori puncak MB':>17} {'sebelum MB':>11} {'tabel utuh MB':>14}"
    )
    for r in results:
        load = f"{r['load_before'][0]:.1f}->{r['load_after'][0]:.1f}"
        print(
            f"{r['backend']:<11} {r['rows']:>10,} {r['seconds']:>8.1f} {r['cpu_seconds']:>7.1f} "
            f"{r['server_cpu_seconds']:>9.1f} {r['cpu_rows_per_s']:>16,.0f} "
            f"{r['floor_cpu_rows_per_s']:>11,.0f} "
            f"{r['rows_per_s']:>12,.0f} {r['floor_rows_per_s']:>19,.0f} "
            f"{100 * r['rows_per_s'] / r['floor_rows_per_s']:>8.0f}% {load:>11} "
            f"{r['peak_mb']:>17,.0f} {r['peak_before_import_mb']:>11,.0f} {r['table_mb']:>14,.0f}"
        )
    print()
    print(
        "lantai tabel = baris yang sama persis seperti disimpan impor (semua kolom, id dan "
        "titik; dibaca sebelum bagian yang diukur) lewat COPY biner (PostGIS) / executemany "
        "(SQLite) polos ke tabel baru berbentuk keluarga dengan kunci primer, lalu indeks yang "
        "sama dibangun setelah baris (SQLite: R*Tree diisi INSERT ... SELECT kotak titik), "
        "satu transaksi: biaya basis data itu sendiri"
    )
    print(
        f"{'backend':<11} {'detik':>8} {'CPU s':>7} {'baris/detik':>12} {'% lantai':>9} "
        f"{'% lantai CPU':>13} {'lantai tabel s':>15} {'CPU s':>7} {'baris/detik':>12} "
        f"{'% lantai tabel':>15} {'% per CPU':>10}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['seconds']:>8.1f} "
            f"{r['cpu_seconds'] + r['server_cpu_seconds']:>7.1f} {r['rows_per_s']:>12,.0f} "
            f"{100 * r['share_of_floor']:>8.0f}% {100 * r['cpu_share_of_floor']:>12.0f}% "
            f"{r['floor_table_seconds']:>15.1f} {r['floor_table_cpu_seconds']:>7.1f} "
            f"{r['floor_table_rows_per_s']:>12,.0f} {100 * r['share_of_floor_table']:>14.0f}% "
            f"{100 * r['cpu_share_of_floor_table']:>9.0f}%"
        )
        steps = ", ".join(f"{k} {v:.2f}" for k, v in r["floor_table_steps"].items())
        print(f"  lantai tabel {r['backend']}, detik per langkah: {steps}")
    print(
        "indeks batas Kendal dibangun sekali sebelum impor (tidak dihitung): "
        + ", ".join(f"{r['backend']} {r['boundary_index_seconds']:.1f} s" for r in results)
    )
    print(f"beban (load average 1/5/15): {os.getloadavg()}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
        print(f"Menulis {args.out}")


if __name__ == "__main__":
    main()
