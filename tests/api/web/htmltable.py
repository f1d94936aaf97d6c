"""Reading tables and inline JSON out of a page (standard library only)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[dict]] = {}
        self._table: str | None = None
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self._cell_attrs: dict = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = {"attrs": a, "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._cell_attrs = [], a

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row["cells"].append((" ".join("".join(self._cell).split()), self._cell_attrs))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[dict]]:
    """Rows of every table with an id: ``{"attrs": {...}, "cells": [(text, attrs), ...]}``."""
    p = _Tables()
    p.feed(html)
    return p.tables


def body_rows(html: str, table_id: str) -> list[dict]:
    """The rows of a table that carry a ``data-kode-desa`` (its body rows)."""
    return [r for r in tables(html).get(table_id, []) if "data-kode-desa" in r["attrs"]]


def inline_json(html: str, element_id: str):
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert found, f"#{element_id} in the page"
    return json.loads(found.group(1))
