import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import schema as S
from geo_service.analysis.validate import validate_keluarga

KNOWN = ["33.24.01.2001", "33.24.01.2002"]
GOOD = {
    "id_keluarga": "K1",
    "periode": "2025-03",
    "kode_desa": "33.24.01.2001",
    "lat": "-7.0",
    "lon": "110.1",
    "jumlah_art": "4",
    "desil": "1",
    "pengeluaran_kapita": "350000",
    "penerima_pkh": "1",
}

# (reason code, column reported, changes to a good row)
BAD_ROWS = [
    ("kolom_wajib_kosong", "desil", {"desil": ""}),
    ("desil_di_luar_rentang", "desil", {"desil": "11"}),
    ("kode_desa_salah_format", "kode_desa", {"kode_desa": "3324012001"}),
    ("kode_desa_tidak_dikenal", "kode_desa", {"kode_desa": "33.24.99.9999"}),
    ("jumlah_art_tidak_valid", "jumlah_art", {"jumlah_art": "31"}),
    ("koordinat_di_luar_indonesia", "lat,lon", {"lat": "51.5", "lon": "0.12"}),
    ("koordinat_tertukar", "lat,lon", {"lat": "110.1", "lon": "-7.0"}),
    ("periode_salah_format", "periode", {"periode": "2025-13"}),
    ("id_keluarga_tidak_valid", "id_keluarga", {"id_keluarga": "x" * 65}),
    ("koordinat_tidak_lengkap", "lat,lon", {"lon": ""}),
    ("koordinat_tidak_valid", "lat,lon", {"lat": "abc"}),
    ("nilai_biner_tidak_valid", "penerima_pkh", {"penerima_pkh": "2"}),
    ("pengeluaran_tidak_valid", "pengeluaran_kapita", {"pengeluaran_kapita": "-5"}),
]


def _frame(rows):
    return pd.DataFrame(rows).astype(str)


@pytest.mark.parametrize("code,column,change", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_each_reason_code_reports_row_column_and_value(code, column, change):
    rows = [dict(GOOD, id_keluarga=f"OK{i}") for i in range(3)]
    bad = dict(GOOD, id_keluarga="BAD") | change
    rows.insert(1, bad)
    res = validate_keluarga(_frame(rows), known_desa=KNOWN)
    assert list(res.problems["kode_alasan"]) == [code]
    p = res.problems.iloc[0]
    assert p["baris"] == 3  # header is row 1, the bad row is the second family
    assert p["kolom"] == column
    if column != "lat,lon":
        assert str(p["nilai"]) == ("<NA>" if change[column] == "" else change[column])
    assert p["keterangan"] == S.reason_text(code)
    assert len(res.valid) == 3 and len(res.rejected) == 1
    assert res.rejected["baris"].tolist() == [3]


def test_duplicate_ids_reject_every_copy():
    rows = [dict(GOOD, id_keluarga="A"), dict(GOOD, id_keluarga="B"), dict(GOOD, id_keluarga="A")]
    res = validate_keluarga(_frame(rows), known_desa=KNOWN)
    assert res.problems["kode_alasan"].eq("id_keluarga_ganda").all()
    assert res.problems["baris"].tolist() == [2, 4]
    assert res.valid["id_keluarga"].tolist() == ["B"]


def test_all_problems_of_a_row_are_reported_not_only_the_first():
    bad = dict(GOOD, desil="0", jumlah_art="0", periode="03/2025", kode_desa="x")
    res = validate_keluarga(_frame([bad]), known_desa=KNOWN)
    assert set(res.problems["kode_alasan"]) == {
        "desil_di_luar_rentang",
        "jumlah_art_tidak_valid",
        "periode_salah_format",
        "kode_desa_salah_format",
    }


def test_missing_required_column_rejects_everything():
    frame = _frame([GOOD]).drop(columns="desil")
    res = validate_keluarga(frame, known_desa=KNOWN)
    assert res.problems["kode_alasan"].tolist() == ["kolom_tidak_ada"]
    assert res.valid.empty and len(res.rejected) == 1


def test_valid_rows_are_typed_and_optional_columns_default():
    res = validate_keluarga(
        _frame([GOOD, dict(GOOD, id_keluarga="K2", lat="", lon="")]), known_desa=KNOWN
    )
    assert res.ok
    v = res.valid
    assert v["desil"].dtype == np.int8 and v["jumlah_art"].dtype == np.int16
    assert np.isnan(v["lat"].iloc[1])
    assert v["penerima_pkh"].tolist() == [1, 1]
    assert v["tanpa_listrik"].tolist() == [0, 0]  # absent flag column reads as 0


def test_typed_parquet_like_input_and_unknown_columns():
    frame = pd.DataFrame(
        {
            "id_keluarga": ["a", "b"],
            "periode": ["2025-03"] * 2,
            "kode_desa": KNOWN,
            "lat": [-7.0, np.nan],
            "lon": [110.1, np.nan],
            "jumlah_art": [3, 40],
            "desil": [1.0, 2.0],
            "nik": ["x", "y"],
        }
    )
    res = validate_keluarga(frame, known_desa=KNOWN)
    assert res.unknown_columns == ["nik"]
    assert res.problems["kode_alasan"].tolist() == ["jumlah_art_tidak_valid"]
    assert "nik" not in res.valid.columns


def test_row_offset_for_chunks_and_english_text():
    res = validate_keluarga(
        _frame([dict(GOOD, desil="x")]), known_desa=KNOWN, row_offset=1000, lang="en"
    )
    assert res.problems["baris"].tolist() == [1002]
    assert res.problems["keterangan"].iloc[0] == "Decile must be an integer 1-10"


def test_typed_and_text_input_give_the_same_result():
    """The same rows as typed columns (Parquet) and as text (CSV): same valid table, same
    problems, whichever path each column takes (all parse / some do not)."""
    typed = pd.DataFrame(
        {
            "id_keluarga": ["a", "b", "c", "d", "b"],
            "periode": ["2025-03"] * 5,
            "kode_desa": KNOWN + KNOWN + ["33.24.01.2001"],
            "lat": [-7.0, np.nan, 6.2, -7.1, 110.1],
            "lon": [110.1, np.nan, 95.1, np.inf, -7.0],
            "jumlah_art": [3, 4, 2, 1, 5],
            "desil": [1, 2, 11, 3, 4],
            "pengeluaran_kapita": pd.array([350_000, None, 2.5, -1, 0], dtype="Float64"),
            "penerima_pkh": [1, 0, 1, 2, 0],
            "tanpa_jamban": [True, False, True, False, True],
        }
    )
    text = typed.astype("string").fillna("")
    text["tanpa_jamban"] = text["tanpa_jamban"].str.lower()
    a = validate_keluarga(typed, known_desa=KNOWN)
    b = validate_keluarga(text, known_desa=KNOWN)
    pd.testing.assert_frame_equal(a.valid, b.valid)
    cols = ["baris", "id_keluarga", "kolom", "kode_alasan"]
    pd.testing.assert_frame_equal(a.problems[cols], b.problems[cols])
    assert a.valid["id_keluarga"].tolist() == ["a"]
    assert a.valid["tanpa_jamban"].tolist() == [1]
    assert set(a.problems["kode_alasan"]) == {
        "id_keluarga_ganda",
        "desil_di_luar_rentang",
        "pengeluaran_tidak_valid",
        "koordinat_tidak_valid",
        "nilai_biner_tidak_valid",
        "koordinat_tertukar",
    }
    # 6.2 N, 95.1 E (Pulau Weh) is inside the padded national box.
    assert "koordinat_di_luar_indonesia" not in set(a.problems["kode_alasan"])
