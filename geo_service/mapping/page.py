"""The map page with its GeoJSON data written once, compactly, after rendering.

branca renders each element's script and then parses that text once more as a Jinja
template; with the data of a kabupaten map inside (about a megabyte), that second parse is
the largest single cost of writing the page. :class:`DataGeoJson` renders a short token in
place of its data and :class:`PageFigure` puts the data in after rendering, as compact
JSON escaped for an HTML ``<script>`` (as Jinja's ``tojson`` escapes it). On a map whose
page is not a :class:`PageFigure`, :class:`DataGeoJson` writes its data inline as before.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import folium
from branca.element import Figure
from folium.template import Template


def script_json(value: Any) -> str:
    """Compact JSON safe inside an HTML ``<script>`` (``<``, ``>``, ``&``, ``'`` escaped)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


class PageFigure(Figure):
    """A folium page that fills in the data of its :class:`DataGeoJson` layers after
    rendering."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data_texts: dict[str, str] = {}

    def render(self, **kwargs: Any) -> str:
        self.data_texts = {}
        page = super().render(**kwargs)
        for token, text in self.data_texts.items():
            page = page.replace(token, text, 1)
        return page


def _data_template() -> Template | None:
    """folium's GeoJson template with the data as ``{{ this.data_text }}`` (None when this
    folium's template does not have the one data expression to replace)."""
    match = re.search(
        r'_template = Template\(\s*"""(.*?)"""', inspect.getsource(folium.GeoJson), re.S
    )
    if match is None or match.group(1).count("{{ this.data|tojson }}") != 1:
        return None
    return Template(match.group(1).replace("{{ this.data|tojson }}", "{{ this.data_text }}"))


_TEMPLATE = _data_template()


class DataGeoJson(folium.GeoJson):
    """``folium.GeoJson`` whose data a :class:`PageFigure` writes in after rendering."""

    if _TEMPLATE is not None:
        _template = _TEMPLATE

    def render(self, **kwargs: Any) -> Any:
        text = script_json(self.data)
        root = self.get_root()
        if isinstance(root, PageFigure):
            token = f"/*gs-data:{self.get_name()}*/"
            root.data_texts[token] = text
            self.data_text = token
        else:
            self.data_text = text
        return super().render(**kwargs)


def attach_page(m: folium.Map) -> PageFigure:
    """Put map ``m`` on a new :class:`PageFigure` (call before anything is added to the page
    header); returns the page."""
    page = PageFigure()
    page.add_child(m)
    return page
