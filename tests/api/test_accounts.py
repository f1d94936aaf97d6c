"""Sessions and accounts (issue 12, findings 7 and 8): tokens checked against the user's
current state on every request, admin routes and CLI commands to deactivate/reactivate, change
role or scope and revoke keys, login throttling with back-off, the same hashing work for
unknown users."""

from __future__ import annotations

import hashlib

import pytest

from geo_service.services.login_throttle import LoginThrottle
from tests.api.support import KAB_A, KAB_B, PASSWORD


def _login(client, name: str, password: str = PASSWORD):
    return client.post("/auth/token", data={"username": name, "password": password})


def _bearer(client, name: str) -> dict[str, str]:
    r = _login(client, name)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_token_stops_after_deactivation_at_once(client, tokens):
    h = _bearer(client, "analis_a")
    assert client.get("/auth/saya", headers=h).status_code == 200
    r = client.post("/auth/pengguna/analis_a/nonaktifkan", headers=tokens["admin_a"])
    assert r.status_code == 200 and r.json()["aktif"] is False
    assert client.get("/auth/saya", headers=h).status_code == 401
    assert client.get(f"/kabupaten/{KAB_A}/indikator/desa", headers=h).status_code == 401
    assert _login(client, "analis_a").status_code == 401
    assert client.post("/auth/pengguna/analis_a/aktifkan", headers=tokens["admin_a"]).is_success
    assert client.get("/auth/saya", headers=h).status_code == 401  # old token stays dead
    assert client.get("/auth/saya", headers=_bearer(client, "analis_a")).status_code == 200


def test_token_stops_after_role_change(client, tokens):
    h = _bearer(client, "opd_dinkes_a")
    assert client.get("/auth/saya", headers=h).json()["peran"] == "opd"
    r = client.post(
        "/auth/pengguna/opd_dinkes_a/peran", json={"peran": "publik"}, headers=tokens["admin_a"]
    )
    assert r.status_code == 200
    assert client.get("/auth/saya", headers=h).status_code == 401
    assert client.get("/auth/saya", headers=_bearer(client, "opd_dinkes_a")).json()["peran"] == (
        "publik"
    )


def test_token_stops_after_scope_change(client, tokens):
    h = _bearer(client, "publik_a")
    assert client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=h).status_code == 200
    r = client.post(
        "/auth/pengguna/publik_a/cakupan", json={"kabupaten": [KAB_A]}, headers=tokens["admin_a"]
    )
    assert r.status_code == 200
    assert client.get(f"/kabupaten/{KAB_A}/indikator/kabupaten", headers=h).status_code == 401


def test_admin_cannot_touch_users_outside_own_kabupaten(client, tokens):
    r = client.post("/auth/pengguna/analis_b/nonaktifkan", headers=tokens["admin_a"])
    assert r.status_code == 404
    r = client.post("/auth/pengguna/analis_a/nonaktifkan", headers=_bearer(client, "analis_a"))
    assert r.status_code == 403
    r = client.post(
        "/auth/pengguna/publik_a/cakupan", json={"kabupaten": [KAB_B]}, headers=tokens["admin_a"]
    )
    assert r.status_code == 404


def test_api_key_of_deactivated_user_and_revoked_key_stop(client, api_db, tokens):
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.repo.users import revoke_api_key

    key = {"X-API-Key": api_db.api_keys["analis_b"]}
    assert client.get("/auth/saya", headers=key).status_code == 200
    engine = make_engine(settings=api_db.settings)
    with make_session_factory(engine)() as s:
        revoke_api_key(s, api_db.api_keys["analis_b"].split("_")[1])
        s.commit()
    engine.dispose()
    assert client.get("/auth/saya", headers=key).status_code == 401


@pytest.fixture
def scrypt_calls(monkeypatch) -> dict[str, int]:
    """Counts the password hashes computed (``calls["n"]``) while the test runs."""
    from geo_service.services import security

    calls = {"n": 0}
    real = hashlib.scrypt

    def counting(*a, **kw):
        calls["n"] += 1
        return real(*a, **kw)

    monkeypatch.setattr(security.hashlib, "scrypt", counting)
    return calls


def test_301st_wrong_password_refused_unchecked_other_account_works(client, scrypt_calls):
    calls = scrypt_calls
    codes = [_login(client, "admin_a", f"salah-{i}").status_code for i in range(301)]
    assert codes[:5] == [401] * 5
    # After 5 failures each wait doubles (1 s, 2 s, 4 s, ...): only the attempts after a
    # wait ended are checked, the rest are refused unchecked.
    assert codes[-1] == 429 and set(codes) == {401, 429}
    assert calls["n"] == codes.count(401) <= 12
    r = _login(client, "admin_a")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # An account that is not attacked signs in at once from the same client.
    assert _login(client, "opd_a").status_code == 200


def test_unknown_user_costs_the_same_hash(client, scrypt_calls):
    calls = scrypt_calls
    assert _login(client, "tidak_ada_orang_ini", "apa-saja").status_code == 401
    assert calls["n"] == 1


def test_throttle_backs_off_exponentially_and_forgets():
    t = LoginThrottle(free=2, base_s=1.0, max_s=8.0, window_s=100.0)
    now = 1000.0
    waits = []
    for _ in range(7):
        t.failed("a", "1.2.3.4", now=now)
        waits.append(t.wait_s("a", "1.2.3.4", now=now))
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0]  # doubling, capped
    assert t.wait_s("a", "5.6.7.8", now=now) == 0.0  # same account, other client
    assert t.wait_s("b", "1.2.3.4", now=now) == 0.0  # other account, same client
    assert t.wait_s("a", "1.2.3.4", now=now + 9) == 0.0  # the back-off ends
    t.failed("a", "1.2.3.4", now=now + 500)  # window over: counting starts again
    assert t.wait_s("a", "1.2.3.4", now=now + 500) == 0.0


def test_spraying_many_accounts_throttles_the_client():
    t = LoginThrottle(free=2, base_s=1.0)
    for i in range(5):
        t.failed(f"user{i}", "9.9.9.9", now=0.0)
    assert t.wait_s("someone", "9.9.9.9", now=0.0) > 0
    assert t.wait_s("someone", "1.1.1.1", now=0.0) == 0.0


@pytest.mark.parametrize(
    "command",
    [["nonaktifkan", "analis_a"], ["deactivate", "analis_a"]],
)
def test_cli_deactivate_and_aliases(client, api_db, tokens, monkeypatch, command, request):
    from typer.testing import CliRunner

    from geo_service.cli import app

    monkeypatch.setenv("GEO_DATA_DIR", str(api_db.path.parent))
    monkeypatch.setenv("GEO_DATABASE_URL", str(api_db.settings.database.url))
    from geo_service.settings import get_settings

    get_settings.cache_clear()  # read once per process: this module's database
    request.addfinalizer(get_settings.cache_clear)
    h = _bearer(client, "analis_a")
    r = CliRunner().invoke(app, ["user", *command])
    assert r.exit_code == 0, r.output
    assert client.get("/auth/saya", headers=h).status_code == 401
    r = CliRunner().invoke(app, ["user", "aktifkan", "analis_a"])
    assert r.exit_code == 0, r.output
