"""Access control over every route: no token -> 401 (except /health and docs); a user of
kabupaten A gets 403/404 and zero rows for kabupaten B; opd and publik never see
family-level fields or small counts."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from geo_service.analysis.disclosure import SUPPRESSED_FLAG
from geo_service.api.views import FAMILY_LEVEL_FIELDS
from tests.api.support import KAB_A, KAB_B

PUBLIC = {"/health", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/auth/token"}
# Public on purpose, for one method only: citizens report and look up without an account.
PUBLIC_ROUTES = {
    ("POST", "/laporan-warga"),
    ("GET", "/laporan-warga/{nomor}"),
    # OGC API landing page and conformance list: no data, open as OGC clients expect.
    ("GET", "/ogc"),
    ("GET", "/ogc/conformance"),
}
K = 10
NOMOR = "LW-3320-250602-AAAAAAAA"


def _public(method: str, path: str) -> bool:
    return path in PUBLIC or (method, path) in PUBLIC_ROUTES


def _routes(app):
    """(method, path) of every documented route."""
    for path, ops in app.openapi()["paths"].items():
        for m in ops:
            yield m.upper(), path


def _fill(path: str, kab: str, run_id: int, batch_id: int, sampel_id: int = 1) -> str:
    return (
        path.replace("{kode_kab}", kab)
        .replace("{run_id}", str(run_id))
        .replace("{batch_id}", str(batch_id))
        .replace("{tabel}", "desa")
        .replace("{sampel_id}", str(sampel_id))
        .replace("{nomor}", NOMOR)
    )


def _run_ids(client, tokens) -> dict[str, int]:
    out = {}
    for user, kab in (("analis_a", KAB_A), ("analis_b", KAB_B)):
        runs = client.get("/analisis", headers=tokens[user]).json()
        out[kab] = min(r["id"] for r in runs if r["kode_kab"] == kab)
    return out


BATCH: dict[str, int] = {}
SAMPLE: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _batches(api_db):
    """Id of each kabupaten's boundary import in the test database."""
    import sqlite3

    con = sqlite3.connect(api_db.path)
    for bid, kabs in con.execute("SELECT id, kode_kab FROM impor_batch WHERE jenis='batas'"):
        BATCH[kabs.strip('[]"')] = bid
    con.close()
    assert set(BATCH) == {KAB_A, KAB_B}


@pytest.fixture(scope="module", autouse=True)
def _samples(api_db):
    """A ground-check sample of each kabupaten (drawn from generated families)."""
    from geo_service.analysis import compute_indicators
    from geo_service.analysis import uji_petik as G
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.repo import Scope
    from geo_service.db.repo import uji_petik as GR
    from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
    from geo_service.synth import calibration_from_bps, generate_keluarga
    from tests.api.support import ROOT

    engine = make_engine(settings=api_db.settings)
    with make_session_factory(engine)() as s:
        for kab in (KAB_A, KAB_B):
            desa = read_boundaries(boundary_files(ROOT / "data", kab)["desa"]).head(4)
            fam = generate_keluarga(
                desa,
                calibration_from_bps(read_bps(ROOT / "data"), kab),
                n_keluarga=300,
                periode="2025-03",
                seed=5,
            ).keluarga
            sample = G.build_sample(
                compute_indicators(fam, desa).keluarga,
                G.SampleParams(seed=5, n_per_desa=4, maks_bendera=10),
            )
            SAMPLE[kab] = GR.save_sample(
                s, sample, kode_kab=kab, periode="2025-03", scope=Scope.all()
            )
        s.commit()
    engine.dispose()


