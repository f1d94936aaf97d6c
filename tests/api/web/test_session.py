"""The session cookie and CSRF tokens (pure functions) and the login throttle."""

from __future__ import annotations

import pytest

from geo_service.api import sesi as S
from geo_service.api.web.routes_akses import safe_next
from geo_service.api.web.throttle import MemoryLoginThrottle

KEY = b"k" * 32


def test_cookie_round_trip_and_fresh_session_id():
    a = S.issue(KEY, user_id=7, username="analis_a", token_version=3, now=1000.0)
    b = S.issue(KEY, user_id=7, username="analis_a", token_version=3, now=1000.0)
    got = S.read(a, KEY, now=1001.0)
    assert got is not None
    assert (got.user_id, got.username, got.token_version) == (7, "analis_a", 3)
    assert got.expires == 1000 + S.SESSION_TTL_S
    assert a != b and S.read(b, KEY, now=1001.0).sid != got.sid, "every login: new session id"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda v: "x" + v, id="payload"),
        pytest.param(lambda v: v.replace(".", ""), id="no-dot"),
        pytest.param(lambda v: "", id="empty"),
    ],
)
def test_forged_cookie_is_refused(mangle):
    value = S.issue(KEY, user_id=1, username="u", token_version=0, now=1000.0)
    assert S.read(mangle(value), KEY, now=1001.0) is None


def test_other_key_and_expiry_refused():
    value = S.issue(KEY, user_id=1, username="u", token_version=0, now=1000.0, ttl_s=60)
    assert S.read(value, b"z" * 32, now=1001.0) is None
    assert S.read(value, KEY, now=1059.0) is not None
    assert S.read(value, KEY, now=1060.0) is None


def test_renewal_after_half_the_lifetime():
    value = S.issue(KEY, user_id=1, username="u", token_version=0, now=0.0)
    web = S.read(value, KEY, now=1.0)
    assert not web.needs_renewal(now=S.RENEW_AFTER_S - 1)
    assert web.needs_renewal(now=S.RENEW_AFTER_S + 1)


def test_csrf_token_is_bound_to_the_session():
    t1 = S.csrf_token(KEY, "sid-1")
    assert S.csrf_ok(KEY, "sid-1", t1)
    assert not S.csrf_ok(KEY, "sid-2", t1)
    assert not S.csrf_ok(KEY, "sid-1", "")
    assert not S.csrf_ok(KEY, "sid-1", None)
    assert S.pre_csrf_ok("abc", "abc") and not S.pre_csrf_ok("abc", "abd")
    assert not S.pre_csrf_ok(None, None) and not S.pre_csrf_ok("", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/kabupaten/33.24?periode=2025-03", "/kabupaten/33.24?periode=2025-03"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("kabupaten", "/"),
        ("", "/"),
    ],
)
def test_only_local_redirects_after_login(target, expected):
    assert safe_next(target) == expected


def test_throttle_per_account_and_per_address():
    now = [0.0]
    th = MemoryLoginThrottle(per_account=3, per_address=5, window_s=100, clock=lambda: now[0])
    for _ in range(3):
        assert th.retry_after("Budi", "10.0.0.1") is None
        th.failed("Budi", "10.0.0.1")
    assert th.retry_after("budi", "10.0.0.9") == 101, "per account, whatever the address"
    assert th.retry_after("siti", "10.0.0.1") is None
    th.failed("siti", "10.0.0.1")
    th.failed("ani", "10.0.0.1")
    assert th.retry_after("dewi", "10.0.0.1") is not None, "per address, whatever the account"
    now[0] = 101.0
    assert th.retry_after("budi", "10.0.0.9") is None, "the window slides"
    th.failed("eko", "10.0.0.2")
    th.succeeded("eko", "10.0.0.2")
    assert th._fails.get(("akun", "eko")) is None


def test_inline_map_data_cannot_close_its_script_element():
    import json
    from types import SimpleNamespace

    from geo_service.api.web.common import map_json

    evil = json.dumps([{"nama_desa": "</script><script>alert(1)</script>", "x": 1, "y": 2}])
    run = SimpleNamespace(id=7, kode_kab="33.24")
    text = map_json(None, None, None, run, 10, None, points=evil)
    assert "</script" not in text.lower()
    data = json.loads(text)
    assert data["prioritas"][0]["nama_desa"] == "</script><script>alert(1)</script>"
    assert data["url"] == "/kabupaten/33.24/hal/peta/7.json"


def test_templates_escape_names():
    from geo_service.api.web.render import templates

    html = templates.get_template("beranda.html").render(
        kabupaten=[
            {"kode": "33.24", "nama": "<img src=x onerror=alert(1)>", "nama_prov": "J", "n_desa": 1}
        ],
        t=lambda k, **kw: k,
        num=str,
        user=None,
        lang="id",
        lang_url="/",
        csrf="",
        csrf_field="csrf_token",
    )
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
