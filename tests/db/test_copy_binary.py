"""The column-built binary COPY payload (``db/copy_binary.py``) stores exactly what psycopg's
row-by-row ``write_row`` stores: every supported type, NULLs, NaN, non-ASCII text, points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from geo_service.db.bulk_keys import ewkb_points
from geo_service.db.copy_binary import (
    SIGNATURE,
    TRAILER,
    column_cells,
    frame_cells,
    point_cells,
    rows_body,
)
from tests.conftest import _pg_dsn, postgis_database

COLUMNS = {
    "a": "int2",
    "b": "int4",
    "c": "int8",
    "d": "float8",
    "e": "bool",
    "f": "varchar",
    "g": "text",
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": pd.array([1, -2, None, 32767, 0], dtype="Int64"),
            "b": np.array([5, -6, 7, 2**31 - 1, 0], dtype=np.int32),
            "c": pd.array([None, 2**40, -(2**40), 3, None], dtype="Int64"),
            "d": [1.5, np.nan, -7.123456789012345, 0.0, 1e-300],
            "e": [True, False, True, False, True],
            "f": pd.array(["33.24", None, "Désa ñ", "", "x" * 70], dtype="string[pyarrow]"),
            "g": np.array(["a", None, "b", "c", "d"], dtype=object),
            "lon": [110.1, np.nan, 110.3, 110.4, 110.5],
            "lat": [-7.1, -7.2, np.nan, -7.4, -7.5],
        }
    )


def _table(cur, name: str) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in COLUMNS.items())
    cur.execute(f"CREATE TEMPORARY TABLE {name} ({cols}, geom geometry(POINT, 4326))")


def test_block_payload_equals_row_by_row():
    frame = _frame()
    names = [*COLUMNS, "geom"]
    copy_sql = "COPY {} ({}) FROM STDIN (FORMAT binary)"
    with postgis_database() as url:
        dbname = url.rsplit("/", 1)[1]
        with psycopg.connect(_pg_dsn(dbname)) as conn, conn.cursor() as cur:
            _table(cur, "blok")
            _table(cur, "baris")
            cells = [column_cells(frame[c], t) for c, t in COLUMNS.items()]
            cells.append(point_cells(frame["lon"].to_numpy(), frame["lat"].to_numpy(), 4326))
            with cur.copy(copy_sql.format("blok", ", ".join(names))) as cp:
                cp.write(SIGNATURE)
                cp.write(rows_body(cells))
                cp.write(TRAILER)
            # the frame at once: NULL-free fixed-width columns as one block, in another order
            _table(cur, "bingkai")
            order, cells = frame_cells(frame[list(COLUMNS)], list(COLUMNS.values()))
            assert order[:2] == ["b", "e"]
            cells.append(point_cells(frame["lon"].to_numpy(), frame["lat"].to_numpy(), 4326))
            with cur.copy(copy_sql.format("bingkai", ", ".join([*order, "geom"]))) as cp:
                cp.write(SIGNATURE)
                cp.write(rows_body(cells, len(order) + 1))
                cp.write(TRAILER)
            rows = []
            for i in range(len(frame)):
                row = [frame[c].iloc[i] for c in COLUMNS]
                rows.append([None if pd.isna(v) else v for v in row])
            points = ewkb_points(frame["lon"], frame["lat"])
            with cur.copy(copy_sql.format("baris", ", ".join(names))) as cp:
                cp.set_types([*COLUMNS.values(), "bytea"])
                for row, point in zip(rows, points, strict=True):
                    cp.write_row(
                        [int(v) if isinstance(v, np.integer) else v for v in row] + [point]
                    )
            query = "SELECT {}, ST_AsEWKT(geom) FROM {} ORDER BY b"
            got = cur.execute(query.format(", ".join(COLUMNS), "blok")).fetchall()
            want = cur.execute(query.format(", ".join(COLUMNS), "baris")).fetchall()
            assert got == want
            assert cur.execute(query.format(", ".join(COLUMNS), "bingkai")).fetchall() == want
            assert len(got) == 5
            assert got[4][:5] == (32767, 2**31 - 1, 3, 0.0, False)  # ordered by b
            nulls = cur.execute("SELECT count(*) FROM blok WHERE geom IS NULL").fetchone()
            assert nulls == (2,)


def test_empty_and_single_column():
    assert bytes(rows_body([column_cells(pd.Series([], dtype="Int64"), "int4")])) == b""
    body = bytes(rows_body([column_cells(pd.Series([1], dtype="Int64"), "int4")]))
    assert body == b"\x00\x01" + b"\x00\x00\x00\x04" + b"\x00\x00\x00\x01"
    body = bytes(rows_body([column_cells(pd.Series([None], dtype="string"), "text")]))
    assert body == b"\x00\x01\xff\xff\xff\xff"


def test_integers_out_of_range_are_refused_not_wrapped():
    with pytest.raises(ValueError, match="out of range"):
        column_cells(pd.Series([1, 40000], dtype="Int64"), "int2")
    with pytest.raises(ValueError, match="out of range"):
        frame_cells(pd.DataFrame({"a": [1, 2**31]}), ["int4"])
    column_cells(pd.Series([None, 32767], dtype="Int64"), "int2")  # NULL and the maximum
