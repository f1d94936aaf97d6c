"""Kept bodies go out compressed once and named by an entity tag: gzip when the client
accepts it (the same document), 304 when the client already has it, never another
viewer's body (issue 17 part 6)."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import gzip
import json

from tests.api.support import KAB_A, client, tokens  # noqa: F401
from tests.api.web.htmltable import inline_json


def _raw(c, url: str, headers: dict[str, str]):
    """The answer and its bytes as they came over the wire (not decoded)."""
    with c.stream("GET", url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def test_map_layers_gzip_once_etag_and_304(browsers):
    c = browsers["analis_a"]
    url = inline_json(c.get(f"/kabupaten/{KAB_A}").text, "peta-data")["url"]
    plain, plain_bytes = _raw(c, url, {"Accept-Encoding": "identity"})
    packed, packed_bytes = _raw(c, url, {"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"]
    assert gzip.decompress(packed_bytes) == plain_bytes, "the same document"
    assert len(packed_bytes) < len(plain_bytes)
    assert json.loads(plain_bytes)["desa"]["features"]
    assert plain.headers["etag"] != packed.headers["etag"], "one tag per encoding"
    assert "private" in packed.headers["cache-control"]
    for tag in (plain.headers["etag"], packed.headers["etag"], "W/" + plain.headers["etag"]):
        again = c.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"]
    stale = c.get(url, headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200 and stale.content == plain_bytes


def test_another_role_never_gets_304_or_the_body_of_the_first(browsers):
    analis = browsers["analis_a"]
    url = inline_json(analis.get(f"/kabupaten/{KAB_A}").text, "peta-data")["url"]
    full = analis.get(url, headers={"Accept-Encoding": "identity"})
    public = browsers["publik_a"].get(
        url, headers={"Accept-Encoding": "identity", "If-None-Match": full.headers["etag"]}
    )
    assert public.status_code == 200, "the analis' tag does not name the public body"
    assert public.headers["etag"] != full.headers["etag"]
    hidden = [f for f in public.json()["desa"]["features"] if f["properties"].get("disembunyikan")]
    assert hidden and all(f["properties"]["pct_jiwa_ekstrem"] is None for f in hidden)
    assert public.content != full.content


def test_api_map_page_gzip_once_under_1mb_with_304_from_the_cache(client, tokens):
    auth = tokens["analis_a"]
    url = f"/kabupaten/{KAB_A}/peta"
    cache = client.app.state.response_cache
    first, first_bytes = _raw(client, url, auth | {"Accept-Encoding": "gzip"})
    hits = cache.hits
    second, second_bytes = _raw(client, url, auth | {"Accept-Encoding": "gzip"})
    assert cache.hits == hits + 1, "the second answer comes from the kept body"
    assert first.status_code == second.status_code == 200
    assert first.headers["content-encoding"] == second.headers["content-encoding"] == "gzip"
    assert first_bytes == second_bytes and first.headers["etag"] == second.headers["etag"]
    assert len(second_bytes) < 1_000_000
    plain = client.get(url, headers=auth | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(second_bytes) == plain.content
    assert "leaflet" in plain.text.lower()
    not_modified = client.get(url, headers=auth | {"If-None-Match": second.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    # Byte ranges still address the plain document.
    part = client.get(url, headers=auth | {"Range": "bytes=0-99", "Accept-Encoding": "gzip"})
    assert part.status_code == 206 and part.content == plain.content[:100]
    # Without credentials: no body and no 304, whatever the tag.
    anon = client.get(url, headers={"If-None-Match": second.headers["etag"]})
    assert anon.status_code == 401


def test_shared_overview_page_carries_each_sessions_own_csrf_token(web_app, browsers):
    from fastapi.testclient import TestClient

    from geo_service.api.web.render import CSRF_PLACEHOLDER
    from tests.api.web.conftest import csrf_in, login

    first = browsers["analis_a"]
    second = TestClient(web_app)
    assert login(second, "analis_a").status_code == 303  # the same user, another session
    pages = [c.get(f"/kabupaten/{KAB_A}") for c in (first, second, first)]
    assert all(p.status_code == 200 for p in pages)
    tokens = [csrf_in(p.text) for p in pages]
    assert tokens[0] == tokens[2] and tokens[0] != tokens[1], "one token per session"
    assert all(CSRF_PLACEHOLDER not in p.text for p in pages)
    assert "no-store" in pages[1].headers["cache-control"]
    # The body is otherwise the same page (rendered once).
    assert pages[0].text.replace(tokens[0], "") == pages[1].text.replace(tokens[1], "")
    public = browsers["publik_a"].get(f"/kabupaten/{KAB_A}")
    assert public.status_code == 200 and 'id="form-analisis"' not in public.text


def test_web_map_layers_answered_before_routing_only_for_a_checked_session(web_app, browsers):
    """A repeat of the map layers for a session whose user was checked within the last
    seconds comes from the response cache (no routing, no database session); a session not
    checked lately, a deactivated user, no cookie or another URL go to the route."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from geo_service.api.sesi import UserChecks
    from tests.api.web.conftest import login

    c = TestClient(web_app)
    assert login(c, "analis_a").status_code == 303
    url = inline_json(c.get(f"/kabupaten/{KAB_A}").text, "peta-data")["url"]
    cache = web_app.state.response_cache
    first = c.get(url, headers={"Accept-Encoding": "gzip"})
    hits = cache.hits
    again, again_bytes = _raw(c, url, {"Accept-Encoding": "gzip"})
    assert cache.hits == hits + 1, "the repeat comes from the kept body"
    assert again.status_code == 200 and again.headers["content-encoding"] == "gzip"
    assert gzip.decompress(again_bytes) == first.content
    assert c.get(url, headers={"If-None-Match": again.headers["etag"]}).status_code == 304
    # Another kabupaten in the URL is never answered from the body of this one.
    wrong = c.get(url.replace(f"/kabupaten/{KAB_A}/", "/kabupaten/33.20/"))
    assert wrong.status_code in (403, 404)
    # No cookie: the route sends the browser to the login form.
    anon = TestClient(web_app)
    assert anon.get(url, follow_redirects=False).status_code == 303
    # A deactivated user: once the user check is due again, the route refuses the session.
    hits = cache.hits
    with web_app.state.engine.begin() as conn:
        conn.execute(text("UPDATE pengguna SET aktif = 0 WHERE nama_pengguna = 'analis_a'"))
    try:
        web_app.state.web_user_checks = UserChecks()  # the check's few seconds are over
        assert c.get(url, follow_redirects=False).status_code == 303
        assert cache.hits == hits
    finally:
        with web_app.state.engine.begin() as conn:
            conn.execute(text("UPDATE pengguna SET aktif = 1 WHERE nama_pengguna = 'analis_a'"))
        web_app.state.web_user_checks = UserChecks()


