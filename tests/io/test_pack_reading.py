"""What people read, checked the way they read it: the TKPK pack rendered to text with
pdftotext (numbers whole, separators of the pack's language, synthetic banner on every
page, DTSEN periode as the data date, one pocket name) and every page rendered to PNG
with pdftoppm into ``test-artifacts/pack/``; the workbook (numbers as numbers, catalogue
headers, print set-up); CSV and XLSX opened by LibreOffice in an Indonesian and a US
locale (codes stay text, decimals become numbers)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.i18n import COLUMNS, fmt_value
from geo_service.io.export import write_csv
from geo_service.io.report.content import PDF_MAX_ROWS, POCKET_COLUMNS, PRIORITY_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "pack"
KAB, PERIODE = "33.24", "2025-03"
STEM = f"laporan_{KAB}_{PERIODE}"
BANNER = {"id": "DATA SINTETIS — bukan data nyata", "en": "SYNTHETIC DATA — not real data"}
# A thousands separator of the other language: 1-3 digits (not starting 0), then groups of
# three after the other language's thousands mark. Three-decimal fractions start with 0.
FOREIGN_THOUSANDS = {
    "id": re.compile(r"(?<![\d.,])[1-9]\d{0,2}(,\d{3})+(?![\d,])"),
    "en": re.compile(r"(?<![\d.,])[1-9]\d{0,2}(\.\d{3})+(?![\d.])"),
}


def _run(args: list[str]) -> str:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def hasil(tmp_path_factory) -> Path:
    """A file-based run of 8,000 generated Kendal families with one planted pocket."""
    tmp = tmp_path_factory.mktemp("pack")
    fam = tmp / "keluarga.parquet"
    _run(["generate", "--kabupaten", KAB, "--keluarga", "8000", "--seed", "3"]
         + ["--kantong", "1", "--periode", PERIODE, "--out", str(fam)])  # fmt: skip
    _run(["analyse", "--kabupaten", KAB, "--keluarga", str(fam), "--out", str(tmp / "hasil")])
    return tmp / "hasil"


@pytest.fixture(scope="module")
def packs(hasil) -> dict[str, Path]:
    """The pack in both languages (PDF + XLSX)."""
    out = {}
    for lang in ("id", "en"):
        folder = hasil.parent / f"laporan_{lang}"
        _run(["report", "--kabupaten", KAB, "--periode", PERIODE, "--hasil", str(hasil)]
             + ["--out", str(folder), "--lang", lang])  # fmt: skip
        out[lang] = folder
    return out


def _pdftotext(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [p for p in text.split("\f") if p.strip()]


def _shown_numbers(hasil: Path, lang: str) -> list[str]:
    """Every number of the priority and pocket tables as the pack must show it."""
    pri = pd.read_csv(hasil / "priorities.csv", encoding="utf-8-sig").head(PDF_MAX_ROWS)
    pri["skor"] = pri["skor"].round(3)
    pockets = json.loads((hasil / "pockets.geojson").read_text())["features"]
    pk = pd.DataFrame([f["properties"] for f in pockets])
    out = []
    for frame, cols in ((pri, PRIORITY_COLUMNS), (pk, POCKET_COLUMNS)):
        for col in cols:
            # p-values and stability are shown as text ("p < 0,0001", "90 %").
            if col in ("p_value", "stabilitas"):
                continue
            if col in frame.columns and pd.api.types.is_numeric_dtype(frame[col]):
                out += [fmt_value(v, lang, column=col) for v in frame[col].dropna()]
    return [s for s in out if s != "-"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pdf_numbers_whole_and_in_the_pack_language(hasil, packs, lang):
    pages = _pdftotext(packs[lang] / f"{STEM}.pdf")
    text = "\n".join(pages)
    numbers = _shown_numbers(hasil, lang)
    assert len(numbers) > 100
    # A number split across lines (or columns too narrow) is not found whole.
    for shown in set(numbers):
        pattern = r"(?<![\d.,])" + re.escape(shown) + r"(?![\d.,])"
        assert re.search(pattern, text), f"{shown!r} not whole in the {lang} pack"
    foreign = FOREIGN_THOUSANDS[lang].findall(text)
    hits = [m.group(0) for m in FOREIGN_THOUSANDS[lang].finditer(text)]
    assert not foreign, f"thousands separator of the other language in the {lang} pack: {hits}"
    # A known large count in both forms: the one of the pack's language only.
    jiwa = int(pd.read_csv(hasil / "kabupaten.csv", encoding="utf-8-sig")["n_jiwa"].iloc[0])
    assert jiwa >= 1000
    mine, other = fmt_value(jiwa, lang), fmt_value(jiwa, "en" if lang == "id" else "id")
    assert mine in pages[0] and other not in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_says_synthetic_and_is_rendered(packs, lang):
    pdf = packs[lang] / f"{STEM}.pdf"
    pages = _pdftotext(pdf)
    assert len(pages) >= 8
    assert all(BANNER[lang] in p for p in pages)
    # Every page as PNG, kept as a test artefact.
    target = ARTIFACTS / lang
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(target / "p")], check=True)
    pngs = sorted(target.glob("p-*.png"))
    assert len(pngs) == len(pages)
    for png in pngs:
        with Image.open(png) as im:
            lo, hi = im.convert("L").getextrema()
            assert lo < 100 and hi > 200, f"{png.name} is blank"


def test_real_data_pack_has_no_banner(hasil, tmp_path):
    """A run not recorded as synthetic gives a pack without the banner."""
    real = tmp_path / "hasil"
    shutil.copytree(hasil, real)
    record = json.loads((real / "run.json").read_text())
    assert record["sintetis"] is True and "sintetis" not in record["parameter"]
    record["sintetis"] = False
    (real / "run.json").write_text(json.dumps(record))
    _run(["report", "--kabupaten", KAB, "--periode", PERIODE, "--hasil", str(real)]
         + ["--out", str(tmp_path / "lap")])  # fmt: skip
    text = "\n".join(_pdftotext(tmp_path / "lap" / f"{STEM}.pdf"))
    assert BANNER["id"] not in text and "Paket Rapat TKPK" in text


def test_front_page_dates_the_data_by_periode_and_pockets_have_one_name(hasil, packs):
    pages = _pdftotext(packs["id"] / f"{STEM}.pdf")
    front = " ".join(pages[0].split())
    assert "Periode data Maret 2025 (2025-03)" in front
    assert "Tanggal data Maret 2025" in front and "Sumber data DTSEN, periode Maret 2025" in front
    en_front = " ".join(_pdftotext(packs["en"] / f"{STEM}.pdf")[0].split())
    assert "Data date March 2025" in en_front
    pockets = json.loads((hasil / "pockets.geojson").read_text())["features"]
    text = " ".join(" ".join(pages).split())
    for f in pockets:
        pid, nomor = f["properties"]["kantong_id"], f["properties"]["nomor"]
        assert f"Kantong {nomor} ({pid})" in text
    # The priority reasons cite the same ids.
    assert pockets[0]["properties"]["kantong_id"] in "\n".join(
        pd.read_csv(hasil / "priorities.csv", encoding="utf-8-sig")["alasan"].dropna()
    )


def test_opd_short_lists_differ_between_programmes(packs):
    wb = load_workbook(packs["id"] / f"{STEM}.xlsx")
    ws = wb["Target OPD"]
    head = [c.value for c in ws[1]]
    prog, order, desa = (
        head.index("Program"),
        head.index("Urutan dalam program"),
        head.index("Desa"),
    )
    top: dict[str, list[str]] = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[order] <= 5:
            top.setdefault(row[prog], []).append(row[desa])
    assert len(top) >= 10
    assert len({tuple(v) for v in top.values()}) >= len(top) - 4  # (shared needs: same list)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_workbook_numbers_headers_and_print_setup(packs, lang):
    wb = load_workbook(packs[lang] / f"{STEM}.xlsx")
    headers = {v[1 if lang == "en" else 0] for v in COLUMNS.values()}
    numeric_headers = {
        v[1 if lang == "en" else 0]
        for k, v in COLUMNS.items()
        if k.startswith(("n_", "pct_")) or k in ("skor", "luas_km2", "peringkat")
    }
    checked = 0
    table_sheets = ["Prioritas", "Target OPD", "Cakupan", "Kantong", "Indikator desa"]
    if lang == "en":
        table_sheets = ["Priorities", "Agency targets", "Coverage", "Pockets", "Village indicators"]
    for name in table_sheets:
        ws = wb[name]
        head = [c.value for c in ws[1]]
        assert set(head) <= headers, (
            f"{name}: headers not from the catalogue: {set(head) - headers}"
        )
        for j, h in enumerate(head, start=1):
            cells = [r[0] for r in ws.iter_rows(min_row=2, min_col=j, max_col=j)]
            if h in numeric_headers:
                values = [c for c in cells if c.value is not None]
                assert values and all(isinstance(c.value, int | float) for c in values), (name, h)
                assert all(c.number_format != "General" for c in values), (name, h)
                checked += 1
            if h in ("Kode desa", "Village code"):
                assert all(isinstance(c.value, str) and c.value.count(".") == 3 for c in cells)
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes == "A2"
    assert checked >= 15
    # Summary figures are numbers; a sheet explains each column.
    summary = wb["Ringkasan" if lang == "id" else "Summary"]
    values = {r[0]: r[1] for r in summary.iter_rows(min_row=2, values_only=True)}
    assert isinstance(values["Jiwa" if lang == "id" else "Persons"], int)
    cols = wb["Keterangan kolom" if lang == "id" else "Columns"]
    described = {r[1]: r[2] for r in cols.iter_rows(min_row=2, values_only=True)}
    assert described["pct_jiwa_ekstrem"] and described["kode_desa"]


# --- LibreOffice round trip ---------------------------------------------------------------

LOCALES = {"id": ("id-ID", 1057), "en": ("en-US", 1033)}


def _soffice(src: Path, out_dir: Path, locale: str, infilter: str | None = None) -> Path:
    """``soffice --headless --convert-to xlsx`` with a user profile set to ``locale``."""
    profile = out_dir / f"profile-{locale}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" '
        f'oor:op="fuse"><value>{locale}</value></prop></item>\n</oor:items>\n'
    )
    target = out_dir / locale
    target.mkdir(exist_ok=True)
    cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless"]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    cmd += ["--convert-to", "xlsx", "--outdir", str(target), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    out = target / (src.stem + ".xlsx")
    assert out.exists(), f"LibreOffice wrote nothing for {src}"
    return out


def _typed(ws, col: str) -> list:
    head = [c.value for c in ws[1]]
    j = head.index(col)
    return [r[j] for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize(
    ("convention", "lang"), [("id", "id"), ("standar", "en"), ("standar", "id"), ("id", "en")]
)
def test_libreoffice_opens_csv_with_codes_as_text_and_decimals_as_numbers(
    hasil, tmp_path, convention, lang
):
    """Both CSV conventions in an Indonesian and a US LibreOffice: the import language is
    the convention's (the default when convention and locale match, chosen in the import
    dialog otherwise, as README says)."""
    desa = pd.read_csv(
        hasil / "desa.csv",
        encoding="utf-8-sig",
        dtype={"kode_desa": str, "kode_kec": str, "kode_kab": str},
    ).head(40)
    desa.loc[0, "kode_kab"] = "33.20"  # a code whose trailing 0 a number would lose
    # Indonesian convention: ';' and ','; the standard one: ',' and '.'.
    sep = 59 if convention == "id" else 44
    src = write_csv(desa, tmp_path / f"desa_{convention}.csv", convention=convention)
    line = src.read_text(encoding="utf-8-sig").splitlines()[1]
    assert line.count(";" if convention == "id" else ",") >= 5
    locale, _ = LOCALES[lang]
    _, code = LOCALES["id" if convention == "id" else "en"]
    out = _soffice(src, tmp_path, locale, f"CSV:{sep},34,76,1,,{code},true,true")
    ws = load_workbook(out).active
    assert _typed(ws, "kode_kab")[0] == "33.20"
    assert all(isinstance(v, str) and v.count(".") == 3 for v in _typed(ws, "kode_desa"))
    assert all(isinstance(v, str) for v in _typed(ws, "kode_kec"))
    pct = [v for v in _typed(ws, "pct_jiwa_ekstrem") if v is not None]
    assert pct and all(isinstance(v, float | int) for v in pct)
    assert any(isinstance(v, float) and v % 1 for v in pct)
    assert _typed(ws, "pct_jiwa_ekstrem")[:10] == pytest.approx(
        desa["pct_jiwa_ekstrem"].head(10).tolist()
    )
    assert all(isinstance(v, int | float) for v in _typed(ws, "n_jiwa"))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_libreoffice_keeps_workbook_codes_text_and_numbers_numbers(packs, tmp_path, lang):
    src = packs[lang] / f"{STEM}.xlsx"
    locale, _ = LOCALES[lang]
    out = _soffice(src, tmp_path, locale)
    before = load_workbook(src)["Prioritas" if lang == "id" else "Priorities"]
    ws = load_workbook(out)["Prioritas" if lang == "id" else "Priorities"]
    code = "Kode desa" if lang == "id" else "Village code"
    pct = "% jiwa ekstrem" if lang == "id" else "% persons extreme"
    assert _typed(ws, code) == _typed(before, code)
    assert all(isinstance(v, str) for v in _typed(ws, code))
    assert _typed(ws, pct) == pytest.approx(_typed(before, pct))
    assert all(isinstance(v, float | int) for v in _typed(ws, pct))


# --- one formatter ---------------------------------------------------------------------


def test_one_formatter_for_numbers_percentages_dates_and_validation_details():
    from datetime import date

    from geo_service.i18n import fmt_date, fmt_int, fmt_percent, fmt_periode, validation_message

    assert (fmt_int(6838, "id"), fmt_int(6838, "en")) == ("6.838", "6,838")
    assert (fmt_percent(40.2424, "id"), fmt_percent(40.2424, "en")) == ("40,2 %", "40.2%")
    assert fmt_date(date(2026, 11, 29), "id") == "29 November 2026"
    assert (
        fmt_periode("2025-08", "id") == "Agustus 2025"
        and fmt_periode("2025-08", "en") == "August 2025"
    )
    assert fmt_value(299992.0, "id", column="n_jiwa") == "299.992"
    assert fmt_value(float("nan"), "en") == "-" and fmt_value(pd.NA, "id") == "-"
    assert validation_message("missing", None, "id", "Field required") == "Wajib diisi."
    assert (
        validation_message("greater_than_equal", {"ge": 1}, "id", "x") == "Harus paling sedikit 1."
    )
    assert validation_message("missing", None, "en", "Field required") == "Field required."


def test_field_list_prints_one_desa_per_page_with_the_full_family_id(tmp_path):
    from geo_service.io.uji_petik.field_files import write_sample_xlsx

    ids = [f"DTSEN-HK-{i:024x}" for i in range(6)]
    frame = pd.DataFrame(
        {
            "kode_desa": ["33.24.01.2001"] * 2 + ["33.24.01.2002"] * 3 + ["33.24.02.2001"],
            "id_keluarga": ids,
            "status": [None] * 6,
        }
    )
    ws = load_workbook(write_sample_xlsx(frame, tmp_path / "daftar.xlsx"))["daftar"]
    assert [b.id for b in ws.row_breaks.brk] == [3, 6]  # after the last row of each desa
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["B"].width >= len(ids[0])
    assert [ws.cell(r, 2).value for r in range(2, 8)] == ids
