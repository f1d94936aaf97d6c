"""The duplicate-id pass of a family import: the Arrow / array-hash path for Parquet finds
exactly what the general path finds (edge white space, empty and missing ids, repeats
across chunks, ids of one length and of many)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from geo_service.io.import_files import _duplicate_ids, duplicate_ids, text_hashes

CASES = [
    ["a", "b", " a", "c", "", None, "b ", "d\u00a0", "d", "e", "e"],  # edge space: general path
    ["a", "b", "a", "c", "", None, "", "d", "e", "e", None],
    ["x"] * 5,
    [],
    ["abc", "abd", "abc", "abe"],
    [f"DTSEN-{i % 7:04d}" for i in range(30)],  # one length
    [f"K-{i % 11}" for i in range(40)],  # several lengths
]


@pytest.mark.parametrize("ids", CASES)
def test_parquet_path_equals_general_path(tmp_path, ids):
    path = tmp_path / "keluarga.parquet"
    pd.DataFrame({"id_keluarga": pd.array(ids, dtype="string")}).to_parquet(path)
    assert duplicate_ids(path, 3) == _duplicate_ids(path, 3)


def test_text_hashes():
    h = text_hashes(pa.array(["a", "b", None, "", "ab", "ba", "a", "x" * 40, "x" * 40]))
    assert h[0] == h[6] and h[7] == h[8]
    assert h[2] == 0 and h[3] == 0
    assert len({int(v) for v in h[[0, 1, 4, 5, 7]]}) == 5
    sliced = text_hashes(pa.array(["zzz", "abc", "abd", "abc"]).slice(1))
    assert sliced[0] == sliced[2] != sliced[1]
    assert (
        text_hashes(pa.array(["zzz", "abc", "abd"]).slice(1))
        == text_hashes(pa.array(["abc", "abd"]))
    ).all()
