"""Languages: Bahasa Indonesia by default, English complete as an option.

The shared message catalogue (:data:`MESSAGES`, :func:`msg`), the one selector of a
module's ``{"id": ..., "en": ...}`` text table (:func:`pick`), and the language of a
request (``?lang=en`` or ``Accept-Language``). No web framework is imported here: this is
the lowest layer.

Numbers, percentages and dates a person reads go through ONE formatter here
(:func:`fmt_number`, :func:`fmt_int`, :func:`fmt_percent`, :func:`fmt_date`,
:func:`fmt_periode`, :func:`fmt_value`), used by the CLI, the API texts, the maps, the PDF
and the XLSX: Bahasa Indonesia ``6.838``, ``40,2 %``, ``29 November 2026``; English
``6,838``, ``40.2%``, ``29 November 2026``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

Lang = Literal["id", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    "tidak_terautentikasi": (
        "Perlu login: kirim token Bearer atau kunci API.",
        "Authentication required: send a Bearer token or an API key.",
    ),
    "token_tidak_valid": (
        "Token atau kunci API tidak valid atau kedaluwarsa.",
        "Token or API key is invalid or expired.",
    ),
    "login_gagal": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "peran_ditolak": ("Peran Anda tidak boleh mengakses ini.", "Your role may not access this."),
    "kabupaten_ditolak": (
        "Anda tidak punya akses ke kabupaten ini.",
        "You have no access to this kabupaten.",
    ),
    "geografi_ditolak": (
        "Peran publik hanya melihat satu jenis wilayah ({geo}).",
        "The public role sees one geography family only ({geo}).",
    ),
    "input_tidak_valid": ("Masukan tidak valid.", "Invalid input."),
    "tidak_ditemukan": ("Tidak ditemukan.", "Not found."),
    "terlalu_besar": (
        "Berkas terlalu besar (maksimal {max} byte).",
        "File too large (at most {max} bytes).",
    ),
    "kesalahan_server": ("Terjadi kesalahan pada server.", "Internal server error."),
    "belum_ada_hasil": (
        "Belum ada hasil analisis untuk kabupaten {kab} periode {periode}.",
        "No analysis results for kabupaten {kab} periode {periode} yet.",
    ),
    "format_tidak_dikenal": ("Format tidak dikenal: {fmt}.", "Unknown format: {fmt}."),
    # CLI
    "peringatan": ("Peringatan", "Warning"),
    "gagal": ("Gagal", "Failed"),
    "menulis": ("Menulis {what}", "Wrote {what}"),
    "menulis_dua": ("Menulis {a} dan {b}", "Wrote {a} and {b}"),
    "hasil": ("Hasil", "Results"),
    "ringkasan_kabupaten": (
        "  keluarga: {keluarga}, jiwa: {jiwa}, jiwa miskin ekstrem: {ekstrem} ({pct})",
        "  families: {keluarga}, persons: {jiwa}, extreme-poor persons: {ekstrem} ({pct})",
    ),
    "baris_ditolak": (
        "  baris ditolak: {n} (validation.csv)",
        "  rejected rows: {n} (validation.csv)",
    ),
}


def negotiate(query_lang: str | None, accept_language: str | None) -> Lang:
    """``query_lang`` wins; else the first of id/en in ``Accept-Language`` by weight; else id."""
    if query_lang:
        return "en" if query_lang.lower().startswith("en") else "id"
    if not accept_language:
        return "id"
    best: tuple[float, Lang] | None = None
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        lang: Lang | None = (
            "en" if tag.startswith("en") else ("id" if tag.startswith(("id", "in")) else None)
        )
        if lang and q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else "id"


def request_lang(request: Any) -> Lang:
    """The language of ``request`` (anything with ``query_params`` and ``headers``, such as
    a Starlette request)."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def msg(key: str, lang: str, **kwargs) -> str:
    """A user message in ``lang``."""
    pesan, message = MESSAGES[key]
    return (message if lang == "en" else pesan).format(**kwargs)


def pick(table: Mapping[str, Any], lang: str) -> Any:
    """The ``lang`` entry of a ``{"id": ..., "en": ...}`` text table; anything but ``en``
    gives Bahasa Indonesia."""
    return table["en" if lang == "en" else "id"]


# ------------------------------------------------------------------------- numbers, dates

#: Thousands and decimal separators per language.
SEPARATORS: dict[str, tuple[str, str]] = {"id": (".", ","), "en": (",", ".")}

