"""What a bulk load turns off during the load and checks once after it, on both backends:
secondary and unique indexes (rebuilt once, duplicates listed first), SpatiaLite's
per-row triggers and the per-row batch check of SQLite (one set-based query instead).

Everything runs on the caller's DBAPI cursor inside the caller's transaction: SQLite DDL is
transactional, so on any failure indexes and triggers come back with the rollback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_service.db.models import SRID
from geo_service.db.rtree_packed import fill_rtree_packed, rtree_is_empty
from geo_service.errors import DuplicateError, InvalidInputError

# How many duplicate keys an error lists (the rest are counted).
LIST_DUPLICATES = 20


@dataclass(frozen=True)
class RowCheck:
    """A per-row reference check of SQLite (a trigger) that a bulk load replaces by one
    set-based query over the loaded rows (migration 0006)."""

    trigger: str
    column: str
    parent: str
    parent_column: str


SQLITE_ROW_CHECKS: dict[str, list[RowCheck]] = {
    "keluarga": [RowCheck("keluarga_batch_ada", "batch_id", "impor_batch", "id")],
}

# PostgreSQL's statement triggers of the same checks (migration 0006). Each materialises
# the statement's rows as a transition table and aggregates them: a large load disables
# the trigger (it holds the table's lock anyway) and checks the values it sent once.
PG_STATEMENT_CHECKS: dict[str, list[RowCheck]] = {
    "keluarga": [RowCheck("keluarga_batch_insert", "batch_id", "impor_batch", "id")],
}


class PgDeferredChecks:
    """The statement-trigger checks of a large PostgreSQL load, done once after it: the
    distinct values the load sent must exist in the parent table and are locked
    ``FOR KEY SHARE`` there (what the trigger does per statement), then the trigger is
    enabled again. All inside the caller's transaction (a rollback restores the trigger)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.checks: list[RowCheck] = []
        self.values: dict[str, set[Any]] = {}

    def start(self, cur: Any) -> None:
        for check in PG_STATEMENT_CHECKS.get(self.table, []):
            on = cur.execute(
                "SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s "
                "AND tgenabled <> 'D'",
                (f'"{self.table}"', check.trigger),
            ).fetchone()
            if on is None:
                continue
            cur.execute(f'ALTER TABLE "{self.table}" DISABLE TRIGGER "{check.trigger}"')
            self.checks.append(check)
            self.values[check.column] = set()

    def add(self, frame: pd.DataFrame) -> None:
        for check in self.checks:
            col = frame[check.column]
            self.values[check.column].update(pd.unique(col[col.notna()]).tolist())

    def finish(self, cur: Any) -> None:
        for check in self.checks:
            sent = sorted(self.values[check.column])
            found = {
                r[0]
                for r in cur.execute(
                    f'SELECT "{check.parent_column}" FROM "{check.parent}" '
                    f'WHERE "{check.parent_column}" = ANY(%s) FOR KEY SHARE',
                    (sent,),
                ).fetchall()
            }
            missing = [v for v in sent if v not in found]
            if missing:
                raise missing_reference_error(self.table, check, missing)
            cur.execute(f'ALTER TABLE "{self.table}" ENABLE TRIGGER "{check.trigger}"')
        self.checks = []


def index_columns(create_sql: str) -> list[str]:
    """The columns of a ``CREATE [UNIQUE] INDEX ... (a, b, c)`` statement (either backend)."""
    inner = re.search(r"\(([^()]*)\)\s*(WHERE .*)?$", create_sql.strip(), re.S | re.I)
    if inner is None:
        raise ValueError(f"cannot read the columns of: {create_sql}")
    return [c.strip().strip('"') for c in inner.group(1).split(",")]


