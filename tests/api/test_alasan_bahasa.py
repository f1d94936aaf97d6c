"""Priority reasons answer in the request's language, whatever the run's language (issue 14)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.api.support import KAB_A


def test_priority_reasons_follow_the_request_language(client, tokens):
    url = f"/kabupaten/{KAB_A}/prioritas"
    h = tokens["analis_a"]
    id_rows = client.get(url, headers=h).json()["baris"]
    en_rows = client.get(url, params={"lang": "en"}, headers=h).json()["baris"]
    by_accept = client.get(url, headers={**h, "Accept-Language": "en-US,en;q=0.9"}).json()["baris"]
    assert [r["kode_desa"] for r in id_rows] == [r["kode_desa"] for r in en_rows]
    first_id, first_en = id_rows[0]["alasan"], en_rows[0]["alasan"]
    assert "jiwa miskin ekstrem" in first_id and "Peringkat" in first_id
    assert "persons in extreme poverty" in first_en and "Rank" in first_en
    assert "jiwa" not in first_en and "Peringkat" not in first_en
    assert by_accept[0]["alasan"] == first_en
    assert "alasan_data" not in id_rows[0]
    assert en_rows[0]["status_keterangan"] != id_rows[0]["status_keterangan"]
    xlsx = client.get(url, params={"lang": "en", "format": "xlsx"}, headers=h)
    wb = load_workbook(io.BytesIO(xlsx.content))
    values = [str(v) for row in wb.worksheets[0].iter_rows(values_only=True) for v in row]
    assert any("persons in extreme poverty" in v for v in values)
    assert not any("jiwa miskin ekstrem (terbanyak" in v for v in values)


def test_csv_routes_offer_the_indonesian_convention(client, tokens):
    url = f"/kabupaten/{KAB_A}/prioritas"
    h = tokens["analis_a"]
    standar = client.get(url, params={"format": "csv"}, headers=h)
    id_ = client.get(url, params={"format": "csv", "csv_gaya": "id"}, headers=h)
    assert standar.content.startswith("\ufeff".encode()) and id_.content.startswith(
        "\ufeff".encode()
    )
    s_lines = standar.content.decode("utf-8-sig").splitlines()
    i_lines = id_.content.decode("utf-8-sig").splitlines()
    assert s_lines[0].startswith('"peringkat","kode_desa",')
    assert i_lines[0].startswith('"peringkat";"kode_desa";')
    # Codes quoted (text in any locale); decimals with the convention's mark.
    assert s_lines[1].split(",")[1].startswith('"33.24.')
    assert i_lines[1].split(";")[1].startswith('"33.24.')
    head = i_lines[0].split(";").index('"pct_jiwa_ekstrem"')
    assert "," in i_lines[1].split(";")[head] and "." not in i_lines[1].split(";")[head]
    bad = client.get(url, params={"format": "csv", "csv_gaya": "eropa"}, headers=h)
    assert bad.status_code == 422


def test_released_reasons_follow_the_request_language_too(client, tokens):
    """opd and publik read the released set: its reasons are written per language."""
    url = f"/kabupaten/{KAB_A}/prioritas"
    h = tokens["publik_a"]
    id_rows = client.get(url, headers=h).json()["baris"]
    en_rows = client.get(url, params={"lang": "en"}, headers=h).json()["baris"]
    shown = [i for i, r in enumerate(id_rows) if "jiwa miskin ekstrem dalam" in str(r["alasan"])]
    assert shown, [r["alasan"] for r in id_rows[:3]]
    assert "extremely poor persons in" in en_rows[shown[0]]["alasan"]
    assert "jiwa" not in en_rows[shown[0]]["alasan"]