MONTHS: dict[str, tuple[str, ...]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

#: Yes/no as a person reads them.
YES_NO: dict[str, tuple[str, str]] = {"id": ("ya", "tidak"), "en": ("yes", "no")}

#: What an empty (missing or suppressed) value shows.
EMPTY = "-"


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "id"


def _missing(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or (
            not isinstance(value, str | int | float) and value != value
        )
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as Python ones."""
    if hasattr(value, "item") and not isinstance(value, str | int | float):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def fmt_number(value: Any, lang: str = "id", decimals: int = 0) -> str:
    """``value`` with the thousands and decimal separators of ``lang`` and ``decimals``
    decimals: ``fmt_number(6838, "id") == "6.838"``, ``fmt_number(1234.5, "en", 1) ==
    "1,234.5"``. Missing values give ``"-"``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    thousands, decimal = SEPARATORS[_lang(lang)]
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,}"
    if text in ("-0", "-0.0") or (text.startswith("-") and float(text.replace(",", "")) == 0):
        text = text[1:]
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def fmt_int(value: Any, lang: str = "id") -> str:
    """A count: ``6.838`` / ``6,838``."""
    return fmt_number(value, lang, 0)


def fmt_percent(value: Any, lang: str = "id", decimals: int = 1) -> str:
    """A percentage given in percent units: ``40,2 %`` / ``40.2%``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    text = fmt_number(value, lang, decimals)
    return f"{text}%" if _lang(lang) == "en" else f"{text} %"


def fmt_p(value: Any, lang: str = "id") -> str:
    """A p-value: ``p < 0,0001`` below 1e-4 (the scan reports down to 1e-17, which no reader
    needs), else two significant digits, ``p = 0,0032`` / ``p = 0.0032``."""
    value = _plain(value)
    if _missing(value):
        return EMPTY
    p = float(value)
    if p < 1e-4:
        return "p < " + fmt_number(0.0001, lang, 4)
    decimals = max(2, 1 - math.floor(math.log10(p)))
    return "p = " + fmt_number(p, lang, decimals)


def fmt_date(value: date | datetime | str | None, lang: str = "id") -> str:
    """A date in words: ``29 November 2026`` (both languages; month names per language).
    ISO strings are accepted."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        value = datetime.fromisoformat(value[:10])
    return f"{value.day} {MONTHS[_lang(lang)][value.month - 1]} {value.year}"


def fmt_periode(periode: str | None, lang: str = "id") -> str:
    """A DTSEN periode ``YYYY-MM`` in words: ``Maret 2025`` / ``March 2025`` (anything else
    as given)."""
    if not periode:
        return EMPTY
    try:
        year, month = str(periode).split("-")[:2]
        return f"{MONTHS[_lang(lang)][int(month) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return str(periode)


def decimals_for(value: float) -> int:
    """How many decimals a number shows when nothing else is known: whole numbers none,
    small fractions 3, the rest 1."""
    if float(value).is_integer():
        return 0
    return 3 if abs(value) < 1 else 1


def fmt_value(value: Any, lang: str = "id", *, column: str | None = None) -> str:
    """Any table value as text: counts, percentages (columns starting ``pct``), scores,
    booleans, lists; missing values ``"-"``."""
    value = _plain(value)
    if isinstance(value, str):
        return value
    if _missing(value):
        return EMPTY
    if isinstance(value, bool):
        yes, no = YES_NO[_lang(lang)]
        return yes if value else no
    if isinstance(value, int):
        return fmt_int(value, lang)
    if isinstance(value, float):
        if column and column.startswith("pct"):
            return fmt_percent(value, lang)
        if column and (column.startswith("n_") or column in ("peringkat", "nomor")):
            return fmt_int(value, lang)
        return fmt_number(value, lang, decimals_for(value))
    if isinstance(value, date | datetime):
        return fmt_date(value, lang)
    if isinstance(value, list | tuple):
        return "; ".join(fmt_value(v, lang) for v in value)
    return str(value)


def pocket_label(nomor: Any, kantong_id: Any, lang: str = "id") -> str:
    """The one name of a pocket in tables, maps and texts: its number and its stable id,
    ``Kantong 3 (K-7b05904ebf)`` / ``Pocket 3 (K-7b05904ebf)``."""
    word = "Pocket" if _lang(lang) == "en" else "Kantong"
    nomor = _plain(nomor)
    num = "?" if _missing(nomor) else str(int(nomor))
    return f"{word} {num} ({kantong_id})" if kantong_id else f"{word} {num}"


# ------------------------------------------------------------------------- column catalogue

#: Columns a person reads in the pack, workbooks and maps: header (id, en) and what the
#: column means (id, en). The one place headers are translated.
COLUMNS: dict[str, tuple[str, str, str, str]] = {
    "peringkat": ("Peringkat", "Rank", "Urutan prioritas desa (1 = paling prioritas).", "Priority rank of the village (1 = highest)."),
    "kode_kab": ("Kode kab.", "Regency code", "Kode kabupaten Kemendagri (teks).", "Kemendagri regency code (text)."),
    "kode_desa": ("Kode desa", "Village code", "Kode desa Kemendagri (teks, mis. 33.24.01.2001).", "Kemendagri village code (text, e.g. 33.24.01.2001)."),
    "nama_desa": ("Desa", "Village", "Nama desa/kelurahan.", "Village name."),
    "kode_kec": ("Kode kec.", "District code", "Kode kecamatan Kemendagri (teks).", "Kemendagri sub-district code (text)."),
    "nama_kec": ("Kecamatan", "Sub-district", "Nama kecamatan.", "Sub-district name."),
    "kuadran": ("Kuadran", "Quadrant", "Kuadran persentase dan jumlah jiwa miskin ekstrem terhadap nilai kabupaten.", "Quadrant of rate and number of extreme-poor persons against the district value."),
    "skor": ("Skor", "Score", "Skor komposit berbobot (0-1).", "Weighted composite score (0-1)."),
    "n_keluarga": ("Keluarga", "Families", "Jumlah keluarga.", "Number of families."),
    "n_jiwa": ("Jiwa", "Persons", "Jumlah jiwa (anggota keluarga).", "Number of persons."),
    "n_keluarga_ekstrem": ("Keluarga miskin ekstrem", "Extreme-poor families", "Keluarga desil 1 DTSEN.", "Families in DTSEN decile 1."),
    "n_jiwa_ekstrem": ("Jiwa miskin ekstrem", "Extreme-poor persons", "Jiwa dalam keluarga miskin ekstrem.", "Persons in extreme-poor families."),
    "pct_jiwa_ekstrem": ("% jiwa ekstrem", "% persons extreme", "Persentase jiwa miskin ekstrem.", "Share of persons in extreme poverty, percent."),
    "pct_jiwa_ekstrem_eb": ("% jiwa ekstrem (distabilkan)", "% persons extreme (stabilised)", "Persentase distabilkan (empirical Bayes) untuk desa kecil.", "Empirical-Bayes stabilised share for small villages."),
    "alasan": ("Alasan", "Reasons", "Mengapa desa ini diprioritaskan.", "Why the village is a priority."),
    "status_keterangan": ("Kekokohan peringkat", "Rank robustness", "Seberapa kokoh peringkat terhadap bootstrap.", "How robust the rank is under bootstrap."),
    "peringkat_rentang_bawah": ("Peringkat terbaik", "Best rank", "Batas bawah interval peringkat (bootstrap).", "Lower end of the bootstrap rank interval."),
    "peringkat_rentang_atas": ("Peringkat terburuk", "Worst rank", "Batas atas interval peringkat (bootstrap).", "Upper end of the bootstrap rank interval."),
    "opd": ("OPD", "Agency", "Organisasi perangkat daerah yang menangani kebutuhan.", "Agency (OPD) that addresses the need."),
    "program": ("Program", "Programme", "Program OPD.", "Agency programme."),
    "nama_kebutuhan": ("Kebutuhan", "Need", "Deprivasi atau program yang belum diterima.", "Deprivation or programme not received."),
    "urutan": ("Urutan dalam program", "Order in programme", "Urutan desa dalam program menurut kebutuhan program itu sendiri.", "Order of the village within the programme by that programme's own need."),
    "n_keluarga_sasaran": ("Keluarga sasaran", "Target families", "Keluarga miskin ekstrem dengan kebutuhan ini.", "Extreme-poor families with this need."),
    "pct_keluarga_sasaran": ("% keluarga sasaran", "% target families", "Persentase keluarga miskin ekstrem dengan kebutuhan ini.", "Share of extreme-poor families with this need, percent."),
    "n_desa_sasaran": ("Desa sasaran", "Target villages", "Jumlah desa sasaran program.", "Number of target villages of the programme."),
    "desa_teratas": ("Desa sasaran utama", "Main target villages", "Lima desa pertama menurut kebutuhan program.", "First five villages by the programme's need."),
    "n_ekstrem_tanpa_bansos": ("Keluarga ekstrem tanpa bansos", "Extreme-poor without aid", "Keluarga miskin ekstrem tanpa PKH, BPNT dan PBI-JK.", "Extreme-poor families without PKH, BPNT and PBI-JK."),
    "pct_eksklusi_pkh": ("% tanpa PKH", "% without PKH", "Persentase keluarga miskin ekstrem tanpa PKH.", "Share of extreme-poor families without PKH."),
    "pct_eksklusi_bpnt": ("% tanpa BPNT", "% without BPNT", "Persentase keluarga miskin ekstrem tanpa BPNT.", "Share of extreme-poor families without BPNT."),
    "pct_eksklusi_pbi_jk": ("% tanpa PBI-JK", "% without PBI-JK", "Persentase keluarga miskin ekstrem tanpa PBI-JK.", "Share of extreme-poor families without PBI-JK."),
    "pct_inklusi_pkh": ("% desil 6-10 menerima PKH", "% decile 6-10 with PKH", "Persentase keluarga desil 6-10 yang menerima PKH.", "Share of decile 6-10 families receiving PKH."),
    "n_keluarga_mampu": ("Keluarga desil 6-10", "Decile 6-10 families", "Keluarga desil 6-10 DTSEN.", "Families in DTSEN deciles 6-10."),
    "kantong": ("Kantong", "Pocket", "Nama kantong: nomor dan kode tetapnya.", "Pocket name: number and stable id."),
    "kantong_id": ("Kode kantong", "Pocket id", "Kode tetap kantong (sama di semua keluaran).", "Stable pocket id (same in every output)."),
    "nomor": ("No.", "No.", "Nomor kantong dalam analisis ini.", "Pocket number in this analysis."),
    "nama_desa_utama": ("Desa utama", "Main village", "Desa dengan jiwa miskin ekstrem terbanyak dalam kantong.", "Village with most extreme-poor persons in the pocket."),
    "nama_kec_utama": ("Kecamatan utama", "Main sub-district", "Kecamatan desa utama.", "Sub-district of the main village."),
    "n_sel": ("Sel H3", "H3 cells", "Jumlah sel H3 kantong.", "Number of H3 cells of the pocket."),
    "luas_km2": ("Luas km²", "Area km²", "Luas kantong dalam km².", "Pocket area in km²."),
    "rasio_kabupaten": ("× kabupaten", "× district", "Persentase kantong dibagi persentase kabupaten.", "Pocket rate divided by the district rate."),
    "risiko_relatif": ("Risiko relatif", "Relative risk", "Risiko relatif uji pindai Kulldorff.", "Relative risk of the Kulldorff scan."),
    "p_value": ("Nilai p", "p-value", "Nilai p permutasi uji pindai.", "Permutation p-value of the scan."),
    "n_jiwa_ekstrem_harapan": ("Jiwa ekstrem harapan", "Expected extreme-poor persons", "Jiwa miskin ekstrem yang diharapkan bila kantong bertingkat sama dengan kabupaten.", "Extreme-poor persons expected at the district rate."),
    "llr": ("LLR", "LLR", "Rasio log-kemungkinan uji pindai (makin besar makin kuat).", "Log-likelihood ratio of the scan (larger is stronger)."),
    "radius_m": ("Radius (m)", "Radius (m)", "Radius lingkaran kantong, pusat ke pusat sel terjauh.", "Pocket circle radius, centre to farthest cell centre."),
    "stabilitas": ("Stabilitas", "Stability", "Bagian ulangan bootstrap yang menemukan kantong ini (0-1).", "Share of bootstrap repeats finding this pocket (0-1)."),
    "gi_z": ("Gi* z", "Gi* z", "Skor z Getis-Ord Gi*.", "Getis-Ord Gi* z-score."),
    "gi_kelas": ("Kelas Gi*", "Gi* class", "Kelas titik panas/dingin Gi*.", "Gi* hot/cold spot class."),
    "label": ("Indikator", "Indicator", "Indikator target.", "Target indicator."),
    "kabupaten": ("Kabupaten", "Regency", "Kode kabupaten target.", "Regency code of the target."),
    "nilai_sekarang": ("Nilai sekarang", "Current value", "Nilai indikator terakhir.", "Latest indicator value."),
    "waktu_sekarang": ("Per", "As of", "Waktu nilai terakhir.", "Time of the latest value."),
    "nilai_target": ("Target", "Target", "Nilai target.", "Target value."),
    "tahun_target": ("Tahun target", "Target year", "Tahun target.", "Target year."),
    "laju_diperlukan": ("Laju diperlukan per tahun", "Pace needed per year", "Perubahan per tahun yang diperlukan.", "Change per year needed."),
    "laju_teramati": ("Laju teramati per tahun", "Observed pace per year", "Perubahan per tahun yang teramati.", "Observed change per year."),
    "proyeksi": ("Proyeksi", "Projection", "Nilai proyeksi pada tahun target.", "Projected value in the target year."),
    "status_teks": ("Status", "Status", "Status capaian target.", "Progress status."),
    "teks": ("Keterangan", "Description", "Kalimat capaian target.", "Progress sentence."),
    "sumber_target": ("Sumber target", "Target source", "Dokumen sumber target.", "Source document of the target."),
    "catatan_target": ("Catatan target", "Target note", "Catatan target.", "Target note."),
    "kuadran_keterangan": ("Arti kuadran", "Quadrant meaning", "Penjelasan kuadran.", "What the quadrant means."),
    "status_teratas": ("Kode kekokohan", "Robustness code", "Kode kekokohan peringkat (teratas_kokoh, ...).", "Rank robustness code (teratas_kokoh, ...)."),
    "peluang_teratas": ("Peluang kelompok teratas", "Chance of top group", "Bagian ulangan bootstrap dengan desa di kelompok teratas (0-1).", "Share of bootstrap repeats with the village in the top group (0-1)."),
    "p1": ("Kedalaman P1", "Depth P1", "Indeks kedalaman kemiskinan (bila pengeluaran diberikan).", "Poverty gap index (when expenditure is given)."),
    "p2": ("Keparahan P2", "Severity P2", "Indeks keparahan kemiskinan (bila pengeluaran diberikan).", "Poverty severity index (when expenditure is given)."),
    "intensitas_deprivasi": ("Intensitas deprivasi", "Deprivation intensity", "Rata-rata deprivasi keluarga miskin ekstrem.", "Mean deprivations of extreme-poor families."),
    "pct_ekstrem_di_kantong": ("% ekstrem di kantong", "% extreme in pockets", "Persentase jiwa miskin ekstrem desa yang berada di kantong.", "Share of the village's extreme-poor persons inside pockets."),
    "celah_cakupan": ("Celah cakupan", "Coverage gap", "Rata-rata persentase eksklusi PKH, BPNT, PBI-JK.", "Mean exclusion share of PKH, BPNT, PBI-JK."),
    "skor_jumlah": ("Skor jumlah", "Count score", "Komponen skor: jumlah jiwa miskin ekstrem.", "Score part: number of extreme-poor persons."),
    "skor_tingkat": ("Skor persentase", "Rate score", "Komponen skor: persentase.", "Score part: rate."),
    "skor_kedalaman": ("Skor kedalaman", "Depth score", "Komponen skor: P1.", "Score part: P1."),
    "skor_keparahan": ("Skor keparahan", "Severity score", "Komponen skor: P2.", "Score part: P2."),
    "skor_deprivasi": ("Skor deprivasi", "Deprivation score", "Komponen skor: deprivasi.", "Score part: deprivation."),
    "skor_kantong": ("Skor kantong", "Pocket score", "Komponen skor: bagian di kantong.", "Score part: share in pockets."),
    "skor_celah": ("Skor celah cakupan", "Coverage gap score", "Komponen skor: celah cakupan.", "Score part: coverage gap."),
    "bagian": ("Bagian", "Part", "Bagian metode.", "Part of the method."),
    "keterangan": ("Keterangan", "Description", "Penjelasan.", "Explanation."),
    "nilai": ("Nilai", "Value", "Nilai parameter.", "Parameter value."),
    "parameter": ("Parameter", "Parameter", "Nama parameter.", "Parameter name."),
    "nama_kab": ("Kabupaten", "Regency", "Nama kabupaten.", "Regency name."),
    "kebutuhan": ("Kode kebutuhan", "Need code", "Kode kebutuhan (teknis).", "Need code (technical)."),
    "n_eksklusi_pkh": ("Ekstrem tanpa PKH", "Extreme-poor without PKH", "Keluarga miskin ekstrem tanpa PKH.", "Extreme-poor families without PKH."),
    "n_eksklusi_bpnt": ("Ekstrem tanpa BPNT", "Extreme-poor without BPNT", "Keluarga miskin ekstrem tanpa BPNT.", "Extreme-poor families without BPNT."),
    "n_eksklusi_pbi_jk": ("Ekstrem tanpa PBI-JK", "Extreme-poor without PBI-JK", "Keluarga miskin ekstrem tanpa PBI-JK.", "Extreme-poor families without PBI-JK."),
    "pct_ekstrem_tanpa_bansos": ("% ekstrem tanpa bansos", "% extreme-poor without aid", "Persentase keluarga miskin ekstrem tanpa PKH, BPNT dan PBI-JK.", "Share of extreme-poor families without PKH, BPNT and PBI-JK."),
    "kelebihan_kebutuhan": ("Kelebihan kebutuhan", "Excess need", "Keluarga dengan kebutuhan ini di atas bagian kabupaten; kunci urutan program.", "Families with this need above the district share; the programme's ranking key."),
    "id_keluarga": ("ID keluarga", "Family id", "ID keluarga lengkap (pseudonim).", "Full family id (pseudonym)."),
}  # fmt: skip


def column_header(col: str, lang: str = "id") -> str:
    """The header of column ``col`` in ``lang`` (the name itself when not catalogued)."""
    entry = COLUMNS.get(col)
    return entry[1 if _lang(lang) == "en" else 0] if entry else col


def column_description(col: str, lang: str = "id") -> str:
    """What column ``col`` means, in ``lang`` (empty when not catalogued)."""
    entry = COLUMNS.get(col)
    return entry[3 if _lang(lang) == "en" else 2] if entry else ""


# ------------------------------------------------------------------ validation details

#: Pydantic error types as a person reads them (``{...}`` filled from the error's ``ctx``).
VALIDATION: dict[str, tuple[str, str]] = {
    "missing": ("Wajib diisi.", "Field required."),
    "string_type": ("Harus berupa teks.", "Must be text."),
    "string_too_short": ("Terlalu pendek: minimal {min_length} karakter.", "Too short: at least {min_length} characters."),
    "string_too_long": ("Terlalu panjang: maksimal {max_length} karakter.", "Too long: at most {max_length} characters."),
    "string_pattern_mismatch": ("Bentuknya tidak sesuai (pola {pattern}).", "Does not match the pattern {pattern}."),
    "int_parsing": ("Harus bilangan bulat.", "Must be a whole number."),
    "int_type": ("Harus bilangan bulat.", "Must be a whole number."),
    "int_from_float": ("Harus bilangan bulat.", "Must be a whole number."),
    "float_parsing": ("Harus berupa angka.", "Must be a number."),
    "float_type": ("Harus berupa angka.", "Must be a number."),
    "bool_parsing": ("Harus ya/tidak (true/false).", "Must be true or false."),
    "greater_than": ("Harus lebih dari {gt}.", "Must be greater than {gt}."),
    "greater_than_equal": ("Harus paling sedikit {ge}.", "Must be at least {ge}."),
    "less_than": ("Harus kurang dari {lt}.", "Must be less than {lt}."),
    "less_than_equal": ("Harus paling banyak {le}.", "Must be at most {le}."),
    "literal_error": ("Harus salah satu dari: {expected}.", "Must be one of: {expected}."),
    "enum": ("Harus salah satu dari: {expected}.", "Must be one of: {expected}."),
    "json_invalid": ("JSON tidak valid.", "Invalid JSON."),
    "model_attributes_type": ("Harus berupa objek.", "Must be an object."),
    "dict_type": ("Harus berupa objek.", "Must be an object."),
    "list_type": ("Harus berupa daftar.", "Must be a list."),
    "date_parsing": ("Harus tanggal (YYYY-MM-DD).", "Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": ("Harus tanggal (YYYY-MM-DD).", "Must be a date (YYYY-MM-DD)."),
    "value_error": ("Nilai tidak valid: {error}", "Invalid value: {error}"),
    "extra_forbidden": ("Isian ini tidak dikenal.", "Unknown field."),
}  # fmt: skip


def validation_message(kind: str, ctx: Mapping[str, Any] | None, lang: str, fallback: str) -> str:
    """The detail of one validation error in ``lang`` (``fallback``: the validator's own
    English text, used in English for unknown kinds; Bahasa Indonesia gets a general
    sentence then)."""
    entry = VALIDATION.get(kind)
    if entry is None:
        return fallback if _lang(lang) == "en" else f"Nilai tidak valid ({kind})."
    try:
        return entry[1 if _lang(lang) == "en" else 0].format(**dict(ctx or {}))
    except (KeyError, IndexError):
        return entry[1 if _lang(lang) == "en" else 0].split(":")[0].rstrip(".") + "."


# ------------------------------------------------------------------------- web pages

#: Words of the planners' web pages (api/web), Bahasa Indonesia first, English complete.
HALAMAN: dict[str, tuple[str, str]] = {
    "judul_aplikasi": ("Kantong Kemiskinan Ekstrem", "Extreme-Poverty Pockets"),
    "masuk": ("Masuk", "Log in"),
    "keluar": ("Keluar", "Log out"),
    "nama_pengguna": ("Nama pengguna", "Username"),
    "kata_sandi": ("Kata sandi", "Password"),
    "masuk_judul": ("Masuk ke layanan", "Log in to the service"),
    "masuk_ket": (
        "Gunakan akun yang diberikan admin kabupaten Anda.",
        "Use the account your kabupaten administrator gave you.",
    ),
    "csrf_ditolak": (
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "terlalu_sering": (
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {detik} detik.",
        "Too many failed log-in attempts. Try again in {detik} seconds.",
    ),
    "bahasa_lain": ("English", "Bahasa Indonesia"),
    "kode_bahasa_lain": ("en", "id"),
    "beranda": ("Beranda", "Home"),
    "kabupaten_anda": ("Kabupaten Anda", "Your kabupaten"),
    "tidak_ada_kabupaten": (
        "Belum ada kabupaten dengan batas wilayah dalam lingkup akun Anda.",
        "No kabupaten with boundaries in your account's scope yet.",
    ),
    "n_desa": ("{n} desa", "{n} villages"),
    "peran": ("Peran", "Role"),
    "periode": ("Periode", "Periode"),
    "tampilkan": ("Tampilkan", "Show"),
    "ringkasan": ("Ringkasan", "Summary"),
    "n_keluarga": ("Keluarga", "Families"),
    "n_jiwa": ("Jiwa", "People"),
    "n_keluarga_ekstrem": ("Keluarga miskin ekstrem", "Extremely poor families"),
    "n_jiwa_ekstrem": ("Jiwa miskin ekstrem", "Extremely poor people"),
    "pct_jiwa_ekstrem": ("% jiwa miskin ekstrem", "% people in extreme poverty"),
    "target": ("Capaian target", "Progress towards targets"),
    "tidak_ada_target": ("Belum ada target untuk kabupaten ini.", "No targets for this kabupaten."),
    "analisis_terakhir": ("Analisis terakhir", "Last analysis"),
    "analisis": ("Analisis", "Analysis"),
    "parameter": ("Parameter", "Parameters"),
    "mulai": ("Mulai", "Started"),
    "selesai": ("Selesai", "Finished"),
    "status": ("Status", "Status"),
    "durasi": ("Durasi", "Duration"),
    "detik": ("{n} detik", "{n} s"),
    "status_berjalan": ("berjalan", "running"),
    "status_selesai": ("selesai", "finished"),
    "status_gagal": ("gagal", "failed"),
    "jalankan_analisis": ("Jalankan analisis baru", "Start a new analysis"),
    "jalankan": ("Jalankan", "Start"),
    "analisis_berjalan": (
        "Analisis sedang berjalan. Halaman ini diperbarui sendiri tiap 3 detik.",
        "The analysis is running. This page refreshes itself every 3 seconds.",
    ),
    "analisis_selesai": ("Analisis selesai.", "The analysis has finished."),
    "analisis_gagal": ("Analisis gagal: {alasan}", "The analysis failed: {alasan}"),
    "lihat_hasil": ("Lihat hasil", "See the results"),
    "sudah_berjalan": ("sudah berjalan {n} detik", "running for {n} s"),
    "peta": ("Peta", "Map"),
    "peta_ket": (
        "Warna: persentase jiwa miskin ekstrem per desa. Garis merah: kantong. Bulatan bernomor: "
        "desa prioritas yang sedang ditampilkan. Klik desa untuk profilnya.",
        "Colour: share of people in extreme poverty per village. Red outline: pockets. "
        "Numbered circles: the priority villages listed. Click a village for its profile.",
    ),
    "peta_tanpa_js": (
        "Peta memerlukan JavaScript; tabel di bawah memuat angka yang sama.",
        "The map needs JavaScript; the table below has the same figures.",
    ),
    "prioritas": ("Desa prioritas", "Priority villages"),
    "prioritas_teratas": ("10 desa prioritas teratas", "Top 10 priority villages"),
    "semua_prioritas": ("Daftar lengkap, saring dan unduh", "Full list, filter and download"),
    "kantong": ("Kantong kemiskinan", "Poverty pockets"),
    "opd": ("Target OPD", "OPD targets"),
    "uji_petik": ("Uji petik", "Ground check"),
    "laporan_warga": ("Laporan warga", "Citizen reports"),
    "peringkat": ("Peringkat", "Rank"),
    "rentang": ("Rentang peringkat", "Rank interval"),
    "desa": ("Desa", "Village"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "kabupaten": ("Kabupaten", "Kabupaten"),
    "kuadran": ("Kuadran", "Quadrant"),
    "alasan": ("Alasan", "Reasons"),
    "dalam_kantong": ("Kantong", "Pocket"),
    "saring": ("Saring", "Filter"),
    "semua": ("Semua", "All"),
    "ya": ("Ya", "Yes"),
    "tidak": ("Tidak", "No"),
    "min_keluarga": ("Minimal keluarga miskin ekstrem", "Minimum extremely poor families"),
    "urutkan": ("Urutkan", "Sort"),
    "naik": ("naik", "ascending"),
    "turun": ("turun", "descending"),
    "unduh": ("Unduh yang ditampilkan", "Download what is shown"),
    "n_baris": ("{n} desa ditampilkan", "{n} villages shown"),
    "disembunyikan": ("disembunyikan", "suppressed"),
    "catatan_disembunyikan": (
        "Angka di bawah {k} disembunyikan untuk melindungi data pribadi (UU PDP).",
        "Counts below {k} are suppressed to protect personal data.",
    ),
    "catatan_unduh": ("Analisis #{run}; saringan: {query}", "Analysis #{run}; filters: {query}"),
    "profil_desa": ("Profil desa", "Village profile"),
    "indikator": ("Indikator", "Indicators"),
    "kebutuhan": ("Kebutuhan dan program OPD", "Needs and OPD programmes"),
    "kebutuhan_kol": ("Kebutuhan", "Need"),
    "kebutuhan_kosong": ("Tidak ada kebutuhan tercatat.", "No needs recorded."),
    "program": ("Program", "Programme"),
    "sasaran": ("Keluarga sasaran", "Target families"),
    "cakupan": ("Cakupan program dan salah sasaran", "Programme coverage and targeting errors"),
    "eksklusi": ("Miskin ekstrem tidak menerima", "Extremely poor not receiving"),
    "inklusi": ("Mampu tetapi menerima", "Better-off but receiving"),
    "tren": ("Tren antar periode", "Trend across periodes"),
    "status_uji_petik": ("Status uji petik", "Ground-check status"),
    "tidak_ada_sampel": ("Belum ada sampel uji petik.", "No ground-check sample yet."),
    "tidak_dalam_sampel": (
        "Desa ini tidak masuk sampel #{id}.",
        "This village is not in sample #{id}.",
    ),
    "anggota_kantong": ("Termasuk kantong", "In pocket"),
    "bukan_kantong": ("Tidak termasuk kantong mana pun.", "Not in any pocket."),
    "tidak_ada_hasil": ("Belum ada hasil analisis.", "No analysis results yet."),
    "kembali": ("Kembali", "Back"),
    "galat": ("Tidak dapat ditampilkan", "Cannot be shown"),
    "cetak": ("Cetak", "Print"),
    "kantong_ket": (
        "Kantong: lingkaran sel H3 dengan kemiskinan ekstrem tinggi yang bermakna "
        "(statistik pindai Kulldorff).",
        "Pockets: circles of H3 cells with significantly high extreme poverty "
        "(Kulldorff scan statistic).",
    ),
    "rasio": ("Risiko relatif terhadap kabupaten", "Relative risk against the kabupaten"),
    "luas": ("Luas (km²)", "Area (km²)"),
    "desa_tercakup": ("Desa tercakup", "Villages covered"),
    "desa_utama": ("Desa utama", "Main village"),
    "tidak_ada_kantong": ("Tidak ada kantong terdeteksi.", "No pockets detected."),
    "opd_ket": (
        "Desa sasaran program OPD, diurutkan menurut kebutuhan.",
        "Target villages of OPD programmes, ordered by need.",
    ),
    "pilih_opd": ("OPD", "OPD"),
    "sampel": ("Sampel", "Sample"),
    "progres": ("Progres per desa", "Progress per village"),
    "taksiran": ("Taksiran galat data", "Error-rate estimates"),
    "unggah_hasil": ("Unggah hasil lapangan", "Upload field results"),
    "berkas": ("Berkas (.csv, .xlsx, .gpkg)", "File (.csv, .xlsx, .gpkg)"),
    "sebagian": ("Impor baris yang sah walau ada baris bermasalah", "Import the valid rows"),
    "unggah": ("Unggah", "Upload"),
    "laporan_validasi": ("Laporan validasi", "Validation report"),
    "impor_berhasil": ("Impor #{batch}: {n} baris diimpor.", "Import #{batch}: {n} rows imported."),
    "berkas_lapangan": ("Berkas lapangan", "Field file"),
    "antrean": ("Antrean laporan warga", "Citizen report queue"),
    "tidak_ada_laporan": ("Tidak ada laporan.", "No reports."),
    "lapor_judul": ("Laporkan keluarga yang perlu dicek", "Report a family that needs checking"),
    "kirim": ("Kirim", "Send"),
    "kode_desa_lapor": ("Kode desa (mis. 33.24.01.2001)", "Village code (e.g. 33.24.01.2001)"),
    "jenis_laporan": ("Jenis laporan", "Kind of report"),
    "keterangan": ("Keterangan", "Description"),
    "kontak": ("Kontak (tidak wajib)", "Contact (optional)"),
    "foto": ("Foto (JPEG/PNG, maks 5 MB)", "Photo (JPEG/PNG, at most 5 MB)"),
    "n_sampel": ("Sampel", "Sampled"),
    "n_selesai": ("Selesai", "Done"),
    "n_salah": ("Tidak sesuai", "Mismatch"),
    "pct_selesai": ("% selesai", "% done"),
    "buat_sampel_api": (
        "Sampel baru dibuat lewat API atau CLI (geo-service uji-petik sample).",
        "New samples are drawn through the API or the CLI (geo-service uji-petik sample).",
    ),
}
