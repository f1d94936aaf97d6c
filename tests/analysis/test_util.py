"""The one numpy/pandas -> JSON converter."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_service.analysis._util import jsonable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(np.int64(7), 7, id="numpy-int"),
        pytest.param(np.float32(0.5), 0.5, id="numpy-float"),
        pytest.param(np.bool_(True), True, id="numpy-bool"),
        pytest.param(float("nan"), None, id="nan"),
        pytest.param(np.float64("inf"), None, id="inf"),
        pytest.param(pd.NA, None, id="pd-NA"),
        pytest.param(pd.NaT, None, id="NaT"),
        pytest.param(pd.Timestamp("2025-03-01 08:00"), "2025-03-01T08:00:00", id="timestamp"),
        pytest.param(date(2025, 3, 1), "2025-03-01", id="date"),
        pytest.param(shapely.Point(110.1, -6.9), "POINT (110.1 -6.9)", id="geometry"),
        pytest.param(np.array([1, 2]), [1, 2], id="array"),
        pytest.param({1: (np.int8(1), "a")}, {"1": [1, "a"]}, id="nested-dict"),
        pytest.param("teks", "teks", id="text"),
    ],
)
def test_jsonable(value, expected):
    out = jsonable(value)
    assert out == expected
    assert type(out) is type(expected)
    json.dumps(out, allow_nan=False)  # strict JSON
