"""PostgreSQL's binary ``COPY`` format for a whole frame at once, built with column
operations (numpy for fixed-width values, Arrow for text and the row interleave): no
per-row Python.

The format: a 19-byte header, then per row a 16-bit field count and per field a 32-bit
length (-1 for NULL) and the value in the type's binary ("send") form, then a 16-bit -1
trailer; every number big-endian. Each column becomes an Arrow binary array of its encoded
fields ("cells"); ``binary_join_element_wise`` joins the cells of a row, and the joined
array's data buffer is the rows of the payload in order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"

# Fixed-width types: numpy big-endian dtype of their binary form.
FIXED = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float4": ">f4",
    "float8": ">f8",
    "bool": "u1",
}
# Types whose binary form is their bytes as such (UTF-8 text; EWKB for geometry).
RAW = {"varchar", "text", "bpchar", "bytea", "geometry"}

_EMPTY = np.zeros(0, dtype=np.uint8)


_MAX_BYTES = 2**31 - 1  # Arrow binary arrays have 32-bit offsets


def _binary(n: int, sizes: np.ndarray, data: np.ndarray) -> pa.Array:
    """An Arrow binary array of ``n`` values with these byte sizes over ``data``."""
    ends = np.cumsum(sizes, dtype=np.int64)
    if n and ends[-1] > _MAX_BYTES:
        raise ValueError("chunk too large for one COPY payload (2 GB); use smaller chunks")
    offsets = np.zeros(n + 1, dtype=np.int32)
    offsets[1:] = ends
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))]
    )


def fixed_cells(values: np.ndarray, missing: np.ndarray | None, dtype: str) -> pa.Array:
    """Length + value of a fixed-width column (``missing``: NULL there)."""
    n = len(values)
    width = np.dtype(dtype).itemsize
    _check_range(values, missing, dtype)
    rec = np.empty(n, dtype=[("len", ">i4"), ("v", dtype)])
    rec["len"] = width
    rec["v"] = values
    mat = rec.view(np.uint8).reshape(n, 4 + width)
    if missing is None or not missing.any():
        return _binary(n, np.full(n, 4 + width, dtype=np.int32), mat.ravel())
    rec["len"][missing] = -1
    keep = np.ones((n, 4 + width), dtype=bool)
    keep[missing, 4:] = False
    sizes = np.where(missing, 4, 4 + width).astype(np.int32)
    return _binary(n, sizes, mat[keep])


def _check_range(values: np.ndarray, missing: np.ndarray | None, dtype: str) -> None:
    """Integers that do not fit the column's type are refused (numpy would wrap them)."""
    kind = np.dtype(dtype)
    if kind.kind not in "iu" or not len(values) or np.dtype(values.dtype).kind not in "iub":
        return
    present = values if missing is None else values[~missing]
    if not len(present):
        return
    info = np.iinfo(kind)
    if present.min() < info.min or present.max() > info.max:
        raise ValueError(f"value out of range for {kind.name} ({present.min()}..{present.max()})")


def raw_cells(arr: pa.Array) -> pa.Array:
    """Length + bytes of a text / binary column (NULL where ``arr`` is null)."""
    arr = arr.cast(pa.binary()) if arr.type != pa.binary() else arr
    n = len(arr)
    lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    missing = arr.is_null().to_numpy(zero_copy_only=False)
    prefix = np.where(missing, -1, np.nan_to_num(lengths, nan=0)).astype(">i4")
    head = _binary(n, np.full(n, 4, dtype=np.int32), prefix.view(np.uint8))
    return pc.binary_join_element_wise(head, arr.fill_null(b""), b"")


def column_cells(series: pd.Series, pg_type: str) -> pa.Array:
    """The COPY fields of one column of a frame (pandas NA / NaN / None = NULL)."""
    if pg_type in FIXED:
        missing = pd.isna(series).to_numpy(dtype=bool)
        kind = np.float64 if pg_type.startswith("float") else np.int64
        values = series.to_numpy(dtype=kind, na_value=0)
        return fixed_cells(values, missing, FIXED[pg_type])
    if pg_type not in RAW:
        raise ValueError(f"no binary COPY encoding for type {pg_type}")
    chunked = getattr(series.array, "_pa_array", None)
    if chunked is not None:
        arr = chunked.combine_chunks() if isinstance(chunked, pa.ChunkedArray) else chunked
    else:
        values = series.to_numpy(dtype=object)
        missing = pd.isna(series).to_numpy(dtype=bool)
        if missing.any():
            values = values.copy()
            values[missing] = None
        arr = pa.array(values, type=pa.binary() if pg_type in ("bytea", "geometry") else None)
    return raw_cells(arr)


