"""Bulk loading of frames: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Both run on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from sqlalchemy import Connection

from geo_service.db.bulk_keys import (
    PgDeferredChecks,
    PgIdBlock,
    SqliteDeferred,
    duplicate_error,
    ewkb_points,
    spatialite_points,
)
from geo_service.db.bulk_values import NULL_TEXT, blob_params, object_columns, sqlite_params
from geo_service.db.copy_binary import (
    FIXED,
    RAW,
    SIGNATURE,
    TRAILER,
    fixed_cells,
    frame_cells,
    point_cells,
    rows_body,
)
from geo_service.db.models import SRID
from geo_service.errors import DuplicateError


def bulk_insert(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    *,
    point: tuple[str, str] | None = None,
    geom_column: str = "geom",
) -> int:
    """Append the rows of ``frame`` to ``table`` (column names = frame columns).

    Parameters
    ----------
    point
        ``(lon_column, lat_column)`` of ``frame``: ``geom_column`` gets POINT(lon lat) in
        EPSG:4326 where both are present, NULL elsewhere.

    Notes
    -----
    Integer columns with missing values must be nullable (``Int64``) and JSON columns
    already serialised to text.
    """
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        return _copy_postgres(conn, table, frame, point, geom_column)
    return _executemany_sqlite(conn, table, frame, point, geom_column)


def _copy_postgres(conn, table, frame, point, geom_column) -> int:
    columns = list(frame.columns)
    if point is not None:
        lon = frame[point[0]].to_numpy(dtype="float64")
        lat = frame[point[1]].to_numpy(dtype="float64")
        ok = ~(np.isnan(lon) | np.isnan(lat))
        geoms = np.full(len(frame), None, dtype=object)
        geoms[ok] = shapely.set_srid(shapely.points(lon[ok], lat[ok]), SRID)
        frame = frame.assign(**{geom_column: shapely.to_wkb(geoms, hex=True, include_srid=True)})
        columns.append(geom_column)
    text = frame[columns].to_csv(index=False, header=False, na_rep="")
    raw = conn.connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    with (
        raw.cursor() as cur,
        cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy,
    ):
        copy.write(text)
    return len(frame)


def _executemany_sqlite(conn, table, frame, point, geom_column) -> int:
    columns = list(frame.columns)
    arrays, marks = sqlite_params(frame)
    if point is not None:
        columns.append(geom_column)
        marks.append(f"MakePoint(?, ?, {SRID})")
        arrays += sqlite_params(frame[[point[0], point[1]]])[0]  # NaN: NULL point
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(marks)})'
    cur = conn.connection.driver_connection.cursor()
    try:
        if point is None:
            cur.executemany(sql, zip(*arrays, strict=True))
        else:
            with _spatial_index_deferred(cur, table, geom_column):
                cur.executemany(sql, zip(*arrays, strict=True))
    finally:
        cur.close()
    return len(frame)


@contextmanager
def _spatial_index_deferred(cur, table: str, column: str) -> Iterator[None]:
    """Fill SpatiaLite's R*Tree once after a bulk insert instead of by a trigger per row.

    The per-row insert triggers (R*Tree maintenance ``gii_*``, geometry type check
    ``ggi_*``, insert timestamp ``tmi_*``) are dropped, the rows inserted, the new rows'
    boxes added to the R*Tree in one statement and the triggers recreated, all inside the
    caller's transaction (SQLite DDL is transactional: on any failure the triggers come
    back with the rollback). The type check is redundant here: the points are made by
    ``MakePoint(lon, lat, 4326)`` in the INSERT itself.
    """
    names = [f"gii_{table}_{column}", f"ggi_{table}_{column}", f"tmi_{table}_{column}"]
    triggers = cur.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
        f"({', '.join('?' for _ in names)})",
        names,
    ).fetchall()
    index_table = f"idx_{table}_{column}"
    has_index = any(n.startswith("gii_") for n, _ in triggers)
    last = cur.execute(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').fetchone()[0]
    for name, _ in triggers:
        cur.execute(f'DROP TRIGGER "{name}"')
    yield
    if has_index:
        cur.execute(
            f'INSERT INTO "{index_table}" (pkid, xmin, xmax, ymin, ymax) '
            f'SELECT rowid, MbrMinX("{column}"), MbrMaxX("{column}"), MbrMinY("{column}"), '
            f'MbrMaxY("{column}") FROM "{table}" WHERE rowid > ? AND "{column}" IS NOT NULL',
            (last,),
        )
    for _, sql in triggers:
        cur.execute(sql)


# --- many chunks into one table (the family import) -------------------------------------

# A load at least this large relative to the rows already in the table rebuilds the
# table's indexes (all but the primary key and constraint-backed ones) once after the load
# instead of updating them row by row (a GiST or random-key B-tree insert costs ~20-50 us
# per row; a sorted bulk build a fraction of it). Dropping an index locks the table
# against readers until commit: only worth it for a load this large.
REBUILD_INDEXES_FROM = 0.25

# Rows per SQLite ``executemany``: the values of one batch exist as Python objects at once
# (32 columns x 25,000 rows ~ 40 MB), not those of a whole chunk.
SQLITE_BATCH_ROWS = 25_000


@dataclass(frozen=True)
class Encoded:
    """A chunk's binary COPY fields built ahead of :meth:`BulkLoader.add` (no database)."""

    frame: pd.DataFrame
    names: list[str]
    cells: list[pa.Array]


