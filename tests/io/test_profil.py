"""Import profiles on files: a by-name XLSX (header on row 3, other headers, 10-digit codes,
desa names with spelling variants, Excel dates) maps to the same contract rows as the
equivalent contract file, and its bad rows are reported with reason codes."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_service.analysis import schema as S
from geo_service.analysis.profil import apply_profil
from geo_service.analysis.validate import validate_keluarga
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.io.boundaries import read_boundaries
from geo_service.io.profil import available_profiles, load_profil, read_source
from geo_service.settings import PROJECT_ROOT
from tests.fixtures.by_name import BAD_ROWS, make_by_name

KEY = b"uji-kunci-pseudonim-".ljust(32, b"x")


@pytest.fixture(scope="module")
def desa():
    d = read_boundaries(PROJECT_ROOT / "data" / "boundaries" / "desa_33.24_kendal.geojson")
    return pd.DataFrame(d[["kode", "nama", "nama_kec"]])


@pytest.fixture(scope="module")
def by_name(kendal_keluarga, desa, tmp_path_factory):
    fam = kendal_keluarga["frame"].sample(240, random_state=3)
    return make_by_name(fam, desa, tmp_path_factory.mktemp("by_name"), KEY)


def _mapped(by_name, desa):
    profil = load_profil("dtsen_nama")
    raw, offset = read_source(by_name.xlsx, profil)
    return raw, offset, apply_profil(raw, profil, desa=desa, kunci=KEY, row_offset=offset)


def test_shipped_profiles():
    assert {"kontrak", "dtsen_nama"} <= set(available_profiles())
    assert not load_profil("kontrak").by_name
    assert load_profil("dtsen_nama").by_name
    with pytest.raises(NotFoundError, match="dtsen_nama"):
        load_profil("tidak_ada")


def test_by_name_file_maps_to_the_contract_file(by_name, desa):
    raw, offset, m = _mapped(by_name, desa)
    assert offset == 2 and len(raw) == by_name.n_good + BAD_ROWS  # trailing blank row dropped
    assert set(m.kontrak.columns) == set(S.ALL_COLUMNS)
    got = validate_keluarga(m.kontrak, known_desa=set(desa["kode"]), row_offset=offset)
    want = validate_keluarga(pd.read_csv(by_name.csv, dtype=str, keep_default_na=False))
    cols = [c for c in want.valid.columns if c != "baris"]
    a = got.valid[cols].sort_values(S.ID).reset_index(drop=True)
    b = want.valid[cols].sort_values(S.ID).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert set(m.kontrak[S.PERIODE].dropna()) == {"2025-03"}  # Excel dates and date cells
    assert m.cara_desa["kode"] >= by_name.n_good // 2
    assert m.cara_desa.get("ejaan", 0) > 0 and m.cara_desa.get("mirip", 0) > 0
    assert "Tanggal Pendataan" in m.tidak_dipakai and "No" in m.tidak_dipakai


def test_spelling_variants_resolve_to_their_desa(by_name, desa):
    raw, _, m = _mapped(by_name, desa)
    names = raw["Desa"]
    for variant, kode in by_name.variants.items():
        rows = m.kontrak.loc[names == variant, S.KODE_DESA]
        assert set(rows) == {kode}, variant


def test_bad_rows_are_reported_with_reason_codes_and_sheet_rows(by_name, desa):
    _, _, m = _mapped(by_name, desa)
    first_bad = 4 + by_name.n_good  # header on row 3, data from row 4
    got = dict(zip(m.masalah["baris"].astype(int), m.masalah["kode_alasan"], strict=True))
    assert got == {
        first_bad: "nama_desa_tidak_dikenal",
        first_bad + 1: "nama_desa_ambigu",
        first_bad + 2: "nomor_kk_nik_tidak_valid",
    }
    ambiguous = m.masalah.loc[m.masalah["kode_alasan"] == "nama_desa_ambigu", "nilai"].iloc[0]
    assert "33.24.06.2003" in ambiguous and "33.24.13.2008" in ambiguous
    v = validate_keluarga(m.kontrak, known_desa=set(desa["kode"]), row_offset=2)
    assert set(v.problems["baris"].astype(int)) == {first_bad, first_bad + 1, first_bad + 2}


def test_no_identifier_reaches_the_contract_or_the_report(by_name, desa):
    _, _, m = _mapped(by_name, desa)
    text = m.kontrak.to_csv() + m.masalah.to_csv() + repr(m.summary())
    assert not [n for n in by_name.nik + by_name.kk if n in text]
    assert "Kepala Keluarga 0001" not in text
    ident = m.identitas
    assert len(ident) == by_name.n_good + 2  # the row without numbers has no id
    assert set(ident["no_kk"].dropna()) <= set(by_name.kk)


def test_unmapped_required_column_is_named(by_name, desa, tmp_path):
    raw, _, _ = _mapped(by_name, desa)
    csv = tmp_path / "tanpa_desil.csv"
    raw.drop(columns=["Desil"]).to_csv(csv, index=False, sep=";")
    profil = load_profil("dtsen_nama")
    frame, offset = read_source(csv, profil.__class__(**{**profil.__dict__, "baris_header": 1}))
    with pytest.raises(InvalidInputError, match="desil") as err:
        apply_profil(frame, profil, desa=desa, kunci=KEY)
    assert err.value.detail["kolom_tidak_terpetakan"] == ["desil"]


def test_user_profile_file(tmp_path, desa):
    src = tmp_path / "sumber.csv"
    src.write_text(
        "KK;Kode;Bln;ART;Kelas\n"
        "3324010101010001;3324012001;2025-03;4;D1\n"
        "3324010101010002;3324012002;2025-03;3;D7\n",
        encoding="utf-8",
    )
    prof = tmp_path / "milik_saya.toml"
    prof.write_text(
        "[kolom]\nno_kk='KK'\nkode_desa='Kode'\nperiode='Bln'\njumlah_art='ART'\ndesil='Kelas'\n"
        "[desa]\nformat='kode10'\n[id]\ndari='kk'\n[desil.nilai]\nD1='1'\nD7='7'\n",
        encoding="utf-8",
    )
    profil = load_profil(prof)
    raw, offset = read_source(src, profil)
    m = apply_profil(raw, profil, kunci=KEY, row_offset=offset)
    assert m.kontrak[S.KODE_DESA].tolist() == ["33.24.01.2001", "33.24.01.2002"]
    assert m.kontrak["desil"].tolist() == ["1", "7"]
    assert validate_keluarga(m.kontrak).ok


def test_contract_profile_is_the_identity(by_name):
    profil = load_profil("kontrak")
    raw, offset = read_source(by_name.csv, profil)
    m = apply_profil(raw, profil)
    assert offset == 0 and m.identitas.empty and m.masalah.empty
    want = pd.read_csv(by_name.csv, dtype=str, keep_default_na=False)
    got = validate_keluarga(m.kontrak).valid
    pd.testing.assert_frame_equal(got, validate_keluarga(want).valid)