def frame_cells(frame: pd.DataFrame, pg_types: list[str]) -> tuple[list[str], list[pa.Array]]:
    """The COPY fields of a frame's columns, and the column order they are in.

    The fixed-width columns without NULLs in this frame come first, as ONE cell array (a
    numpy record per row holding every such field: one array operation instead of one
    per column); each other column is a cell array of its own. COPY names its columns, so
    the order is free.
    """
    n = len(frame)
    block: list[tuple[str, str, np.ndarray]] = []
    rest: list[tuple[str, str]] = []
    for c, t in zip(frame.columns, pg_types, strict=True):
        if t in FIXED and not frame[c].hasnans:
            kind = np.float64 if t.startswith("float") else np.int64
            block.append((c, t, frame[c].to_numpy(dtype=kind)))
        else:
            rest.append((c, t))
    cells = []
    if block:
        fields = []
        for i, (_, t, _) in enumerate(block):
            fields += [(f"n{i}", ">i4"), (f"v{i}", FIXED[t])]
        rec = np.empty(n, dtype=fields)
        for i, (_, t, values) in enumerate(block):
            _check_range(values, None, FIXED[t])
            rec[f"n{i}"] = np.dtype(FIXED[t]).itemsize
            rec[f"v{i}"] = values
        width = rec.dtype.itemsize
        cells.append(_binary(n, np.full(n, width, dtype=np.int32), rec.view(np.uint8)))
    cells += [column_cells(frame[c], t) for c, t in rest]
    return [c for c, _, _ in block] + [c for c, _ in rest], cells


def rows_body(cells: list[pa.Array], fields: int | None = None) -> memoryview:
    """The rows of a binary COPY stream made of these cells (without header and trailer:
    write :data:`SIGNATURE` before and :data:`TRAILER` after); ``fields``: the fields per
    row when a cell array holds several (:func:`frame_cells`), default one per array."""
    if not cells:
        raise ValueError("no columns")
    n = len(cells[0])
    count = np.full(n, fields or len(cells), dtype=">i2").view(np.uint8)
    head = _binary(n, np.full(n, 2, dtype=np.int32), count)
    rows = pc.binary_join_element_wise(head, *cells, b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=n + 1, offset=rows.offset * 4)
    data = rows.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])] if n else _EMPTY.data


# PostGIS EWKB of a POINT with SRID (little endian, type POINT | SRID flag, SRID, x, y: 25
# bytes, what ST_AsEWKB gives; the geometry type's binary input reads it), as a COPY field.
_EWKB_FIELD = np.dtype(
    [("len", ">i4"), ("endian", "u1"), ("type", "<u4"), ("srid", "<u4"), ("xy", "<f8", 2)]
)


def point_cells(lon: np.ndarray, lat: np.ndarray, srid: int) -> pa.Array:
    """EWKB points as COPY fields of a geometry column; NULL where lon or lat is NaN."""
    n = len(lon)
    missing = np.isnan(lon) | np.isnan(lat)
    rec = np.zeros(n, dtype=_EWKB_FIELD)
    rec["len"], rec["endian"], rec["type"], rec["srid"] = 25, 1, 0x20000001, srid
    rec["xy"][:, 0], rec["xy"][:, 1] = lon, lat
    width = _EWKB_FIELD.itemsize
    mat = rec.view(np.uint8).reshape(n, width)
    if not missing.any():
        return _binary(n, np.full(n, width, dtype=np.int32), mat.ravel())
    rec["len"][missing] = -1
    keep = np.ones((n, width), dtype=bool)
    keep[missing, 4:] = False
    return _binary(n, np.where(missing, 4, width).astype(np.int32), mat[keep])