def test_overview_answered_again_for_a_second_with_each_sessions_csrf(web_app, browsers):
    """The overview rendered for a viewer is answered before routing for a second, with the
    session's own CSRF token and the page's headers; ``?lang=`` and other viewers go to the
    route."""
    from fastapi.testclient import TestClient

    from geo_service.api.cache import FreshPages
    from tests.api.web.conftest import csrf_in, login

    pages = web_app.state.fresh_pages = FreshPages(ttl_s=60)  # no expiry within the test
    first, second = TestClient(web_app), TestClient(web_app)
    for c in (first, second):
        assert login(c, "analis_a").status_code == 303
    url = f"/kabupaten/{KAB_A}"
    try:
        routed = first.get(url)
        again = [first.get(url), second.get(url)]
        assert pages.hits == 2
        assert all(r.status_code == 200 for r in again)
        assert again[0].text == routed.text, "the same page for the same session"
        assert csrf_in(again[1].text) != csrf_in(again[0].text), "each session its own token"
        for name in ("cache-control", "content-security-policy", "x-frame-options"):
            assert again[0].headers[name] == routed.headers[name]
        assert "set-cookie" not in again[0].headers
        english = first.get(url + "?lang=en")
        assert pages.hits == 2 and english.status_code == 200, "?lang= goes to the route"
        public = browsers["publik_a"].get(url)
        assert pages.hits == 2 and 'id="form-analisis"' not in public.text
        assert TestClient(web_app).get(url, follow_redirects=False).status_code == 303
    finally:
        web_app.state.fresh_pages = FreshPages()
