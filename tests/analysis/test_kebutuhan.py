"""Needs per place, OPD targets from the programme table, programme coverage errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import schema as S
from geo_service.analysis.kebutuhan import (
    NEEDS,
    check_programme_table,
    need_flags,
    needs_by,
    opd_targets,
    programme_coverage,
)
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.io.reference import opd_programmes_path, read_opd_programmes
from geo_service.settings import PathSettings

D1, D2 = "33.24.01.2001", "33.24.01.2002"


def _families() -> pd.DataFrame:
    """Desa D1: 4 extreme-poor families (desil 1) and 2 better-off (desil 7);
    desa D2: 1 extreme-poor family, 1 desil 3; one family outside every desa."""
    rows = [
        # kode, desil, pkh, bpnt, pbi, rtlh, jamban, anak
        (D1, 1, 1, 1, 1, 1, 0, 0),
        (D1, 1, 0, 0, 1, 1, 1, 0),
        (D1, 1, 0, 0, 0, 0, 1, 1),
        (D1, 1, 1, 0, 0, 1, 0, 0),
        (D1, 7, 1, 0, 1, 0, 0, 0),
        (D1, 7, 0, 0, 0, 0, 0, 0),
        (D2, 1, 0, 0, 0, 1, 1, 1),
        (D2, 3, 0, 0, 0, 1, 0, 0),
        (None, 1, 0, 0, 0, 1, 1, 1),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "kode_desa_lokasi",
            "desil",
            "penerima_pkh",
            "penerima_bpnt",
            "penerima_pbi_jk",
            "rumah_tidak_layak",
            "tanpa_jamban",
            "anak_tidak_sekolah",
        ],
    )
    frame[S.ID] = [f"K{i}" for i in range(len(frame))]
    frame["ekstrem"] = frame["desil"] == 1
    frame["jumlah_art"] = 3
    return frame


NAMES = pd.DataFrame(
    {
        "kode_desa": [D1, D2],
        "nama_desa": ["Satu", "Dua"],
        "kode_kec": ["33.24.01"] * 2,
        "nama_kec": ["Plantungan"] * 2,
    }
)


def test_need_flags_fill_missing_columns_and_invert_programmes():
    flags = need_flags(_families())
    assert list(flags.columns) == list(NEEDS)
    assert flags["tanpa_listrik"].sum() == 0  # column absent: counted as 0
    assert flags["tidak_menerima_pkh"].tolist() == [0, 1, 1, 0, 0, 1, 1, 1, 1]
    assert flags["tidak_menerima_blt"].eq(1).all()


def test_needs_by_desa_counts_extreme_poor_families_only():
    fam = _families()
    out = needs_by(fam, fam["kode_desa_lokasi"].to_numpy(dtype=object), "kode_desa")
    assert out["kode_desa"].tolist() == [D1, D2]  # the family outside is left out
    d1 = out.set_index("kode_desa").loc[D1]
    assert d1["n_keluarga_ekstrem"] == 4
    assert d1["n_rumah_tidak_layak"] == 3 and d1["pct_rumah_tidak_layak"] == 75.0
    assert d1["n_tanpa_jamban"] == 2 and d1["pct_tanpa_jamban"] == 50.0
    assert d1["n_tidak_menerima_pkh"] == 2 and d1["pct_tidak_menerima_pkh"] == 50.0
    d2 = out.set_index("kode_desa").loc[D2]
    assert d2["n_keluarga_ekstrem"] == 1 and d2["pct_anak_tidak_sekolah"] == 100.0


def test_coverage_exclusion_and_inclusion():
    fam = _families()
    cov = programme_coverage(fam, fam["kode_desa_lokasi"].to_numpy(dtype=object), "kode_desa")
    d1 = cov.set_index("kode_desa").loc[D1]
    # Extreme poor in D1: PKH 2 of 4, BPNT 1 of 4, PBI-JK 2 of 4 receive; none: 1 family.
    assert (d1["n_eksklusi_pkh"], d1["pct_eksklusi_pkh"]) == (2, 50.0)
    assert (d1["n_eksklusi_bpnt"], d1["pct_eksklusi_bpnt"]) == (3, 75.0)
    assert (d1["n_eksklusi_pbi_jk"], d1["pct_eksklusi_pbi_jk"]) == (2, 50.0)
    assert (d1["n_ekstrem_tanpa_bansos"], d1["pct_ekstrem_tanpa_bansos"]) == (1, 25.0)
    # Desil 6-10 in D1: two families, one receives PKH and PBI-JK.
    assert d1["n_keluarga_mampu"] == 2
    assert (d1["pct_inklusi_pkh"], d1["pct_inklusi_bpnt"], d1["pct_inklusi_pbi_jk"]) == (
        50.0,
        0.0,
        50.0,
    )
    d2 = cov.set_index("kode_desa").loc[D2]
    assert d2["n_keluarga_mampu"] == 0 and np.isnan(d2["pct_inklusi_pkh"])
    assert d2["pct_eksklusi_pkh"] == 100.0
    # Per pocket: any key works (here: D1 families in pocket "K-1").
    keys = np.where(fam["kode_desa_lokasi"] == D1, "K-1", None)
    pocket = programme_coverage(fam, keys, "kantong_id")
    assert pocket["kantong_id"].tolist() == ["K-1"]
    assert pocket["n_keluarga_ekstrem"].iloc[0] == 4


def test_reference_table_in_data_is_valid_and_covers_the_contract():
    table = read_opd_programmes(opd_programmes_path(PathSettings().data_dir))
    assert set(table["kebutuhan"]) >= set(S.DEPRIVATION_COLUMNS) | {
        "tidak_menerima_pkh",
        "tidak_menerima_bpnt",
        "tidak_menerima_pbi_jk",
    }
    assert (table["opd"] != "").all() and (table["program"] != "").all()
    row = table[table["kebutuhan"] == "rumah_tidak_layak"].iloc[0]
    assert "RTLH" in row["program"] and "Disperkim" in row["opd"]
    assert table[table["kebutuhan"] == "tidak_menerima_pkh"]["opd"].str.contains("Dinsos").all()


def test_opd_targets_per_programme():
    fam = _families()
    needs = needs_by(fam, fam["kode_desa_lokasi"].to_numpy(dtype=object), "kode_desa")
    table = pd.DataFrame(
        {
            "kebutuhan": ["rumah_tidak_layak", "tidak_menerima_pkh", "anak_tidak_sekolah"],
            "nama_kebutuhan": [
                "Rumah tidak layak huni",
                "Tidak menerima PKH",
                "Anak tidak sekolah",
            ],
            "nama_kebutuhan_en": [
                "Inadequate dwelling",
                "Not receiving PKH",
                "Out-of-school child",
            ],
            "opd": ["Disperkim", "Dinsos", "Disdikbud"],
            "program": ["RTLH", "PKH", "ATS"],
        }
    )
    out = opd_targets(needs, table, NAMES)
    rtlh = out[out["program"] == "RTLH"]
    # Ranked by the programme's own need beyond the kabupaten share (4 of 5 extreme-poor
    # families need RTLH): D2 has 1 of 1 (+0.2), D1 3 of 4 (-0.2), so D2 comes first.
    assert rtlh["kode_desa"].tolist() == [D2, D1]
    assert rtlh["n_keluarga_sasaran"].tolist() == [1, 3]
    assert rtlh["kelebihan_kebutuhan"].round(6).tolist() == [0.2, -0.2]
    assert rtlh["urutan"].tolist() == [1, 2] and rtlh["nama_desa"].tolist() == ["Dua", "Satu"]
    assert out[out["program"] == "ATS"]["n_keluarga_sasaran"].tolist() == [1, 1]
    # A floor on the number of families.
    floor = opd_targets(needs, table, NAMES, min_keluarga=2)
    assert floor[floor["program"] == "RTLH"]["kode_desa"].tolist() == [D1]
    assert floor[floor["program"] == "ATS"].empty
    en = opd_targets(needs, table, NAMES, lang="en")
    assert "Inadequate dwelling" in set(en["nama_kebutuhan"])


def test_bad_programme_tables_are_reported_in_both_languages(tmp_path):
    with pytest.raises(InvalidInputError) as err:
        check_programme_table(pd.DataFrame({"kebutuhan": ["x"], "opd": ["A"]}))
    assert "nama_kebutuhan" in err.value.pesan and "lacks columns" in err.value.message
    bad = pd.DataFrame(
        {
            "kebutuhan": ["rumah_bocor"],
            "nama_kebutuhan": ["?"],
            "nama_kebutuhan_en": ["?"],
            "opd": ["A"],
            "program": ["B"],
        }
    )
    with pytest.raises(InvalidInputError) as err:
        check_programme_table(bad)
    assert "rumah_bocor" in err.value.pesan
    with pytest.raises(NotFoundError):
        read_opd_programmes(tmp_path / "tidak_ada.csv")
    # A file saved by Excel (UTF-8 with BOM) reads the same.
    path = tmp_path / "opd.csv"
    good = bad.assign(kebutuhan="tanpa_jamban")
    good.to_csv(path, index=False, encoding="utf-8-sig")
    assert read_opd_programmes(path)["kebutuhan"].tolist() == ["tanpa_jamban"]
