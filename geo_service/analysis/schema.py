"""The household input contract (``docs/household-schema.md``): columns, flags, reason codes."""

from __future__ import annotations

from geo_service.i18n import teks

ID = "id_keluarga"
PERIODE = "periode"
KODE_DESA = "kode_desa"

#: Kemendagri codes: kabupaten ``33.24``, desa ``33.24.01.2001`` (the one pattern of each).
KODE_KAB_PATTERN = r"^\d{2}\.\d{2}$"
KODE_DESA_PATTERN = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"

REQUIRED_COLUMNS: tuple[str, ...] = (ID, PERIODE, KODE_DESA, "jumlah_art", "desil")
COORD_COLUMNS: tuple[str, ...] = ("lat", "lon")
PROGRAM_COLUMNS: tuple[str, ...] = (
    "penerima_pkh",
    "penerima_bpnt",
    "penerima_pbi_jk",
    "penerima_blt",
)
DEPRIVATION_COLUMNS: tuple[str, ...] = (
    "rumah_tidak_layak",
    "tanpa_jamban",
    "air_minum_tidak_layak",
    "tanpa_listrik",
    "kk_tidak_tamat_sd",
    "anak_tidak_sekolah",
    "kk_tidak_bekerja",
)
FLAG_COLUMNS: tuple[str, ...] = PROGRAM_COLUMNS + DEPRIVATION_COLUMNS
ALL_COLUMNS: tuple[str, ...] = (
    REQUIRED_COLUMNS[:3]
    + COORD_COLUMNS
    + ("jumlah_art", "desil", "pengeluaran_kapita")
    + FLAG_COLUMNS
)

# Indonesia's extent padded by about 50 km: the national desa layer spans lon
# 94.97..141.02 (Aceh Besar, Sabang .. the Papua New Guinea border in Merauke) and lat
# -11.01..6.08 (Rote Ndao .. Pulau Weh); the old box -11..6 / 95..141 cut off real desa.
LAT_RANGE = (-11.5, 6.5)
LON_RANGE = (94.5, 141.5)
MAX_ID_LENGTH = 64
MAX_ART = 30

# Reason code -> (Bahasa Indonesia, English). The first nine are the contract's minimum.
REASONS: dict[str, tuple[str, str]] = {
    "kolom_wajib_kosong": ("Kolom wajib kosong", "Required column is empty"),
    "desil_di_luar_rentang": ("Desil harus bilangan bulat 1-10", "Decile must be an integer 1-10"),
    "kode_desa_salah_format": (
        "Kode desa harus berformat NN.NN.NN.NNNN",
        "Village code must look like NN.NN.NN.NNNN",
    ),
    "kode_desa_tidak_dikenal": (
        "Kode desa tidak ada dalam batas wilayah",
        "Village code is not in the boundaries",
    ),
    "jumlah_art_tidak_valid": (
        "Jumlah anggota keluarga harus bilangan bulat 1-30",
        "Family size must be an integer 1-30",
    ),
    "koordinat_di_luar_indonesia": (
        "Koordinat di luar wilayah Indonesia",
        "Coordinates are outside Indonesia",
    ),
    "koordinat_tertukar": (
        "Lintang dan bujur tampaknya tertukar",
        "Latitude and longitude appear swapped",
    ),
    "id_keluarga_ganda": (
        "id_keluarga muncul lebih dari sekali dalam periode ini",
        "id_keluarga appears more than once in this period",
    ),
    "periode_salah_format": ("Periode harus berformat YYYY-MM", "Period must look like YYYY-MM"),
    "id_keluarga_tidak_valid": (
        "id_keluarga terlalu panjang (maksimal 64 karakter)",
        "id_keluarga is too long (at most 64 characters)",
    ),
    "koordinat_tidak_lengkap": (
        "Lintang dan bujur harus diisi keduanya atau dikosongkan keduanya",
        "Latitude and longitude must both be given or both be empty",
    ),
    "koordinat_tidak_valid": ("Koordinat bukan angka", "Coordinate is not a number"),
    "nilai_biner_tidak_valid": ("Nilai harus 0 atau 1", "Value must be 0 or 1"),
    "pengeluaran_tidak_valid": (
        "Pengeluaran per kapita harus bilangan bulat tidak negatif",
        "Per-capita expenditure must be a non-negative integer",
    ),
    "kolom_tidak_ada": ("Kolom wajib tidak ada dalam berkas", "Required column is missing"),
}

# Location status of a family after the location rule.
STATUS_TANPA_GEOTAG = "tanpa_geotag"
STATUS_DALAM_DESA = "dalam_desa"
STATUS_TUMPANG_TINDIH = "tumpang_tindih"
STATUS_TERDEKAT = "terdekat"
STATUS_DI_LUAR_BATAS = "di_luar_batas"
LOCATION_STATUSES = (
    STATUS_TANPA_GEOTAG,
    STATUS_DALAM_DESA,
    STATUS_TUMPANG_TINDIH,
    STATUS_TERDEKAT,
    STATUS_DI_LUAR_BATAS,
)


def reason_text(code: str, lang: str = "id") -> str:
    """The readable text of a reason code in ``lang`` ("id" or "en")."""
    pesan, message = REASONS[code]
    return teks((pesan, message), lang)
