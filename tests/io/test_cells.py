"""Formula injection (issue 12, finding 6): text cells that a spreadsheet would evaluate are
neutralised in every CSV and XLSX writer; numbers stay numbers."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from geo_service.io.cells import neutralise, neutralise_frame
from geo_service.io.export import write_csv, write_xlsx

NAMES = ['=HYPERLINK("http://x","a")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_neutralise_rules():
    for v in NAMES:
        assert neutralise(v) == "'" + v
    for v in ("Kaliwungu", "-", "-5", "+62 812", "12,5%", "", None, 3, -2.5):
        assert neutralise(v) == v


def test_frame_keeps_numbers():
    f = pd.DataFrame({"nama": NAMES, "n": range(len(NAMES))})
    out = neutralise_frame(f)
    assert out["n"].tolist() == list(range(len(NAMES)))
    assert all(v.startswith("'") for v in out["nama"])


def test_csv_and_xlsx_writers_are_inert(tmp_path):
    f = pd.DataFrame({"nama_desa": NAMES, "n_keluarga": range(len(NAMES))})
    text = write_csv(f, tmp_path / "a.csv").read_bytes().decode("utf-8-sig")
    for v in NAMES:
        assert f"\"'{v}" in text.replace('""', '"')
    write_xlsx({"Data": f}, tmp_path / "a.xlsx")
    wb = load_workbook(tmp_path / "a.xlsx")
    cells = [c for row in wb.worksheets[0].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(isinstance(c.value, str) and c.value.startswith("'=HYPERLINK") for c in cells)


def test_api_xlsx_response_has_no_formula():
    from geo_service.api.formats import csv_response, xlsx_response

    f = pd.DataFrame({"nama_desa": NAMES, "n_keluarga": range(len(NAMES))})
    wb = load_workbook(io.BytesIO(xlsx_response(f, "a.xlsx").body))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    body = bytes(csv_response(f, "a.csv").body).decode("utf-8-sig")
    for v in NAMES[:4]:
        assert "'" + v.replace('"', '""') in body
