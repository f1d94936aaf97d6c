"""Words of the web pages, Bahasa Indonesia first and English complete.

Page words first, then the service catalogue (:data:`geo_service.i18n.MESSAGES`), so a message
shared with the API (e.g. ``login_gagal``) reads the same on a page.
"""

from __future__ import annotations

from geo_service import i18n
from geo_service.i18n import HALAMAN as TEKS


def t(key: str, lang: str, **kwargs) -> str:
    """A page text in ``lang`` (``en`` or Bahasa Indonesia), formatted with ``kwargs``."""
    pair = TEKS.get(key) or i18n.MESSAGES.get(key)
    if pair is None:
        return key
    return i18n.teks(pair, lang).format(**kwargs)
