"""Values of a frame as the database drivers bind them fastest.

``object_columns``: each column as an object array with None for missing values (psycopg's
row-by-row COPY). ``sqlite_params``: the lists pysqlite binds on its fast path, with the
placeholder that turns the stand-ins for missing values back into NULL (see ``NULL_TEXT``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def object_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """Each column as an object array with None for missing values (what the drivers bind)."""
    cols = []
    for c in frame.columns:
        chunked = getattr(frame[c].array, "_pa_array", None)
        if chunked is not None and (
            pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)
        ):
            # Arrow text: pyarrow's own conversion (None for nulls), not pandas' per-item
            # iteration of an ArrowExtensionArray (~3 us per value).
            cols.append(chunked.to_numpy(zero_copy_only=False).astype(object, copy=False))
            continue
        arr = frame[c].to_numpy(dtype=object)
        mask = pd.isna(frame[c]).to_numpy()
        if mask.any():
            arr = arr.copy()
            arr[mask] = None
        cols.append(arr)
    return cols


# What pysqlite binds cheaply: int, float, str and bytearray take ~50 ns per value; None,
# bool, bytes and numpy scalars go through its adaptation lookup (~750-850 ns each, measured
# on pysqlite3 3.51). A missing value is therefore bound as a value of another type than
# the column's own values and turned into NULL by the placeholder: text and blob columns
# bind 0 under NULLIF(?, 0) (text or a blob never equals an integer), integer columns bind
# '' under NULLIF(?, ''); floats bind NaN, which SQLite stores as NULL.
NULL_TEXT = 0
NULL_NUMBER = ""


def sqlite_params(
    frame: pd.DataFrame, *, literals: bool = False
) -> tuple[list[list[Any]], list[str]]:
    """The bound values of ``frame`` as lists pysqlite binds on its fast path, and the
    placeholder of each column (``?`` or ``NULLIF(?, ...)``); stores the same values as
    binding None / bool / bytes would (see ``NULL_TEXT``). ``literals``: a column holding
    one integer or text throughout (the batch id, the periode) is written into the
    statement as a literal instead of being bound on every row (~0.2 us per row less for
    three such columns); its values then have no list, the placeholders stay in order."""
    params: list[list[Any]] = []
    marks: list[str] = []
    for c in frame.columns:
        literal = _sqlite_literal(frame[c]) if literals and len(frame) > 1 else None
        if literal is not None:
            marks.append(literal)
            continue
        values, mark = _sqlite_column(frame[c])
        params.append(values)
        marks.append(mark)
    if not params and len(frame.columns):  # every column constant: bind one (the rows)
        params, marks[0] = [_sqlite_column(frame[frame.columns[0]])[0]], "?"
    return params, marks


def _sqlite_literal(col: pd.Series) -> str | None:
    """An SQL literal for a column with one value on every row (an integer, or text without
    NUL characters), else None."""
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        values = col.to_numpy()
        return str(int(values[0])) if (values == values[0]).all() else None
    arrow = getattr(col.array, "_pa_array", None)
    text_type = arrow is not None and (
        pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)
    )
    if arrow is None or not text_type or arrow.null_count:
        return None
    low, high = pc.min_max(arrow).values()
    text = low.as_py()
    if text is None or text != high.as_py() or "\x00" in text:
        return None
    return "'" + text.replace("'", "''") + "'"


def _sqlite_column(col: pd.Series) -> tuple[list[Any], str]:
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return col.to_numpy().tolist(), "?"  # NaN: NULL
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return col.to_numpy().astype(np.int8).tolist(), "?"  # True/False as 1/0
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return col.to_numpy().tolist(), "?"
    missing = pd.isna(col).to_numpy()
    if pd.api.types.is_float_dtype(dtype):
        return col.to_numpy(dtype="float64", na_value=np.nan).tolist(), "?"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        ints = col.to_numpy(dtype="int64", na_value=0)
        if not missing.any():
            return ints.tolist(), "?"
        values = ints.astype(object)
        values[missing] = NULL_NUMBER
        return values.tolist(), "NULLIF(?, '')"
    kind = (
        "string"
        if pd.api.types.is_string_dtype(dtype)
        and not (isinstance(dtype, np.dtype) and dtype.kind == "O")
        else pd.api.types.infer_dtype(col, skipna=True)
    )
    if kind in ("string", "bytes"):
        values = object_columns(col.to_frame())[0]
        if kind == "bytes":
            values[~missing] = [bytearray(v) for v in values[~missing]]
        if not missing.any():
            return values.tolist(), "?"
        values[missing] = NULL_TEXT
        return values.tolist(), "NULLIF(?, 0)"
    return object_columns(col.to_frame())[0].tolist(), "?"  # anything else: None


def blob_params(blobs: np.ndarray) -> list[Any]:
    """Blobs (bytes or None) as bytearray / ``NULL_TEXT`` (for ``NULLIF(?, 0)``)."""
    return [NULL_TEXT if b is None else bytearray(b) for b in blobs]
