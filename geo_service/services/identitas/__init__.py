"""Identities of families (UU PDP 27/2022): keys, the encrypted vault, who may read it,
field lists with names, erasure and retention.

- **Keys.** The pseudonym key (``GEO_PSEUDONYM_KEY`` or ``GEO_PSEUDONYM_KEY_FILE``) makes
  ``id_keluarga`` from a KK number (:mod:`geo_service.analysis.pseudonim`); the vault key(s)
  (``GEO_VAULT_KEY`` or ``GEO_VAULT_KEY_FILE``: Fernet keys, the first encrypts, the others
  only decrypt until :func:`rotate_vault_key` has re-encrypted everything) protect the
  identities. Neither is ever stored in the database or logged: the database keeps a
  fingerprint of each (HMAC of a constant), so another key is refused with a clear
  :class:`~geo_service.errors.KunciError` instead of giving other ids or unreadable rows.
- **Vault.** One encrypted token per family (name, NIK, KK number, address) in
  ``identitas_keluarga``; nothing else in the package reads that table.
- **Reading.** Only ``admin`` and ``analis`` (their kabupaten) and ``pendamping`` (the desa
  of their own sample) get names, and only with a stated purpose; every read writes an
  audit row (who, purpose, sample, how many rows) without any identity in it.
- **Erasure and retention.** :func:`erase` deletes a family's identity on request (its
  pseudonymous rows and every aggregate stay); :func:`apply_retention` erases the
  identities of periodes whose retention date has passed. Both are audited.

Modules: :mod:`.kunci` (keys, the vault, who asks), :mod:`.brankas` (storing, named lists,
facilitators), :mod:`.retensi` (erasure, retention, key rotation), :mod:`.opensid`.
"""

from geo_service.services.identitas.brankas import (
    assign_facilitator,
    check_sample,
    named_field_list,
    store_identities,
)
from geo_service.services.identitas.kunci import (
    FULL_ROLES,
    JENIS_BRANKAS,
    JENIS_PSEUDONIM,
    NAME_COLUMNS,
    PENDAMPING,
    SIDIK_LEN,
    Brankas,
    Pemohon,
    check_pseudonym_key,
    check_vault,
    new_keys,
    pseudonym_key,
    vault,
)
from geo_service.services.identitas.opensid import desa_names, opensid_frame, opensid_results
from geo_service.services.identitas.retensi import (
    apply_retention,
    erase,
    rotate_vault_key,
    set_retention,
)

__all__ = [
    "FULL_ROLES",
    "JENIS_BRANKAS",
    "JENIS_PSEUDONIM",
    "NAME_COLUMNS",
    "PENDAMPING",
    "SIDIK_LEN",
    "Brankas",
    "Pemohon",
    "apply_retention",
    "assign_facilitator",
    "check_pseudonym_key",
    "check_sample",
    "check_vault",
    "desa_names",
    "erase",
    "named_field_list",
    "new_keys",
    "opensid_frame",
    "opensid_results",
    "pseudonym_key",
    "rotate_vault_key",
    "set_retention",
    "store_identities",
    "vault",
]
