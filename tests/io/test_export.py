import numpy as np
import pandas as pd
import pytest

from geo_service.io.cells import neutralise
from geo_service.io.export import (
    CSV_CONVENTIONS,
    _csv_number,
    _csv_text,
    csv_text,
    output_dir,
    write_csv,
    xlsx_value,
)


def test_output_dir_moves_files_only_on_success(tmp_path):
    target = tmp_path / "out"
    with output_dir(target) as tmp:
        write_csv(pd.DataFrame({"nama": ["Kaliwungu Selatan"]}), tmp / "a.csv")
    assert (target / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert [p.name for p in target.iterdir()] == ["a.csv"]


def test_output_dir_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "new"
    with pytest.raises(RuntimeError), output_dir(target) as tmp:
        (tmp / "half.csv").write_text("x")
        raise RuntimeError("boom")
    assert not target.exists()


def test_output_dir_keeps_other_files_and_old_results_on_failure(tmp_path):
    target = tmp_path / "old"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "a.csv").write_text("old")
    with pytest.raises(RuntimeError), output_dir(target) as tmp:
        (tmp / "a.csv").write_text("new")
        raise RuntimeError("boom")
    assert (target / "a.csv").read_text() == "old"
    assert sorted(p.name for p in target.iterdir()) == ["a.csv", "notes.txt"]


def _csv_text_per_row(frame: pd.DataFrame, convention: str) -> str:
    """The CSV writer as it was before it went column by column (issue 17): the reference
    the vectorised :func:`csv_text` must match byte for byte."""
    sep, decimal = CSV_CONVENTIONS[convention]
    frame = frame.drop(columns="geometry", errors="ignore")
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    lines = [sep.join(_csv_text(c) for c in frame.columns)]
    for rec in frame.itertuples(index=False):
        lines.append(
            sep.join(
                _csv_number(v, decimal) if num else _csv_text(v)
                for v, num in zip(rec, numeric, strict=True)
            )
        )
    return "\r\n".join(lines) + "\r\n"


def _awkward_frame() -> pd.DataFrame:
    n = 9
    return pd.DataFrame(
        {
            "kode_kab": ["33.20", "33.24", None, "=1+1", "-5", "-", "+62 812", 'a "b"', ""],
            "n": np.arange(n, dtype=np.int64) - 3,
            "u": np.arange(n, dtype=np.uint8),
            "x": [3.0, np.nan, np.inf, -np.inf, -0.0, 1e16, 1e-7, 0.1 + 0.2, 123456789012345.0],
            "x32": np.linspace(-1, 1, n, dtype=np.float32),
            "ni": pd.array([1, None, 3, 4, 5, None, 7, 8, 9], dtype="Int64"),
            "nf": pd.array([1.5, None, 3, 4, 5, 6, 7, 8, 9.25], dtype="Float64"),
            "b": [True, False] * 4 + [True],
            "nb": pd.array([True, None, False] * 3, dtype="boolean"),
            "obj": [None, np.nan, pd.NA, [1, 2], ("a",), {"k": 1}, 5, 2.5, "@x"],
            "s": pd.array(["a", None, "b;c", "d,e", "\tx", "\ry", "ü", "x\ny", "z"], dtype="str"),
            "t": pd.to_datetime(["2025-03-01", None] + ["2025-01-02"] * 7),
            "k": pd.Categorical(["a", "b", None] * 3),
            "geometry": [None] * n,
        }
    )


@pytest.mark.parametrize("convention", ["standar", "id"])
def test_csv_text_column_by_column_is_the_per_row_text(convention):
    frame = _awkward_frame()
    assert csv_text(frame, convention=convention) == _csv_text_per_row(frame, convention)
    for part in (frame.iloc[:0], frame[[]], frame.iloc[:, :3], frame[["geometry"]]):
        assert csv_text(part, convention=convention) == _csv_text_per_row(part, convention)


def test_csv_text_id_convention_keeps_codes_text_and_commas_decimal():
    frame = pd.DataFrame({"kode_kab": ["33.20"], "pct": [12.5], "n": [3]})
    assert csv_text(frame, convention="id") == '"kode_kab";"pct";"n"\r\n"33.20";12,5;3\r\n'


def _xlsx_value_before(value):
    """:func:`xlsx_value` before its fast paths for str, int, bool and float (issue 17)."""
    if value is None or (not isinstance(value, str | list | tuple | dict) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return neutralise("; ".join(str(v) for v in value))
    if isinstance(value, dict):
        return neutralise(str(value))
    return neutralise(value)


def test_xlsx_value_fast_paths_give_the_same_cells():
    values = ["33.20", "=1+1", "-5", "", 0, -3, True, False, 1.5, float("nan"), float("inf")]
    values += [None, pd.NA, np.nan, np.float64(2.5), np.int64(4), np.bool_(True), [1, "a"]]
    values += [("x",), {"k": 1}, pd.Timestamp("2025-03-01"), pd.NaT]
    for v in values:
        got, want = xlsx_value(v), _xlsx_value_before(v)
        assert type(got) is type(want) and (got == want or (got is None and want is None)), v
