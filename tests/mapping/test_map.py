import json
import re

import pytest

from geo_service.analysis import compute_indicators
from geo_service.mapping import choropleth_map, class_breaks
from geo_service.synth import generate_keluarga


@pytest.fixture(scope="module")
def page(tmp_path_factory, kendal_desa, kendal_calib):
    desa = kendal_desa
    data = generate_keluarga(
        desa,
        kendal_calib,
        n_keluarga=5000,
        periode="2025-03",
        seed=1,
    )
    result = compute_indicators(data.keluarga, desa)
    path = tmp_path_factory.mktemp("map") / "map.html"
    choropleth_map(result.desa, judul="Kabupaten Kendal — periode 2025-03").save(str(path))
    return path.read_text(encoding="utf-8"), result


def test_no_asset_is_loaded_from_the_network(page):
    html, _ = page
    external = re.findall(
        r"<(?:script|link|img)[^>]+(?:src|href)=[\"']((?:https?:)?//[^\"']+)", html
    )
    assert external == []
    assert "L.map(" in html or "L.map (" in html
    assert "Leaflet" in html  # the bundled library is inlined
    assert "url(images/" not in html  # layer-control icon inlined as data URI


def test_one_shape_per_desa_with_indonesian_tooltips(page):
    html, result = page
    blobs = re.findall(r'"type": ?"FeatureCollection".*?(?=\)\s*;|\);)', html)
    sizes = []
    for m in re.finditer(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);", html, re.S):
        sizes.append(len(json.loads(m.group(1))["features"]))
    assert len(result.desa) in sizes, (sizes, len(blobs))
    for label in ("Desa/Kelurahan", "Kecamatan", "Keluarga", "Jiwa miskin ekstrem"):
        assert label in html


def test_legend_title_print_style(page):
    html, _ = page
    assert 'id="gs-legend"' in html or "id='gs-legend'" in html
    assert "% jiwa miskin ekstrem" in html
    assert "@media print" in html
    assert "cahyadsn/wilayah_boundaries" in html


@pytest.mark.parametrize(
    "values,expected_first,max_classes",
    [([0, 0, 1, 2, 3, 50], 0.0, 5), ([0, 0, 0], 0.0, 1), ([5.0] * 10, 0.0, 1)],
)
def test_class_breaks_increase_and_cover(values, expected_first, max_classes):
    edges = class_breaks(values)
    assert edges[0] == expected_first
    assert edges == sorted(set(edges))
    assert edges[-1] >= max(values)
    assert len(edges) - 1 <= max_classes


def test_class_breaks_spread_a_skewed_distribution():
    values = [0.5] * 50 + [2] * 30 + [8] * 15 + [40, 60, 90]
    edges = class_breaks(values)
    assert len(edges) >= 4  # skewed rates still get several classes below the outliers
    assert edges[1] < 8