class BulkLoader:
    """Rows of many chunks into one table, inside the caller's transaction.

    PostgreSQL: every chunk goes by binary ``COPY`` straight into the table, its points as
    ready-made EWKB (the geometry type's binary input), so the server neither stages nor
    converts anything. A staging table and one set-based ``INSERT ... SELECT`` building the
    points (the first design) cost as much again as the COPY itself: the rows were written
    twice. SQLite/SpatiaLite: every chunk is one prepared ``executemany`` with the points
    as ready-made SpatiaLite blobs; the R*Tree is filled once by :meth:`finish`. On both, a
    load large compared with the table drops its indexes (the unique key included, not the
    primary key) and builds each once at the end (``REBUILD_INDEXES_FROM``); a unique index
    that cannot be built lists the duplicate keys. Nothing is committed here: a failure
    anywhere rolls back with the caller's transaction (all or nothing).

    Parameters
    ----------
    expected_rows
        Rows that will be loaded (for the index decision); ``None``: keep the indexes.
    """

    def __init__(
        self,
        conn: Connection,
        table: str,
        *,
        point: tuple[str, str] | None = None,
        geom_column: str = "geom",
        expected_rows: int | None = None,
    ) -> None:
        self.conn = conn
        self.table = table
        self.point = point
        self.geom_column = geom_column
        self.expected_rows = expected_rows
        self.rows = 0
        self._columns: list[str] | None = None
        self._pg = conn.dialect.name == "postgresql"
        self._deferred: SqliteDeferred | None = None
        self._ready = False  # column types known (PostgreSQL, after the first chunk)

    def _driver_cursor(self) -> Any:
        """A cursor of the DBAPI connection under the SQLAlchemy one (COPY / executemany)."""
        driver = self.conn.connection.driver_connection
        assert driver is not None, "bulk load needs an open DBAPI connection"
        return driver.cursor()

    @property
    def _cols(self) -> list[str]:
        assert self._columns is not None, "no chunk loaded yet"
        return self._columns

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame | Encoded:
        """The chunk's binary COPY fields, built on the caller's thread, so that the thread
        that loads only writes them while the caller prepares the next chunk (PostgreSQL,
        once the first chunk told the column types); otherwise the frame itself. Pure
        array work, no database: safe next to a running :meth:`add`."""
        if not (self._pg and self._ready and self._vector) or frame.empty:
            return frame
        if list(frame.columns) != self._columns:
            return frame
        names, cells = self._encode(frame)
        return Encoded(frame, names, cells)

    def add(self, chunk: pd.DataFrame | Encoded) -> int:
        """Load one chunk (its columns are the table's column names), or what
        :meth:`encode` made of it."""
        encoded = chunk if isinstance(chunk, Encoded) else None
        frame = chunk.frame if isinstance(chunk, Encoded) else chunk
        if frame.empty:
            return 0
        if self._columns is None:
            self._columns = list(frame.columns)
            self._start()
        elif list(frame.columns) != self._columns:
            raise ValueError("every chunk must have the same columns")
        cur = self._driver_cursor()
        try:
            if self._pg:
                self._copy_pg(cur, frame, encoded)
            else:
                for at in range(0, len(frame), SQLITE_BATCH_ROWS):
                    self._add_sqlite(cur, frame.iloc[at : at + SQLITE_BATCH_ROWS])
        finally:
            cur.close()
        self.rows += len(frame)
        return len(frame)

    def _add_sqlite(self, cur: Any, frame: pd.DataFrame) -> None:
        """One prepared ``executemany``, every value bound on pysqlite's fast path
        (:func:`sqlite_params`); the points as ready-made SpatiaLite blobs."""
        arrays, marks = sqlite_params(frame, literals=True)
        names = list(self._cols)
        lon = lat = None
        if self.point is not None:
            names.append(self.geom_column)
            marks.append(f"NULLIF(?, {NULL_TEXT})")
            lon = frame[self.point[0]].to_numpy(dtype="float64", na_value=np.nan)
            lat = frame[self.point[1]].to_numpy(dtype="float64", na_value=np.nan)
            arrays.append(blob_params(spatialite_points(pd.Series(lon), pd.Series(lat))))
        quoted = ", ".join(f'"{c}"' for c in names)
        try:
            cur.executemany(
                f'INSERT INTO "{self.table}" ({quoted}) VALUES ({", ".join(marks)})',
                zip(*arrays, strict=True),
            )
        except Exception as exc:  # indexes kept (a small load): name the key
            if type(exc).__name__ != "IntegrityError" or "UNIQUE" not in str(exc):
                raise
            raise DuplicateError(
                f"Kunci ganda di {self.table} ({exc}); tidak ada yang diimpor.",
                f"Duplicate key in {self.table} ({exc}); nothing imported.",
            ) from exc
        if self._deferred is not None and lon is not None and lat is not None:
            ids = frame["id"].to_numpy(dtype="int64") if "id" in frame.columns else None
            self._deferred.add(ids, lon, lat)

    def finish(self) -> int:
        """Make every loaded row part of the table (and its indexes); returns the rows."""
        if self._columns is None:
            return 0
        cur = self._driver_cursor()
        try:
            if self._pg:
                self._rebuild_pg(cur)
            elif self._deferred is not None:
                self._deferred.finish(cur)
        finally:
            cur.close()
        done, self._columns = self.rows, None
        return done

    # -- internals

    def _start(self) -> None:
        cur = self._driver_cursor()
        try:
            rebuild = self._rebuild_indexes(cur)
            if self._pg:
                types = dict(
                    cur.execute(
                        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                        (f'"{self.table}"',),
                    ).fetchall()
                )
                self._pg_types = [_pg_copy_type(types[c]) for c in self._cols]
                self._vector = all(t in FIXED or t in RAW for t in self._pg_types)
                self._dropped = self._drop_indexes_pg(cur) if rebuild else []
                self._pg_checks = PgDeferredChecks(self.table)
                self._ids: PgIdBlock | None = None
                if rebuild:  # the table is locked by the index drop already
                    self._pg_checks.start(cur)
                    if self._vector and "id" not in self._cols:
                        self._ids = PgIdBlock.of(cur, self.table)
                if rebuild:  # sort the index builds in memory (this transaction only)
                    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
                self._ready = True
            else:
                self._deferred = SqliteDeferred(
                    self.table, self.geom_column, rebuild, point=self.point
                )
                self._deferred.start(cur, with_point=self.point is not None)
        finally:
            cur.close()

    def _rebuild_indexes(self, cur) -> bool:
        if not self.expected_rows:
            return False
        if self._pg:
            est = cur.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (f'"{self.table}"',)
            ).fetchone()[0]
            existing = est if est >= 0 else 0
            if est < 0 or est < 1000:  # never analysed or tiny: count (cheap when small)
                existing = cur.execute(f'SELECT count(*) FROM "{self.table}"').fetchone()[0]
        else:
            existing = cur.execute(f'SELECT count(*) FROM "{self.table}"').fetchone()[0]
        return self.expected_rows >= REBUILD_INDEXES_FROM * max(existing, 1)

    def _copy_pg(self, cur: Any, frame: pd.DataFrame, encoded: Encoded | None) -> None:
        import psycopg  # lazy: PostgreSQL driver (~0.4 s), not loaded on SpatiaLite

        try:
            self._pg_checks.add(frame)
            if self._vector:
                self._copy_pg_block(cur, frame, encoded)
            else:
                self._copy_pg_rows(cur, frame)
        except psycopg.errors.UniqueViolation as exc:  # indexes kept (a small load)
            detail = exc.diag.message_detail or str(exc)
            raise DuplicateError(
                f"Kunci ganda di {self.table}: {detail} Tidak ada yang diimpor.",
                f"Duplicate key in {self.table}: {detail} Nothing imported.",
            ) from exc

    def _encode(self, frame: pd.DataFrame) -> tuple[list[str], list[pa.Array]]:
        names, cells = frame_cells(frame, self._pg_types)
        if self.point is not None:
            names.append(self.geom_column)
            cells.append(
                point_cells(
                    frame[self.point[0]].to_numpy(dtype="float64", na_value=np.nan),
                    frame[self.point[1]].to_numpy(dtype="float64", na_value=np.nan),
                    SRID,
                )
            )
        return names, cells

    def _copy_pg_block(self, cur: Any, frame: pd.DataFrame, encoded: Encoded | None) -> None:
        """The whole chunk as one binary COPY payload built by column operations
        (:mod:`.copy_binary`), written in one piece: no per-row Python."""
        names, cells = (
            (list(encoded.names), list(encoded.cells)) if encoded else self._encode(frame)
        )
        if self._ids is not None:
            ahead = max((self.expected_rows or 0) - self.rows, len(frame))
            names.append(self._ids.column)
            cells.append(fixed_cells(self._ids.take(cur, len(frame), ahead), None, ">i8"))
        body = rows_body(cells, len(names))
        quoted = ", ".join(f'"{c}"' for c in names)
        with cur.copy(f'COPY "{self.table}" ({quoted}) FROM STDIN (FORMAT binary)') as cp:
            cp.write(SIGNATURE)
            cp.write(body)
            cp.write(TRAILER)

    def _copy_pg_rows(self, cur: Any, frame: pd.DataFrame) -> None:
        """Row by row (psycopg's dumpers): for column types :mod:`.copy_binary` lacks."""
        names = list(self._cols)
        arrays = object_columns(frame)
        types = list(self._pg_types)
        if self.point is not None:
            names.append(self.geom_column)
            arrays.append(ewkb_points(frame[self.point[0]], frame[self.point[1]]))
            types.append("bytea")  # EWKB bytes, read by geometry_recv
        quoted = ", ".join(f'"{c}"' for c in names)
        with cur.copy(f'COPY "{self.table}" ({quoted}) FROM STDIN (FORMAT binary)') as cp:
            cp.set_types(types)
            for row in zip(*arrays, strict=True):
                cp.write_row(row)

    def _drop_indexes_pg(self, cur) -> list[str]:
        """Drop the table's indexes except the primary key and those behind a constraint
        (unique indexes of their own included); their CREATE statements, to run again."""
        rows = cur.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            (f'"{self.table}"',),
        ).fetchall()
        for name, _ in rows:
            cur.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def _rebuild_pg(self, cur) -> None:
        """Build the dropped indexes once; a unique one that fails lists the duplicates.
        Then the deferred reference checks (:class:`PgDeferredChecks`)."""
        import psycopg  # lazy: PostgreSQL driver (~0.4 s), not loaded on SpatiaLite

        self._pg_checks.finish(cur)
        for sql in self._dropped:
            if " UNIQUE " not in sql.upper():
                cur.execute(sql)
                continue
            cur.execute("SAVEPOINT muat_indeks_unik")
            try:
                cur.execute(sql)
            except psycopg.errors.UniqueViolation as exc:
                cur.execute("ROLLBACK TO SAVEPOINT muat_indeks_unik")
                raise duplicate_error(cur, self.table, sql, "%s") from exc
            cur.execute("RELEASE SAVEPOINT muat_indeks_unik")


def _pg_copy_type(sql_type: str) -> str:
    """The type name psycopg's binary COPY expects for a column's SQL type."""
    base = sql_type.split("(")[0].strip()
    return {
        "character varying": "varchar",
        "double precision": "float8",
        "smallint": "int2",
        "integer": "int4",
        "bigint": "int8",
        "boolean": "bool",
        "timestamp with time zone": "timestamptz",
        "timestamp without time zone": "timestamp",
    }.get(base, base)
