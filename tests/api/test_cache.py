"""Rendered results of finished runs are served again from memory, per viewer."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

from fastapi.responses import Response

from geo_service.api.cache import ResponseCache
from tests.api.support import KAB_A

ROUTES = [
    f"/kabupaten/{KAB_A}/prioritas?per_halaman=20",
    f"/kabupaten/{KAB_A}/indikator/desa",
    f"/kabupaten/{KAB_A}/kantong",
    f"/kabupaten/{KAB_A}/peta",
]


def test_second_request_is_a_hit_with_the_same_body(client, tokens):
    cache = client.app.state.response_cache
    for route in ROUTES:
        first = client.get(route, headers=tokens["analis_a"])
        hits = cache.hits
        second = client.get(route, headers=tokens["analis_a"])
        assert first.status_code == second.status_code == 200
        assert cache.hits == hits + 1, route
        assert second.content == first.content
        assert second.headers["content-type"] == first.headers["content-type"]


def test_suppressed_role_never_gets_the_full_view(client, tokens):
    route = f"/kabupaten/{KAB_A}/indikator/desa?format=json"
    full = client.get(route, headers=tokens["analis_a"]).json()
    client.get(route, headers=tokens["publik_a"])
    public = client.get(route, headers=tokens["publik_a"]).json()  # from the cache
    assert public["penekanan_k"] == 10 and full["penekanan_k"] is None
    assert public["baris"] != full["baris"]
    small = [
        v
        for row in public["baris"]
        for k, v in row.items()
        if k.startswith("n_") and isinstance(v, int) and 0 < v < 10
    ]
    assert small == []


def test_exports_are_not_cached_and_stay_audited(client, tokens):
    cache = client.app.state.response_cache
    before = (cache.hits, cache.misses)
    for _ in range(2):
        r = client.get(f"/kabupaten/{KAB_A}/prioritas?format=csv", headers=tokens["analis_a"])
        assert r.status_code == 200
    assert (cache.hits, cache.misses) == before


def test_lru_stays_within_its_byte_budget():
    cache = ResponseCache(max_bytes=4000)
    for i in range(10):
        cache.put((i,), Response(b"x" * 900, media_type="text/plain"))
    assert cache._bytes <= 4000
    assert cache.get((0,)) is None and cache.get((9,)) is not None


def test_cache_never_answers_without_valid_credentials_or_scope(client, tokens):
    route = f"/kabupaten/{KAB_A}/prioritas?per_halaman=20"
    assert client.get(route, headers=tokens["analis_a"]).status_code == 200
    assert client.get(route, headers=tokens["analis_a"]).status_code == 200  # now cached
    assert client.get(route).status_code == 401
    assert client.get(route, headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    forged = tokens["analis_a"]["Authorization"][:-3] + "abc"
    assert client.get(route, headers={"Authorization": forged}).status_code == 401
    assert client.get(route, headers=tokens["analis_b"]).status_code in (403, 404)


def test_english_and_indonesian_are_cached_apart(client, tokens):
    route = f"/kabupaten/{KAB_A}/prioritas?per_halaman=5"
    bodies = {}
    for lang in ("id", "en", "id", "en"):
        r = client.get(route, headers=tokens["analis_a"] | {"Accept-Language": lang})
        bodies.setdefault(lang, r.content)
        assert r.content == bodies[lang]


def test_run_lookup_refreshes_once_while_others_use_the_remembered_run():
    from geo_service.api.cache import RunLookup

    runs = RunLookup(ttl_s=0.05)
    key = ("33.24", None, ("33.24",))
    assert runs.peek(key) is None
    assert runs.run_id(key, lambda: 7) == 7
    assert runs.peek(key) == 7
    import time

    time.sleep(0.06)  # stale: exactly one caller is sent to refresh
    answers = [runs.peek(key) for _ in range(5)]
    assert answers.count(None) == 1 and answers.count(7) == 4
    assert runs.run_id(key, lambda: 8) == 8 and runs.peek(key) == 8


def test_concurrent_misses_build_the_body_once():
    """A fresh process under load: the requests waiting for the same body wait for one build
    (the 2 MB map page) instead of each building it."""
    import threading
    import time
    from types import SimpleNamespace

    from starlette.requests import Request

    from geo_service.api.cache import cached
    from geo_service.api.security import Principal

    app = SimpleNamespace(state=SimpleNamespace(response_cache=ResponseCache()))
    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/kabupaten/{KAB_A}/peta",
        "query_string": b"",
        "headers": [(b"accept-encoding", b"gzip")],
        "app": app,
    }
    user = Principal(user_id=1, username="a", role="analis", kabupaten=(KAB_A,))
    builds = []

    def build() -> Response:
        builds.append(1)
        time.sleep(0.2)
        return Response(b"<html>" + b"x" * 5000 + b"</html>", media_type="text/html")

    answers: list[Response] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(cached(Request(scope), user, 7, "id", build))
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1
    assert len(answers) == 8 and len({a.body for a in answers}) == 1
    assert all(a.headers["content-encoding"] == "gzip" for a in answers)


def test_stale_overview_is_refreshed_by_one_request_while_the_others_get_it(monkeypatch):
    from geo_service.api import cache as C

    now = [100.0]
    monkeypatch.setattr(C.time, "monotonic", lambda: now[0])
    pages = C.FreshPages(ttl_s=1.0)
    pages.put(("k",), "<p>PH</p>", "PH", {"Cache-Control": "no-store", "Set-Cookie": "x=1"})
    fresh = pages.get(("k",), "t1")
    assert fresh is not None and fresh.body == b"<p>t1</p>"
    assert fresh.headers["cache-control"] == "no-store" and "set-cookie" not in fresh.headers
    now[0] += 1.5
    assert pages.get(("k",), "t") is None, "one request goes to the route"
    other = pages.get(("k",), "t2")
    assert other is not None and other.body == b"<p>t2</p>", "the others keep the page"
    now[0] += 2.0  # three lifetimes: nobody gets it any more
    assert pages.get(("k",), "t") is None and pages.get(("k",), "t") is None
