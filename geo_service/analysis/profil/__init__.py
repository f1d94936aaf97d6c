"""Import profiles: how a source's columns and value codes map to the household contract.

Pure functions over data frames (reading TOML and spreadsheets is in ``io/profil.py``).
A :class:`Profil` says which source header feeds each contract column (several candidate
headers each, compared after normalising case, spaces and punctuation), how the desa is
given (10-digit code, dotted code, or a name resolved against the boundaries), how desil
and yes/no flags are written, and where identities (NIK, KK number, name, address) are.

:func:`apply_profil` turns a raw frame into

- ``kontrak``: the contract columns only, as text, for the one validator
  (:func:`geo_service.analysis.validate.validate_keluarga`) — no direct identifier ever;
- ``identitas``: ``id_keluarga`` with the direct identifiers, for the encrypted vault;
- ``masalah``: mapping problems with reason codes (desa names not found or ambiguous,
  unusable NIK/KK numbers), in the validator's report layout, without identifiers.
"""

from geo_service.analysis.profil.definisi import (
    DESA_FORMATS,
    HELPER_FIELDS,
    ID_SOURCES,
    IDENTITY_FIELDS,
    REASONS,
    TARGETS,
    DesaRule,
    Profil,
    profil_from_dict,
    reason_text,
)
from geo_service.analysis.profil.kolom import (
    find_header_row,
    match_columns,
    norm_header,
    required_targets,
)
from geo_service.analysis.profil.nama_desa import DesaMatch, norm_desa_name, resolve_desa_names
from geo_service.analysis.profil.nilai import kode_10, kode_titik, periode_text
from geo_service.analysis.profil.pemetaan import Pemetaan, apply_profil

__all__ = [
    "DESA_FORMATS",
    "HELPER_FIELDS",
    "ID_SOURCES",
    "IDENTITY_FIELDS",
    "REASONS",
    "TARGETS",
    "DesaMatch",
    "DesaRule",
    "Pemetaan",
    "Profil",
    "apply_profil",
    "find_header_row",
    "kode_10",
    "kode_titik",
    "match_columns",
    "norm_desa_name",
    "norm_header",
    "periode_text",
    "profil_from_dict",
    "reason_text",
    "required_targets",
    "resolve_desa_names",
]
