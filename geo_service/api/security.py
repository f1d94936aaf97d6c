"""Credentials and the caller: they live in :mod:`geo_service.services.security` (the CLI
uses them too); this name stays for the API modules that import it."""

from geo_service.services.security import (
    API_KEY_PREFIX,
    ROLES,
    Principal,
    api_key_hash,
    api_key_prefix,
    create_token,
    hash_password,
    new_api_key,
    verify_password,
    verify_token,
)

__all__ = [
    "API_KEY_PREFIX",
    "ROLES",
    "Principal",
    "api_key_hash",
    "api_key_prefix",
    "create_token",
    "hash_password",
    "new_api_key",
    "verify_password",
    "verify_token",
]
