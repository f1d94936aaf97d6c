"""``/wilayah/kabupaten``: the province is named, not given as its code (issue 14)."""

from __future__ import annotations

from geo_service.analysis.provinsi import PROVINSI, nama_provinsi
from tests.api.support import KAB_A


def test_kabupaten_list_names_the_province(client, tokens):
    items = client.get("/wilayah/kabupaten", headers=tokens["analis_a"]).json()
    kab = next(i for i in items if i["kode"] == KAB_A)
    assert kab["kode_prov"] == "33"
    assert kab["nama_prov"] == "Jawa Tengah"


def test_province_names_from_code_or_stored_name():
    assert len(PROVINSI) == 38
    assert nama_provinsi("33") == "Jawa Tengah"
    assert nama_provinsi("33", "33") == "Jawa Tengah"  # databases that stored the code
    assert nama_provinsi("16", "Sumatera Selatan") == "Sumatera Selatan"
    assert nama_provinsi("52.71") == "Nusa Tenggara Barat"
    assert nama_provinsi("99", "99") == "99"
    assert nama_provinsi(None) is None
