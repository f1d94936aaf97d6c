"""Attacker suite (issue 12): replay the red-team findings over HTTP as opd and publik and
show that they no longer yield the value.

The generic check collects what a suppressed role receives from every table route (JSON;
CSV, XLSX and GeoJSON are checked to carry the same numbers as the JSON) and bounds each
hidden small count by linear programming over all of it together (tests/fixtures/lp_audit.py).
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from tests.api.support import KAB_A
from tests.fixtures.lp_audit import audit

K = 10
ROLES = ["opd_a", "publik_a"]
# "PKH 90 %", "BPNT 90,0 %": a programme share of a desa's families (finding 2).
SHARE = re.compile(r"(PKH|BPNT|PBI-JK)\s*\d+([.,]\d+)?\s*%")


def _rows(client, headers, path, **params) -> pd.DataFrame:
    r = client.get(
        f"/kabupaten/{KAB_A}/{path}", params={"format": "json", **params}, headers=headers
    )
    assert r.status_code == 200, r.text
    return pd.DataFrame(r.json()["baris"])


def _csv(client, headers, path) -> pd.DataFrame:
    r = client.get(f"/kabupaten/{KAB_A}/{path}", params={"format": "csv"}, headers=headers)
    assert r.status_code == 200, r.text
    return pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", dtype={"kode_desa": str})


def _xlsx(client, headers, path) -> pd.DataFrame:
    r = client.get(f"/kabupaten/{KAB_A}/{path}", params={"format": "xlsx"}, headers=headers)
    assert r.status_code == 200, r.text
    return pd.read_excel(io.BytesIO(r.content), dtype={"kode_desa": str})


@pytest.fixture(scope="module")
def received(client, tokens):
    """Everything each suppressed role receives from the table routes (JSON)."""
    out = {}
    for user in ROLES:
        h = tokens[user]
        out[user] = {
            "desa": _rows(client, h, "indikator/desa"),
            "kecamatan": _rows(client, h, "indikator/kecamatan"),
            "kabupaten": _rows(client, h, "indikator/kabupaten"),
            "prioritas": _rows(client, h, "prioritas", per_halaman=1000),
            "cakupan": _rows(client, h, "cakupan"),
            "target_opd": _rows(client, h, "target-opd"),
            "kantong": _rows(client, h, "kantong"),
        }
    return out


@pytest.fixture(scope="module")
def truth(client, tokens) -> pd.DataFrame:
    return _rows(client, tokens["analis_a"], "indikator/desa")


@pytest.mark.parametrize("user", ROLES)
def test_finding1_no_scores_ranks_on_hidden_rows(received, user):
    pri = received[user]["prioritas"]
    hidden = pri["disembunyikan"].astype(bool)
    assert hidden.any()
    for col in ("skor", "skor_jumlah", "skor_tingkat", "peringkat", "kuadran", "n_jiwa_ekstrem"):
        assert pri.loc[hidden, col].isna().all(), col
    for col in ("peringkat_rentang_bawah", "peringkat_rentang_atas", "peluang_teratas"):
        assert col not in pri.columns
    # The published scores use the published maximum only: skor_jumlah * max == count.
    shown = pri[~hidden & pri["skor_jumlah"].notna()]
    top = shown["n_jiwa_ekstrem"].max()
    assert ((shown["skor_jumlah"] * top).round() == shown["n_jiwa_ekstrem"]).all()


@pytest.mark.parametrize("user", ROLES)
def test_finding2_reasons_have_no_programme_shares(client, tokens, received, user):
    pri = received[user]["prioritas"]
    texts = " ".join(pri["alasan"].dropna().astype(str))
    assert not re.search(r"(PKH|BPNT|PBI-JK)\s*\d", texts)
    assert "tidak menerima" not in texts
    from pypdf import PdfReader

    r = client.get(f"/kabupaten/{KAB_A}/laporan.pdf", headers=tokens[user])
    assert r.status_code == 200
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert not SHARE.search(pdf)
    page = client.get(f"/kabupaten/{KAB_A}/peta", headers=tokens[user])
    if page.status_code == 200:  # publik may be limited to another geography
        assert not SHARE.search(page.text)


@pytest.mark.parametrize("user", ROLES)
def test_finding3_no_partition_of_families(received, user):
    cak = received[user]["cakupan"]
    assert not [c for c in cak.columns if "mampu" in c or "inklusi" in c]


def test_finding10_publik_sees_no_more_targets_than_opd(received):
    assert len(received["publik_a"]["target_opd"]) <= len(received["opd_a"]["target_opd"])
    assert len(received["publik_a"]["target_opd"]) == 0


@pytest.mark.parametrize("user", ROLES)
@pytest.mark.parametrize("path", ["indikator/desa", "prioritas", "cakupan"])
def test_csv_xlsx_geojson_carry_the_released_numbers(client, tokens, user, path):
    """Every number in CSV/XLSX (and GeoJSON) equals the JSON's: the LP over JSON covers
    them."""
    h = tokens[user]
    js = _rows(client, h, path, **({"per_halaman": 1000} if path == "prioritas" else {}))
    xlsx = _xlsx(client, h, path)
    assert len(xlsx.columns) == len(js.columns)  # labelled headers, same order
    xlsx.columns = list(js.columns)
    js = js.set_index("kode_desa")
    for other in (_csv(client, h, path), xlsx):
        other = other.astype({"kode_desa": str}).set_index("kode_desa")
        for col in [c for c in js.columns if c.startswith("n_")]:
            a = pd.to_numeric(js[col], errors="coerce")
            b = pd.to_numeric(other.loc[js.index, col], errors="coerce")
            assert ((a == b) | (a.isna() & b.isna())).all(), (path, col)
    if path == "indikator/desa":
        r = client.get(f"/kabupaten/{KAB_A}/{path}", params={"format": "geojson"}, headers=h)
        props = pd.DataFrame([f["properties"] for f in r.json()["features"]]).set_index("kode_desa")
        for col in [c for c in js.columns if c.startswith("n_")]:
            a, b = js[col], props.loc[js.index, col]
            assert ((a == b) | (a.isna() & b.isna())).all(), col


@pytest.mark.parametrize("user", ROLES)
def test_lp_over_all_routes_recovers_no_small_count(received, truth, user):
    got = received[user]
    findings = audit(
        got["desa"],
        got["kecamatan"],
        got["kabupaten"],
        truth,
        k=K,
        cakupan=got["cakupan"],
        targets=got["target_opd"],
    )
    assert len(findings) > 20
    disclosed = [f for f in findings if f.disclosed]
    assert not disclosed, disclosed[:5]


@pytest.mark.parametrize("user", ROLES)
def test_suppressed_roles_get_one_geography(client, tokens, user):
    """Desa and H3 cells overlap: a role that sees suppressed desa gets no H3 cells (no
    release suppresses across the two)."""
    r = client.get(
        f"/kabupaten/{KAB_A}/indikator/h3", params={"format": "json"}, headers=tokens[user]
    )
    assert r.status_code == 403
    assert client.get(
        f"/kabupaten/{KAB_A}/indikator/h3", params={"format": "json"}, headers=tokens["analis_a"]
    ).is_success
