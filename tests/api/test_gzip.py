"""Text responses travel gzip-compressed; byte ranges still address the plain body."""

from __future__ import annotations

import gzip

from tests.api.support import KAB_A


def test_map_page_is_gzipped_and_well_under_a_megabyte(client, tokens):
    url = f"/kabupaten/{KAB_A}/peta"
    plain = client.get(url, headers={**tokens["analis_a"], "Accept-Encoding": "identity"})
    zipped = client.get(url, headers={**tokens["analis_a"], "Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decodes: the same page
    on_wire = zipped.num_bytes_downloaded
    assert on_wire < 1_000_000 and on_wire < len(plain.content) / 3
    assert len(gzip.compress(plain.content, compresslevel=1)) >= on_wire * 0.9


def test_ranges_are_never_compressed(client, tokens):
    url = f"/kabupaten/{KAB_A}/indikator/desa?format=geojson"
    head = {**tokens["analis_a"], "Accept-Encoding": "gzip"}
    full = client.get(url, headers={**tokens["analis_a"], "Accept-Encoding": "identity"})
    part = client.get(url, headers={**head, "Range": "bytes=0-99"})
    assert part.status_code == 206 and "content-encoding" not in part.headers
    assert part.content == full.content[:100]
