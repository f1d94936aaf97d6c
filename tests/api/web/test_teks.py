"""The page words: both languages present, the same placeholders in each, and every key a
template uses is in the catalogue."""

from __future__ import annotations

import re
import string
from pathlib import Path

from geo_service.i18n import HALAMAN, MESSAGES

TEMPLATES = Path(__file__).resolve().parents[3] / "geo_service" / "api" / "web" / "templates"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_page_word_in_both_languages_with_the_same_placeholders():
    for key, (pesan, message) in HALAMAN.items():
        assert pesan.strip() and message.strip(), key
        assert _fields(pesan) == _fields(message), key


def test_every_key_the_templates_use_is_catalogued():
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 50
    known = set(HALAMAN) | set(MESSAGES)
    missing = sorted(
        k
        for k in used
        if (k not in known if not k.endswith("_") else not any(x.startswith(k) for x in known))
    )
    assert {"status_berjalan", "status_selesai", "status_gagal"} <= known, "run statuses"
    assert not missing, missing