def duplicate_error(cur: Any, table: str, create_sql: str, mark: str) -> DuplicateError:
    """The keys of a unique index that occur more than once in ``table`` (listed)."""
    cols = index_columns(create_sql)
    quoted = ", ".join(f'"{c}"' for c in cols)
    rows = cur.execute(
        f'SELECT {quoted}, count(*) FROM "{table}" GROUP BY {quoted} HAVING count(*) > 1 '
        f"ORDER BY {quoted} LIMIT {mark}",
        (LIST_DUPLICATES + 1,),
    ).fetchall()
    shown = "; ".join(
        "(" + ", ".join(str(v) for v in r[:-1]) + f") {r[-1]}x" for r in rows[:LIST_DUPLICATES]
    )
    more = " ..." if len(rows) > LIST_DUPLICATES else ""
    key = ", ".join(cols)
    return DuplicateError(
        f"Kunci ganda di {table} ({key}): {shown}{more}. Baris yang sama tidak boleh disimpan "
        "dua kali; tidak ada yang diimpor.",
        f"Duplicate keys in {table} ({key}): {shown}{more}. The same row cannot be stored "
        "twice; nothing imported.",
        detail={"tabel": table, "kolom": cols, "ganda": [list(map(str, r)) for r in rows]},
    )


def missing_reference_error(table: str, check: RowCheck, values: list[Any]) -> InvalidInputError:
    shown = ", ".join(str(v) for v in values[:LIST_DUPLICATES])
    return InvalidInputError(
        f"{table}.{check.column} merujuk {check.parent} yang tidak ada ({shown}); tidak ada "
        "yang diimpor.",
        f"{table}.{check.column} refers to missing {check.parent} rows ({shown}); nothing "
        "imported.",
    )


# SpatiaLite's internal BLOB of a POINT: start 0x00, little endian 0x01, SRID, MBR (4
# doubles), 0x7C, class 1 (POINT), x, y, end 0xFE: 60 bytes (same bytes as MakePoint).
_SPATIALITE_POINT = np.dtype(
    [
        ("start", "u1"),
        ("endian", "u1"),
        ("srid", "<i4"),
        ("mbr", "<f8", 4),
        ("mbr_end", "u1"),
        ("cls", "<i4"),
        ("xy", "<f8", 2),
        ("end", "u1"),
    ]
)


def spatialite_points(lon: pd.Series, lat: pd.Series) -> np.ndarray:
    """SpatiaLite point blobs (EPSG:4326), None where lon or lat is missing."""
    x = lon.to_numpy(dtype="float64", na_value=np.nan)
    y = lat.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~(np.isnan(x) | np.isnan(y))
    rec = np.zeros(int(ok.sum()), dtype=_SPATIALITE_POINT)
    rec["endian"], rec["srid"], rec["mbr_end"], rec["cls"], rec["end"] = 1, SRID, 0x7C, 1, 0xFE
    rec["mbr"] = np.column_stack([x[ok], y[ok], x[ok], y[ok]])
    rec["xy"] = np.column_stack([x[ok], y[ok]])
    return _split(rec, len(x), ok)


# PostGIS' EWKB of a POINT with SRID: little endian 0x01, type POINT | SRID flag, SRID,
# x, y: 25 bytes (what ST_AsEWKB gives; the geometry type's binary COPY input reads it).
_EWKB_POINT = np.dtype([("endian", "u1"), ("type", "<u4"), ("srid", "<u4"), ("xy", "<f8", 2)])


def ewkb_points(lon: pd.Series, lat: pd.Series) -> np.ndarray:
    """EWKB point blobs (EPSG:4326), None where lon or lat is missing."""
    x = lon.to_numpy(dtype="float64", na_value=np.nan)
    y = lat.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~(np.isnan(x) | np.isnan(y))
    rec = np.zeros(int(ok.sum()), dtype=_EWKB_POINT)
    rec["endian"], rec["type"], rec["srid"] = 1, 0x20000001, SRID
    rec["xy"] = np.column_stack([x[ok], y[ok]])
    return _split(rec, len(x), ok)


