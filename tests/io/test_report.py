"""The TKPK meeting pack: the PDF opens and has its pages and tables (text extracted with
pypdf), the XLSX has the same tables and a method sheet; through the API and the CLI."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from geo_service.io.report import ReportData, write_report_xlsx
from geo_service.services.report import write_report_pdf
from tests.api.support import KAB_A, PERIODE, ROOT, api_db, client, tokens  # noqa: F401

SECTIONS_ID = [
    "Paket Rapat TKPK",
    "Ringkasan",
    "Capaian target",
    "Peta persentase jiwa miskin ekstrem per desa",
    "Peta kantong kemiskinan dan desa prioritas",
    "Daftar desa prioritas (berperingkat, dengan alasan)",
    "Target per OPD",
    "Kesenjangan cakupan program",
    "Metode dan parameter",
    "Sumber dan atribusi",
]


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [p.extract_text() for p in reader.pages]


def _flat(text: str) -> str:
    """Text with every run of white space as one space (pypdf breaks lines anywhere)."""
    return " ".join(text.split())


def _page_with(pages: list[str], text: str) -> int:
    hits = [i for i, p in enumerate(pages) if text in p]
    assert hits, f"'{text}' not found in the PDF"
    return hits[0]


def test_pdf_from_api_has_every_section_and_table(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens["analis_a"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pages = _pages(r.content)
    assert len(pages) >= 6
    order = [_page_with(pages, s) for s in SECTIONS_ID]
    assert order == sorted(order), "sections in the documented order"
    assert "Kabupaten Kendal" in pages[0] and PERIODE in pages[0]
    # Static maps are images (no tile server): map pages carry their title and an image.
    reader = PdfReader(io.BytesIO(r.content))
    for title in SECTIONS_ID[3:5]:
        assert reader.pages[_page_with(pages, title)].images, f"no image on '{title}'"
    # Ranked priority list with reasons: the top desa of the API list appears with its reason.
    top = client.get(
        f"/kabupaten/{KAB_A}/prioritas", params={"per_halaman": 3}, headers=tokens["analis_a"]
    ).json()["baris"]
    pri = "\n".join(pages[_page_with(pages, SECTIONS_ID[5]) :])
    for row in top:
        assert row["nama_desa"] in pri
    assert "Alasan" in pri and "jiwa miskin ekstrem" in pri
    # OPD targets and coverage tables, method parameters, data date, attribution.
    opd_page = pages[_page_with(pages, "Target per OPD")]
    assert "OPD" in opd_page and "Program" in opd_page
    method = "\n".join(pages[_page_with(pages, "Metode dan parameter") :])
    for word in ("Getis-Ord", "Benjamini-Hochberg", "seed", "h3_resolution"):
        assert word in method
    assert "cahyadsn/wilayah_boundaries" in method and "BPS" in method
    assert "Tanggal data" in pages[0]


def test_pdf_in_english(client, tokens):
    r = client.get(
        f"/kabupaten/{KAB_A}/laporan.pdf", params={"lang": "en"}, headers=tokens["analis_a"]
    )
    text = "\n".join(_pages(r.content))
    for s in ("TKPK meeting pack", "Priority villages", "Method and parameters"):
        assert s in text


def test_public_pdf_states_suppression_and_hides_small_counts(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens["publik_a"])
    text = "\n".join(_pages(r.content))
    assert "disembunyikan" in text


def test_xlsx_has_the_same_tables_and_a_method_sheet(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/laporan.xlsx", headers=tokens["analis_a"])
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:4] == ["Ringkasan", "Prioritas", "Target OPD", "Cakupan"]
    assert "Metode" in wb.sheetnames and "Indikator desa" in wb.sheetnames
    pri = wb["Prioritas"]
    assert pri["A1"].value == "Peringkat" and pri["A1"].font.bold and pri.freeze_panes == "A2"
    assert pri.auto_filter.ref
    method_text = " ".join(str(c.value) for row in wb["Metode"].iter_rows() for c in row if c.value)
    assert "Getis-Ord" in method_text and "seed" in method_text


def test_report_without_planning_tables_says_so():
    from geo_service.io.boundaries import read_boundaries

    desa = read_boundaries(ROOT / "data" / "boundaries" / "desa_33.20_jepara.geojson")
    desa = desa.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    desa["pct_jiwa_ekstrem"] = range(len(desa))
    data = ReportData(
        nama_kab="Kabupaten Jepara",
        kode_kab="33.20",
        periode="2025-03",
        desa=gpd.GeoDataFrame(desa, crs=4326),
        kabupaten=pd.DataFrame(),
        params={"h3_resolution": 8},
    )
    pages = _pages(write_report_pdf(data))
    assert sum("Tidak ada data untuk bagian ini." in p for p in pages) >= 2
    wb = load_workbook(io.BytesIO(write_report_xlsx(data)))
    assert wb["Prioritas"]["A1"].value == "Tidak ada data untuk bagian ini."


@pytest.mark.parametrize("publik", [False, True])
def test_cli_report_from_database(api_db, tmp_path, monkeypatch, publik):
    from geo_service.cli import app
    from geo_service.settings import get_settings

    monkeypatch.setenv("GEO_DATA_DIR", str(api_db.path.parent))
    monkeypatch.setenv("GEO_DATABASE_URL", str(api_db.settings.database.url))
    get_settings.cache_clear()
    try:
        args = ["report", "--kabupaten", KAB_A, "--out", str(tmp_path)]
        result = CliRunner().invoke(app, args + (["--publik"] if publik else []))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    pdf = tmp_path / f"laporan_{KAB_A}_{PERIODE}.pdf"
    assert pdf.exists() and (tmp_path / f"laporan_{KAB_A}_{PERIODE}.xlsx").exists()
    text = "\n".join(_pages(pdf.read_bytes()))
    assert "Daftar desa prioritas" in text
    assert ("disembunyikan" in text) is publik


def test_cli_report_from_analyse_folder(tmp_path):
    """`geo-service report --hasil DIR` builds the pack from a file-based run."""
    from geo_service.cli import app

    runner = CliRunner()
    fam = tmp_path / "k.parquet"
    assert (
        runner.invoke(
            app,
            [
                "generate",
                "--kabupaten",
                KAB_A,
                "--keluarga",
                "8000",
                "--seed",
                "3",
                "--kantong",
                "1",
                "--out",
                str(fam),
            ],
        ).exit_code
        == 0
    )
    res = runner.invoke(
        app,
        ["analyse", "--kabupaten", KAB_A, "--keluarga", str(fam), "--out", str(tmp_path / "hasil")],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "report",
            "--kabupaten",
            KAB_A,
            "--periode",
            PERIODE,
            "--hasil",
            str(tmp_path / "hasil"),
            "--out",
            str(tmp_path / "lap"),
        ],
    )
    assert res.exit_code == 0, res.output
    text = "\n".join(_pages((tmp_path / "lap" / f"laporan_{KAB_A}_{PERIODE}.pdf").read_bytes()))
    for section in SECTIONS_ID:
        assert section in text


# --- target progress (Capaian target) ---------------------------------------------------


def _section(pages: list[str], title: str, next_title: str) -> str:
    text = _flat("\n".join(pages))
    start = text.index(title)
    return text[start : text.index(next_title, start)]


def test_pdf_from_api_shows_kendal_targets(client, tokens):
    """Kendal: extreme poverty 0% in 2026 (DTSEN desil 1, from the stored run) and poverty
    4.5% in 2029 (BPS), with the paces and the source."""
    kab = client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=tokens["analis_a"]).json()[
        "baris"
    ][0]
    pct = f"{kab['pct_jiwa_ekstrem']:.2f}".replace(".", ",")
    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens["analis_a"])
    sec = _section(_pages(r.content), "Capaian target", "Metode dan parameter")
    assert (
        f"Kendal — Persentase jiwa miskin ekstrem (DTSEN desil 1): {pct} % (Maret 2025); "
        "target 0,00 % pada 2026."
    ) in sec
    assert "Perlu turun" in sec and "Status: data belum cukup untuk menilai laju." in sec
    assert "Kendal — Persentase penduduk miskin (P0, BPS): 8,40 % (2025" in sec
    assert "target 4,50 % pada 2029" in sec
    assert "lingkarjateng.id" in sec  # the target's source
    en = client.get(
        f"/kabupaten/{KAB_A}/laporan.pdf", params={"lang": "en"}, headers=tokens["analis_a"]
    )
    sec_en = _section(_pages(en.content), "Progress towards targets", "Method and parameters")
    assert "target 0.00% in 2026" in sec_en and "Status: not enough data" in sec_en
    wb = load_workbook(
        io.BytesIO(
            client.get(f"/kabupaten/{KAB_A}/laporan.xlsx", headers=tokens["analis_a"]).content
        )
    )
    rows = list(wb["Capaian target"].values)
    assert rows[0][:2] == ("Kabupaten", "Indikator") and len(rows) == 3
    assert any("0,00 % pada 2026" in str(v) for v in rows[1] + rows[2])


def test_public_pdf_shows_targets_too(client, tokens):
    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens["publik_a"])
    sec = _section(_pages(r.content), "Capaian target", "Metode dan parameter")
    assert "target 0,00 % pada 2026" in sec


def _lahat_pack(lang: str = "id") -> ReportData:
    from geo_service.analysis import target as TG
    from geo_service.io.boundaries import read_boundaries, read_bps

    table = pd.read_csv(ROOT / "data" / "targets.csv", dtype={"kode_kab": str})
    targets = [t for t in TG.targets_from_frame(table) if t.kode_kab == "16.04"]
    progress = TG.progress_table(
        targets, TG.observations_from_bps(read_bps(ROOT / "data")), lang=lang
    )
    desa = read_boundaries(ROOT / "data" / "boundaries" / "desa_16.04_lahat.geojson")
    desa = desa.rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    desa["pct_jiwa_ekstrem"] = 1.0
    return ReportData(
        nama_kab="Kabupaten Lahat",
        kode_kab="16.04",
        periode="2025-03",
        desa=gpd.GeoDataFrame(desa, crs=4326),
        kabupaten=pd.DataFrame(),
        targets=progress,
    )


def test_lahat_target_60000_to_50000_in_the_pack():
    data = _lahat_pack()
    sec = _section(_pages(write_report_pdf(data)), "Capaian target", "Metode dan parameter")
    assert (
        "Lahat — Jumlah jiwa miskin ekstrem (DTSEN desil 1): 60.000 jiwa (2024, dasar); "
        "target 50.000 jiwa pada 2029."
    ) in sec
    assert "Perlu turun" in sec and "jiwa per tahun" in sec
    # The note meant for readers, never the maintainers' one (issue 14).
    assert "Catatan target: Contoh target, belum dari dokumen resmi" in sec
    assert "brief proyek" not in sec and "issue" not in sec
    # The pack's language decides, even for rows made in Bahasa Indonesia.
    sec_en = _section(
        _pages(write_report_pdf(data, lang="en")),
        "Progress towards targets",
        "Method and parameters",
    )
    assert "60,000 persons (2024, baseline); target 50,000 persons in 2029." in sec_en
    assert "Target note: Example target" in sec_en
    wb = load_workbook(io.BytesIO(write_report_xlsx(data)))
    rows = list(wb["Capaian target"].values)
    head = dict(zip(rows[0], rows[1], strict=False))
    assert (head["Nilai sekarang"], head["Target"], head["Tahun target"]) == (60000, 50000, 2029)
    assert "50.000 jiwa pada 2029" in head["Keterangan"]


def test_pack_without_targets_says_so():
    data = _lahat_pack()
    data.targets = None
    sec = _section(_pages(write_report_pdf(data)), "Capaian target", "Metode dan parameter")
    assert "Tidak ada data untuk bagian ini." in sec


def test_pocket_table_shows_the_scan_evidence_in_the_readers_language():
    """Issue 11: the pack's pocket table gives relative risk, the p-value as a reader writes
    it (never 0 or 1e-17) and the stability, in Bahasa Indonesia by default."""
    from geo_service.io.report.content import pocket_table

    pockets = pd.DataFrame(
        {
            "nomor": [1, 2],
            "kantong_id": ["K-48d640446f", "K-05cc6ff109"],
            "nama_desa_utama": ["Meteseh", "Trisobo"],
            "n_jiwa_ekstrem": [4541, 329],
            "pct_jiwa_ekstrem": [41.43, 17.06],
            "risiko_relatif": [5.2474, 2.0321],
            "p_value": [1e-17, 0.0032],
            "stabilitas": [1.0, 0.55],
        }
    )
    data = ReportData(
        nama_kab="Kabupaten Kendal",
        kode_kab="33.24",
        periode="2025-03",
        desa=gpd.GeoDataFrame(),
        kabupaten=pd.DataFrame(),
        pockets=pockets,
    )
    shown = pocket_table(data)
    assert list(shown["kantong"]) == ["Kantong 1 (K-48d640446f)", "Kantong 2 (K-05cc6ff109)"]
    assert list(shown["p_value"]) == ["p < 0,0001", "p = 0,0032"]
    assert list(shown["risiko_relatif"]) == [5.2, 2.0]
    assert list(shown["stabilitas"]) == ["100 %", "55 %"]
    en = pocket_table(data, "en")
    assert list(en["p_value"]) == ["p < 0.0001", "p = 0.0032"]
    assert list(en["stabilitas"]) == ["100%", "55%"]


@pytest.mark.parametrize("role", ["opd_a", "publik_a"])
def test_english_released_pack_has_english_reasons_and_numbers(client, tokens, role):
    """opd and publik read the released set; an English pack builds it in English (issue 14):
    English reasons, English number format, no Indonesian reason left."""
    import re

    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", params={"lang": "en"}, headers=tokens[role])
    assert r.status_code == 200
    pages = _pages(r.content)
    pri = _flat("\n".join(pages[_page_with(pages, "Priority villages") :]))
    assert "of residents" in pri and "rank " in pri, pri[:500]
    for indonesian in ("jiwa miskin ekstrem dalam", "penduduk desa", "dipublikasikan"):
        assert indonesian not in pri, indonesian
    # English percentages (8.4%), never the Indonesian '8,4 %'
    assert re.search(r"\d\.\d%", pri)
    assert not re.search(r"\d,\d %", pri)
    r_id = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens[role])
    pages_id = _pages(r_id.content)
    pri_id = _flat("\n".join(pages_id[_page_with(pages_id, "Daftar desa prioritas") :]))
    assert "penduduk desa" in pri_id and "of residents" not in pri_id
