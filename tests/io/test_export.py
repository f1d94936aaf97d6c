import pandas as pd
import pytest

from geo_service.io.export import output_dir, write_csv


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