def _split(rec: np.ndarray, n: int, ok: np.ndarray) -> np.ndarray:
    raw, size = rec.tobytes(), rec.dtype.itemsize
    out = np.full(n, None, dtype=object)
    out[ok] = [raw[i : i + size] for i in range(0, len(raw), size)]
    return out


# The packed R*Tree needs every loaded point at once (~110 bytes per row at its peak: the
# points, their float32 boxes, the sort and the node blobs; measured 2026-11-30, +225 MB
# for 2M rows). Up to this many rows (the largest kabupaten has ~1.5M families) that is
# the price of a 3x faster fill; a larger load fills the R*Tree by INSERT ... SELECT.
PACKED_RTREE_MAX_ROWS = 3_000_000


class SqliteDeferred:
    """SpatiaLite triggers, the table's row checks and (for a large load) its indexes, the
    unique ones included, off during a load and back after it, all inside the transaction.

    After the load: the R*Tree gets the new rows' boxes in one statement, each row check
    becomes one query over the new rows, the indexes are built once (a unique index that
    fails lists the duplicate keys), the triggers are recreated.
    """

    def __init__(
        self, table: str, column: str, rebuild: bool, point: tuple[str, str] | None = None
    ) -> None:
        self.table, self.column, self.rebuild = table, column, rebuild
        # (lon, lat) columns the geometry was made from: the R*Tree boxes are read from
        # them instead of parsing every point blob (MbrMinX ...); same values.
        self.point = point
        self.triggers: list[tuple[str, str]] = []
        self.indexes: list[str] = []
        self.checks = SQLITE_ROW_CHECKS.get(table, [])
        self.last = 0
        self.has_rtree = False
        # An R*Tree empty when the load starts is built packed from the loaded points
        # (:func:`fill_rtree_packed`); these are the points, chunk by chunk.
        self.packed: list[tuple[np.ndarray | None, np.ndarray, np.ndarray]] | None = None
        self.loaded = 0

    def start(self, cur: Any, *, with_point: bool) -> None:
        names = [c.trigger for c in self.checks]
        if with_point:
            names += [f"{p}_{self.table}_{self.column}" for p in ("gii", "ggi", "tmi")]
        if names:
            self.triggers = cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                f"({', '.join('?' for _ in names)})",
                names,
            ).fetchall()
        self.has_rtree = any(n.startswith("gii_") for n, _ in self.triggers)
        for name, _ in self.triggers:
            cur.execute(f'DROP TRIGGER "{name}"')
        self.last = cur.execute(f'SELECT coalesce(max(rowid), 0) FROM "{self.table}"').fetchone()[0]
        if self.has_rtree and self.point is not None and rtree_is_empty(cur, self.rtree):
            self.packed = []
        if self.rebuild:
            # Autoindexes of table constraints have no SQL and cannot be dropped.
            rows = cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (self.table,),
            ).fetchall()
            for name, _ in rows:
                cur.execute(f'DROP INDEX "{name}"')
            self.indexes = [sql for _, sql in rows]

    def finish(self, cur: Any) -> None:
        dropped = {n for n, _ in self.triggers}
        for check in self.checks:
            if check.trigger not in dropped:
                continue
            missing = cur.execute(
                f'SELECT DISTINCT "{check.column}" FROM "{self.table}" WHERE rowid > ? AND '
                f'"{check.column}" NOT IN (SELECT "{check.parent_column}" FROM '
                f'"{check.parent}") LIMIT 50',
                (self.last,),
            ).fetchall()
            if missing:
                raise missing_reference_error(self.table, check, [r[0] for r in missing])
        if self.has_rtree and not self._fill_packed(cur):
            col = self.column
            if self.point is not None:
                x, y = self.point
                box = f'"{x}", "{x}", "{y}", "{y}"'
            else:
                box = f'MbrMinX("{col}"), MbrMaxX("{col}"), MbrMinY("{col}"), MbrMaxY("{col}")'
            cur.execute(
                f'INSERT INTO "idx_{self.table}_{col}" (pkid, xmin, xmax, ymin, ymax) '
                f'SELECT rowid, {box} FROM "{self.table}" WHERE rowid > ? AND "{col}" IS NOT NULL',
                (self.last,),
            )
        for sql in self.indexes:
            try:
                cur.execute(sql)
            except Exception as exc:
                if not _is_unique_failure(exc):
                    raise
                raise duplicate_error(cur, self.table, sql, "?") from exc
        for _, sql in self.triggers:
            cur.execute(sql)

    @property
    def rtree(self) -> str:
        return f"idx_{self.table}_{self.column}"

    def add(self, ids: np.ndarray | None, lon: np.ndarray, lat: np.ndarray) -> None:
        """A chunk was inserted: its explicit row ids (None: the table's next rowids) and
        the lon/lat its points were made of (NaN: no point). Past ``PACKED_RTREE_MAX_ROWS``
        the points are let go and the R*Tree is filled by INSERT ... SELECT instead."""
        self.loaded += len(lon)
        if self.packed is not None and self.loaded > PACKED_RTREE_MAX_ROWS:
            self.packed = None  # memory stays bounded by the chunk, whatever the file
        if self.packed is not None:
            self.packed.append((ids, lon, lat))

    def _fill_packed(self, cur: Any) -> bool:
        """The R*Tree, empty before the load, built packed from the loaded points; False
        (nothing done) when the rows' ids cannot be told without reading them back."""
        if self.packed is None:
            return False
        parts, self.packed = self.packed, None
        if any(ids is not None for ids, _, _ in parts):
            if not all(ids is not None for ids, _, _ in parts):
                return False
            ids = np.concatenate([np.asarray(i, dtype=np.int64) for i, _, _ in parts])
        else:  # rowids given by SQLite: the next ones after the table's largest, in order
            n, top = cur.execute(
                f'SELECT count(*), coalesce(max(rowid), 0) FROM "{self.table}" WHERE rowid > ?',
                (self.last,),
            ).fetchone()
            if n != self.loaded or top != self.last + self.loaded:
                return False
            ids = np.arange(self.last + 1, self.last + 1 + self.loaded, dtype=np.int64)
        lon = np.concatenate([x for _, x, _ in parts]) if parts else np.empty(0)
        lat = np.concatenate([y for _, _, y in parts]) if parts else np.empty(0)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        return fill_rtree_packed(cur, self.rtree, ids[ok], lon[ok], lon[ok], lat[ok], lat[ok])


