"""The direct XLSX writer of a run's workbook (issue 17): the same workbook as openpyxl's
``write_xlsx`` (values, number formats, catalogue headers, bold grey header row, widths,
frozen header, filter, print set-up, column sheet), the same bytes every time, and
LibreOffice opens it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo_service.io.export import write_xlsx
from geo_service.io.report.xlsx_writer import write_table_xlsx


@pytest.fixture
def sheets():
    rng = np.random.default_rng(3)
    n = 40
    pri = pd.DataFrame(
        {
            "peringkat": np.arange(1, n + 1),
            "kode_desa": [f"33.24.{i % 20 + 1:02d}.2{i:03d}" for i in range(n)],
            "nama_desa": ["Desa <&> 'x'" if i == 3 else f"Desa {i}" for i in range(n)],
            "skor": rng.random(n),
            "pct_jiwa_ekstrem": np.where(np.arange(n) % 7 == 0, np.nan, rng.random(n) * 40),
            "n_keluarga": pd.array([None if i == 5 else i * 10 for i in range(n)], dtype="Int64"),
            "gi_p": rng.random(n) / 100,
            "luas_km2": np.round(rng.random(n) * 9, 2),
            "kokoh": np.arange(n) % 2 == 0,
            "alasan": ["" if i == 2 else "=SUM(A1)" if i == 4 else f"alasan {i}" for i in range(n)],
            "bulat": np.arange(n, dtype=float),
        }
    )
    method = pd.DataFrame({"parameter": ["alpha", "seed"], "nilai": ["0.05", "7"]})
    return {"Prioritas": pri, "Metode": method}


def _cells(path):
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = [
            (
                c.coordinate,
                c.value,
                c.number_format,
                bool(c.font.b),
                c.fill.fgColor.rgb,
                c.fill.fill_type,
                c.alignment.wrap_text,
                c.alignment.vertical,
            )
            for row in ws.iter_rows()
            for c in row
        ]
        out[ws.title] = {
            "cells": cells,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "setup": (
                ws.freeze_panes,
                ws.auto_filter.ref,
                ws.print_title_rows,
                ws.page_setup.orientation,
                str(ws.page_setup.paperSize),
                str(ws.page_setup.fitToWidth),
                str(ws.page_setup.fitToHeight),
                ws.sheet_properties.pageSetUpPr.fitToPage,
                ws.dimensions,
            ),
        }
    return out


@pytest.mark.parametrize("lang", ["id", "en"])
def test_same_workbook_as_openpyxl(sheets, tmp_path, lang):
    a = _cells(write_xlsx(sheets, tmp_path / "a.xlsx", lang=lang))
    b = _cells(write_table_xlsx(sheets, tmp_path / "b.xlsx", lang=lang))
    assert list(a) == list(b) and len(a) == 3  # two tables and the column sheet
    for name in a:
        assert a[name]["setup"] == b[name]["setup"], name
        assert a[name]["widths"] == b[name]["widths"], name
        assert len(a[name]["cells"]) == len(b[name]["cells"]) > 3
        for ca, cb in zip(a[name]["cells"], b[name]["cells"], strict=True):
            if isinstance(ca[1], float):  # openpyxl keeps 16 digits; this writer all 17
                assert cb[1] == pytest.approx(ca[1], rel=1e-14, abs=1e-300), ca
                assert (ca[0], *ca[2:]) == (cb[0], *cb[2:])
            else:
                assert ca == cb
    pri = load_workbook(tmp_path / "b.xlsx")["Prioritas"]
    assert pri["A1"].font.b and pri["A1"].fill.fgColor.rgb.endswith("E8E8E8")
    assert pri["B2"].value == "33.24.01.2000" and pri["A2"].value == 1
    assert pri["C5"].value == "Desa <&> 'x'"


def test_same_bytes_every_time(sheets, tmp_path):
    one = write_table_xlsx(sheets, tmp_path / "1.xlsx").read_bytes()
    two = write_table_xlsx(sheets, tmp_path / "2.xlsx").read_bytes()
    assert one == two


def test_dates_go_to_openpyxl(sheets, tmp_path):
    sheets["Prioritas"]["tanggal"] = date(2026, 11, 29)
    ws = load_workbook(write_table_xlsx(sheets, tmp_path / "d.xlsx"))["Prioritas"]
    assert ws.cell(2, ws.max_column).value.date() == date(2026, 11, 29)


def test_libreoffice_opens_it(sheets, tmp_path):
    assert shutil.which("soffice"), "LibreOffice (soffice) is needed"
    src = write_table_xlsx(sheets, tmp_path / "b.xlsx")
    out = tmp_path / "lo"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profil'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    ws = load_workbook(out / "b.xlsx")["Prioritas"]
    assert ws["B2"].value == "33.24.01.2000" and ws["A3"].value == 2
    assert ws["D2"].number_format == "0.000" and isinstance(ws["D2"].value, float)
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