def test_every_route_but_health_and_docs_needs_credentials(client):
    checked = 0
    for method, path in _routes(client.app):
        if _public(method, path):
            continue
        r = client.request(method, _fill(path, KAB_A, 1, 1))
        assert r.status_code == 401, f"{method} {path} -> {r.status_code}"
        assert r.headers.get("www-authenticate") == "Bearer"
        checked += 1
    assert checked >= 20
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_invalid_and_expired_tokens_are_401(client, api_db):
    import time

    from geo_service.api.security import Principal, create_token

    key = client.app.state.token_key
    p = Principal(1, "admin_a", "admin", (KAB_A,))
    expired = create_token(p, key, ttl_s=60, now=time.time() - 3600)
    forged = create_token(p, b"kunci-lain", ttl_s=600)
    for tok in (expired, forged, "abc.def.ghi", "x"):
        assert (
            client.get("/auth/saya", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
        )


def test_user_of_a_gets_nothing_of_b(client, tokens):
    runs = _run_ids(client, tokens)
    seen = 0
    for method, path in _routes(client.app):
        if _public(method, path) or not re.search(
            r"\{(kode_kab|run_id|batch_id|sampel_id)\}", path
        ):
            continue
        url = _fill(path, KAB_B, runs[KAB_B], BATCH[KAB_B], SAMPLE[KAB_B])
        if method == "GET":
            r = client.get(url, headers=tokens["admin_a"])
        else:
            r = client.request(method, url, headers=tokens["admin_a"])
        assert r.status_code in (403, 404), f"{method} {url} -> {r.status_code}"
        assert "baris" not in r.json() and "features" not in r.json()
        seen += 1
    assert seen >= 22
    # Lists are filtered in the query: A's users see zero rows of B.
    runs_a = client.get("/analisis", headers=tokens["analis_a"]).json()
    assert runs_a and all(r["kode_kab"] == KAB_A for r in runs_a)
    kabs = client.get("/wilayah/kabupaten", headers=tokens["analis_a"]).json()
    assert [k["kode"] for k in kabs] == [KAB_A]
    assert (
        client.get("/analisis", params={"kode_kab": KAB_B}, headers=tokens["analis_a"]).status_code
        == 403
    )
    # Starting a run for B is refused, and nothing is recorded.
    r = client.post(
        "/analisis", json={"kode_kab": KAB_B, "periode": "2025-03"}, headers=tokens["analis_a"]
    )
    assert r.status_code == 403
    assert all(
        x["kode_kab"] == KAB_B for x in client.get("/analisis", headers=tokens["analis_b"]).json()
    )


def test_user_of_b_sees_b(client, tokens):
    r = client.get(
        f"/kabupaten/{KAB_B}/indikator/desa", params={"format": "json"}, headers=tokens["analis_b"]
    )
    assert r.status_code == 200 and r.json()["total"] > 0


@pytest.mark.parametrize("role", ["opd", "publik", "analis"])
def test_role_permissions(client, tokens, role):
    h = tokens[f"{role}_a"]
    # A periode without families: the run is accepted, then fails (no new results appear).
    start = client.post("/analisis", json={"kode_kab": KAB_A, "periode": "2019-01"}, headers=h)
    imp = client.get(f"/impor/{BATCH[KAB_A]}", headers=h)
    if role == "analis":
        assert imp.status_code == 200 and start.status_code == 202
        client.app.state.runs.wait(start.json()["id"], timeout=300)
    else:
        assert start.status_code == 403 and imp.status_code == 403


def _all_get_bodies(client, headers, runs):
    """(url, parsed rows) for every GET data route in every format."""
    out = []
    spec = client.app.openapi()["paths"]
    for method, path in _routes(client.app):
        if method != "GET" or _public(method, path) or "{" not in path and path != "/analisis":
            continue
        url = _fill(path, KAB_A, runs[KAB_A], BATCH[KAB_A], SAMPLE[KAB_A])
        params = {p["name"]: p for p in spec[path]["get"].get("parameters", [])}
        formats = ("json", "geojson", "csv", "xlsx") if "format" in params else ("-",)
        for fmt in formats:
            r = client.get(url, params={"format": fmt} if fmt != "-" else {}, headers=headers)
            if r.status_code != 200:
                continue
            ctype = r.headers["content-type"]
            if "json" in ctype:
                body = r.json()
                rows = body.get("baris") if isinstance(body, dict) else body
                if isinstance(body, dict) and "features" in body:
                    rows = [f["properties"] for f in body["features"]]
                out.append((f"{url}?format={fmt}", rows if isinstance(rows, list) else [body]))
            elif "csv" in ctype:
                import csv

                text = r.content.decode("utf-8-sig")
                out.append((f"{url}?format={fmt}", list(csv.DictReader(io.StringIO(text)))))
            elif "spreadsheet" in ctype:
                ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
                vals = list(ws.values)
                out.append(
                    (f"{url}?format={fmt}", [dict(zip(vals[0], v, strict=False)) for v in vals[1:]])
                )
            elif "html" in ctype:
                out.append((url, [{"html": r.text}]))
            elif "pdf" in ctype:
                from pypdf import PdfReader

                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
                out.append((url, [{"html": text}]))
    return out


@pytest.mark.parametrize("role", ["opd", "publik"])
def test_suppressed_roles_never_see_family_fields_or_small_counts(client, tokens, role):
    runs = _run_ids(client, tokens)
    bodies = _all_get_bodies(client, tokens[f"{role}_a"], runs)
    assert len(bodies) >= 10
    suppressed_somewhere = False
    for url, rows in bodies:
        for row in rows:
            if not isinstance(row, dict):
                continue
            if "html" in row:
                assert '"id_keluarga"' not in row["html"]
                continue
            bad = {k for k in row if k in FAMILY_LEVEL_FIELDS or "id_keluarga" in str(k)}
            assert not bad, f"{url}: family-level fields {bad}"
            for col, v in row.items():
                if str(col).startswith("n_") and v not in (None, ""):
                    assert not 1 <= float(v) < K, f"{url}: {col}={v} is a small count"
            if str(row.get(SUPPRESSED_FLAG)).lower() in ("true", "1"):
                suppressed_somewhere = True
    assert suppressed_somewhere, "the test data has small cells, so something is suppressed"


def test_public_role_gets_one_geography_family(client, tokens):
    h = tokens["publik_a"]
    assert client.get(f"/kabupaten/{KAB_A}/indikator/h3", headers=h).status_code == 403
    assert client.get(f"/kabupaten/{KAB_A}/indikator/desa", headers=h).status_code == 200
    pockets = client.get(
        f"/kabupaten/{KAB_A}/kantong", params={"format": "json"}, headers=h
    ).json()["baris"]
    assert pockets and not any(k.startswith("n_") for p in pockets for k in p)


def test_opd_sees_only_its_own_targets(client, tokens):
    every = client.get(f"/kabupaten/{KAB_A}/target-opd", headers=tokens["analis_a"]).json()["baris"]
    for user, code in (("opd_a", "(Dinsos)"), ("opd_dinkes_a", "(Dinkes)")):
        rows = client.get(f"/kabupaten/{KAB_A}/target-opd", headers=tokens[user]).json()["baris"]
        assert rows and all(code in r["opd"] for r in rows)
        assert len(rows) == sum(code in r["opd"] for r in every)


def test_suppressed_release_is_consistent_across_levels(client, tokens):
    """What publik sees for desa, kecamatan and the kabupaten total does not let a hidden
    desa be recovered by subtraction."""
    h = tokens["publik_a"]
    desa = client.get(
        f"/kabupaten/{KAB_A}/indikator/desa", params={"format": "json"}, headers=h
    ).json()["baris"]
    kec = client.get(f"/kabupaten/{KAB_A}/indikator/kecamatan", headers=h).json()["baris"]
    kab = client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=h).json()["baris"][0]
    assert any(d[SUPPRESSED_FLAG] for d in desa)
    for col in ("n_keluarga_ekstrem", "n_jiwa_ekstrem"):
        for k in kec:
            if k[SUPPRESSED_FLAG]:
                continue
            members = [d for d in desa if d["kode_kec"] == k["kode_kec"]]
            hidden = k[col] - sum(d[col] for d in members if not d[SUPPRESSED_FLAG])
            assert not 1 <= hidden < K, f"{k['kode_kec']} {col}: recoverable {hidden}"
        pub = [k for k in kec if not k[SUPPRESSED_FLAG]]
        rest = kab[col] - sum(k[col] for k in pub)
        assert not 1 <= rest < K
