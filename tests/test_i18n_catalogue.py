"""The catalogue is complete: every message the code asks for exists in both languages, and
no module outside ``geo_service.i18n`` chooses text by comparing the language (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

from geo_service.i18n import MESSAGES, msg, teks

PKG = Path(__file__).resolve().parents[1] / "geo_service"
# Modules still choosing text by comparing the language, each with its reason (shrink this).
STILL_BRANCHING = {
    "errors.py",  # same layer as i18n, may not import it; GeoServiceError.text picks the pair
}


def test_every_message_key_used_exists_in_both_languages():
    used = {
        (m.group(1), str(p.relative_to(PKG)))
        for p in PKG.rglob("*.py")
        for m in re.finditer(r'\bmsg\(\s*"([a-z_]+)"', p.read_text(encoding="utf-8"))
    }
    assert used, "no msg() calls found"
    missing = sorted(u for u in used if u[0] not in MESSAGES)
    assert not missing, missing
    for key, (pesan, message) in MESSAGES.items():
        assert pesan.strip() and message.strip(), key


def test_teks_and_msg_pick_the_language():
    assert teks(("ya", "yes"), "en") == "yes" and teks(("ya", "yes"), "id") == "ya"
    assert teks(("{n} jiwa", "{n} persons"), "fr", n=3) == "3 jiwa"  # unknown: Indonesian
    assert msg("n_jiwa", "en", n="6,838") == "6,838 persons"


def test_no_module_outside_i18n_branches_on_language():
    """No module (Python or the web pages' script) outside ``geo_service.i18n`` chooses text
    by comparing the language; only the modules in STILL_BRANCHING may, for their reason."""
    pattern = re.compile(r"""lang\s*[!=]==?\s*["'](en|id)["']""")
    files = [
        f
        for f in sorted(PKG.rglob("*"))
        if f.suffix in (".py", ".js", ".html")
        and f.relative_to(PKG).parts[0] != "i18n"
        and str(f.relative_to(PKG)) not in STILL_BRANCHING
        and "vendor" not in f.parts
        and "leaflet" not in f.parts
    ]
    assert len(files) > 100, len(files)  # the whole package was scanned
    hits = []
    for f in files:
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{f.relative_to(PKG)}:{i}: {line.strip()}")
    assert not hits, "\n".join(hits)
    assert all((PKG / n).exists() for n in STILL_BRANCHING)
    # ... and the one that may says why
    assert "may not import it" in (PKG / "errors.py").read_text(encoding="utf-8")


def test_the_map_script_formats_percentages_like_the_formatter():
    """peta.js takes the decimal mark and the percent suffix from the page (no language test):
    40,2 % in Bahasa Indonesia, 40.2% in English."""
    from geo_service.i18n import fmt_number, fmt_percent

    for lang, want in (("id", "40,2 %"), ("en", "40.2%")):
        dec = fmt_number(0.5, lang, 1)[1]
        suffix = fmt_percent(0.5, lang, 1)[len(fmt_number(0.5, lang, 1)) :]
        assert "40.2".replace(".", dec) + suffix == want
    js = (PKG / "api/web/static/peta.js").read_text(encoding="utf-8")
    assert "teks.desimal" in js and "teks.persen" in js
    # ... and the page hands them over: the map block rendered with the pages' context
    import json

    from starlette.requests import Request

    from geo_service.api.web.render import base_context, templates

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []}
    for lang, dec, suffix in (("id", ",", " %"), ("en", ".", "%")):
        ctx = base_context(Request(scope), None, lang, peta="{}")
        html = templates.get_template("_peta.html").render(ctx)
        blob = html.split('id="peta-teks">', 1)[1].split("</script>", 1)[0]
        data = json.loads(blob)
        assert (data["desimal"], data["persen"]) == (dec, suffix), data


def _language_tables():
    """Module-level text tables ``{"id": {...}, "en": {...}}`` picked with ``i18n.pick``."""
    import importlib

    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if '"en": {' not in text and '"en": (' not in text:
            continue
        module = importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
        for name, value in vars(module).items():
            if isinstance(value, dict) and set(value) == {"id", "en"}:
                yield f"{rel}.{name}", value


def test_every_module_text_table_is_complete_in_both_languages():
    tables = dict(_language_tables())
    assert len(tables) >= 10, sorted(tables)  # the CLI, map, pack and page tables are found
    for name, table in tables.items():
        ids, ens = table["id"], table["en"]
        if isinstance(ids, dict):
            assert set(ids) == set(ens), (name, set(ids) ^ set(ens))
            for key in ids:
                assert str(ids[key]).strip() and str(ens[key]).strip(), (name, key)
