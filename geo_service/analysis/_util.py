"""Small helpers shared by every layer above ``analysis`` (pure: no files, no database)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON-ready Python: the one numpy/pandas -> JSON converter.

    Missing values (None, NA, NaT, NaN, +-inf) become None; numpy scalars become Python
    numbers and booleans; arrays, lists and tuples become lists; dict keys become strings;
    dates and timestamps ISO 8601 text; shapely geometries WKT. Anything else is returned
    as it is.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime | date):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkt(value)
    return value