def _is_unique_failure(exc: Exception) -> bool:
    return type(exc).__name__ == "IntegrityError" and "UNIQUE" in str(exc).upper()


class PgIdBlock:
    """Serial ids of a large PostgreSQL load taken as blocks of the table's sequence and
    sent in the COPY, instead of a ``nextval`` per row (about 0.6 s of server CPU per
    million rows). Only while the load holds the table's lock (its indexes are dropped):
    no other insert can draw from the sequence then. The ids stay increasing in load order
    and unique; unused ids of the last block are a gap, as a rollback leaves with
    ``nextval`` too (sequences are not transactional)."""

    def __init__(self, sequence: str, column: str) -> None:
        self.sequence, self.column = sequence, column
        self.next = self.last = 0  # the block [next, last]; empty at first

    @classmethod
    def of(cls, cur: Any, table: str, column: str = "id") -> PgIdBlock | None:
        row = cur.execute("SELECT pg_get_serial_sequence(%s, %s)", (f'"{table}"', column))
        seq = row.fetchone()[0]
        return cls(seq, column) if seq else None

    def take(self, cur: Any, n: int, ahead: int = 0) -> np.ndarray:
        """``n`` ids (a new block of at least ``ahead`` ids when this one is short)."""
        if self.last - self.next + 1 < n:
            size = max(n, ahead)
            first = cur.execute("SELECT nextval(%s)", (self.sequence,)).fetchone()[0]
            cur.execute("SELECT setval(%s, %s)", (self.sequence, first + size - 1))
            self.next, self.last = first, first + size - 1
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids
