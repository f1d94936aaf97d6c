"""Pure parts of import profiles and pseudonyms: codes, dates, desa names, keyed ids."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from geo_service.analysis.profil import (
    DesaRule,
    kode_10,
    kode_titik,
    norm_desa_name,
    periode_text,
    profil_from_dict,
    resolve_desa_names,
)
from geo_service.analysis.pseudonim import family_pseudonym, key_fingerprint, nomor_16, pseudonym
from geo_service.errors import InvalidInputError, KunciError

KEY = b"k" * 32
DESA = pd.DataFrame(
    {
        "kode": ["33.24.06.2003", "33.24.13.2008", "33.24.13.2001", "33.24.01.2003"],
        "nama": ["Gondang", "Gondang", "Cepiring", "Tlogopayung"],
        "nama_kec": ["Limbangan", "Cepiring", "Cepiring", "Plantungan"],
    }
)


def test_codes_convert_both_ways():
    s = pd.Series(["3324012001", "'3324012001", "33.24.01.2001", "33240120", None], dtype="string")
    dotted = kode_titik(s)
    assert dotted.tolist()[:3] == ["33.24.01.2001"] * 3
    assert dotted.iloc[3] == "33240120"  # left for the validator's format check
    assert kode_10(dotted.iloc[:1]).tolist() == ["3324012001"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2025, 3, 1),
        date(2025, 3, 31),
        45717,  # Excel serial of 2025-03-01
        "45717",
        "2025-03-01",
        "01/03/2025",
        "03/2025",
        "Maret 2025",
        "2025-3",
    ],
    ids=str,
)
def test_periode_from_dates_as_sources_write_them(value):
    assert periode_text(pd.Series([value], dtype=object)).iloc[0] == "2025-03"


def test_unreadable_periode_is_left_for_the_validator():
    assert periode_text(pd.Series(["triwulan 1"], dtype=object)).iloc[0] == "triwulan 1"


@pytest.mark.parametrize(
    "variant", ["Cepiring", "CEPIRING", "Desa Cepiring", "Tjepiring", "Kel. cepiring"]
)
def test_spelling_variants_normalise_alike(variant):
    assert norm_desa_name(variant) == norm_desa_name("Cepiring")


def test_desa_names_resolve_with_reasons():
    names = pd.Series(["Cepiring", "Tjepiring", "Tlogopayng", "Gondang", "Gondang", "Atlantis"])
    kec = pd.Series([None, None, None, None, "Kec. Limbangan", None], dtype=object)
    m = resolve_desa_names(names, DESA, kecamatan=kec, rule=DesaRule(ambang=0.85))
    assert m.cara.tolist() == ["tepat", "ejaan", "mirip", "ambigu", "tepat", "tidak_dikenal"]
    assert m.kode.iloc[2] == "33.24.01.2003"
    assert m.kode.iloc[4] == "33.24.06.2003"  # the kecamatan settles it
    assert pd.isna(m.kode.iloc[3]) and m.kandidat.iloc[3] == "33.24.06.2003;33.24.13.2008"


def test_fuzzy_tie_is_ambiguous_not_guessed():
    desa = pd.DataFrame({"kode": ["a", "b"], "nama": ["Sidorejo", "Sidoreja"]})
    m = resolve_desa_names(pd.Series(["Sidorej"]), desa)
    assert m.cara.iloc[0] == "ambigu"


def test_pseudonym_is_keyed_stable_and_namespaced():
    kk = pd.Series(["3324010101010001", "'3324 0101 0101 0001", "33240101010100"])
    a = pseudonym(kk, KEY)
    assert a.iloc[0] == a.iloc[1]  # apostrophe and spaces do not matter
    assert pd.isna(a.iloc[2])  # 14 digits: not a KK number
    assert a.iloc[0].startswith("DTSEN-HK-") and len(a.iloc[0]) <= 64
    assert "3324010101010001" not in a.iloc[0]
    assert pseudonym(kk, b"o" * 32).iloc[0] != a.iloc[0]  # another key, another id
    assert pseudonym(kk, KEY, jenis="nik").iloc[0] != a.iloc[0]
    fam = family_pseudonym(
        pd.Series([None, "3324010101010001"]), pd.Series(["3324014101800001"] * 2), KEY
    )
    assert fam.iloc[1] == a.iloc[0]
    assert fam.iloc[0] == pseudonym(pd.Series(["3324014101800001"]), KEY, jenis="nik").iloc[0]


def test_missing_or_short_key_is_a_clear_error():
    with pytest.raises(KunciError, match="belum diatur"):
        pseudonym(pd.Series(["3324010101010001"]), None)
    with pytest.raises(KunciError, match="terlalu pendek"):
        pseudonym(pd.Series(["3324010101010001"]), b"short")
    assert key_fingerprint(KEY) != key_fingerprint(b"o" * 32)


def test_excel_rounded_numbers_are_not_numbers():
    s = nomor_16(pd.Series(["3.32401E+15", "0000000000000000", "3324010101010001"]))
    assert s.isna().tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"kolom": {"nomor_hp": "HP"}}, "nomor_hp"),
        ({"desa": {"format": "peta"}}, "format"),
        ({"kolom": {"nik": "NIK"}}, "kk_atau_nik"),
        ({"id": {"dari": "kk"}}, "no_kk"),
        ({"lain": {}}, "lain"),
    ],
    ids=["unknown-target", "desa-format", "nik-needs-hash", "kk-needs-column", "section"],
)
def test_profile_mistakes_name_the_key(data, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        profil_from_dict(data, nama="uji")
