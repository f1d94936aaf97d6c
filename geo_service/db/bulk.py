"""Bulk loading of frames: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Both run on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from geo_service.db.models import SRID


def _object_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    cols = []
    for c in frame.columns:
        arr = frame[c].to_numpy(dtype=object)
        mask = pd.isna(frame[c]).to_numpy()
        if mask.any():
            arr = arr.copy()
            arr[mask] = None
        cols.append(arr)
    return cols


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
    values = ", ".join("?" for _ in columns)
    arrays = _object_columns(frame)
    if point is not None:
        columns.append(geom_column)
        values += f", MakePoint(?, ?, {SRID})"
        arrays += _object_columns(frame[[point[0], point[1]]])
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({values})'
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
