"""Province names by their two-digit Kemendagri code (the codes of the boundary data, which
are BPS's codes too up to the 2022 Papua split).

Boundary files of a single kabupaten often carry ``kode_prov`` only; a person must still read
"Jawa Tengah", never "33".
"""

from __future__ import annotations

import re

#: Kemendagri province codes (Permendagri 2022/2023, 38 provinces) -> names.
PROVINSI: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "Daerah Istimewa Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

_CODE = re.compile(r"^\s*(\d{2})(?:\.\d+)*\s*$")


def nama_provinsi(kode_prov: object, stored: object = None) -> str | None:
    """The name of province ``kode_prov``: ``stored`` when it is a real name (boundary data
    with ``nama_prov``), else the name from :data:`PROVINSI`; a code that is not known gives
    the stored text (or None)."""
    text = None if stored is None else str(stored).strip()
    if text and not _CODE.match(text):
        return text
    code = _CODE.match(str(kode_prov or text or ""))
    if code and code.group(1) in PROVINSI:
        return PROVINSI[code.group(1)]
    return text or None
