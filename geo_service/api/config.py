"""Settings of the web service (``GEO_`` prefix, like :mod:`geo_service.settings`).

Kept next to the API because only the API reads them; build one explicitly in tests
(``ApiSettings(_env_file=None, ...)``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Authentication, limits and disclosure control of the HTTP API."""

    model_config = SettingsConfigDict(env_prefix="GEO_", env_file=".env", extra="ignore")

    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs access tokens (HMAC-SHA256). Empty: a random key per "
        "process, so tokens die with the process (fine for a demo, not for several workers).",
    )
    token_ttl_s: int = Field(900, ge=30, le=86_400, description="Access token lifetime (seconds).")
    disclosure_k: int = Field(10, ge=2, description="Small-cell threshold for opd and publik.")
    publik_geography: Literal["desa", "h3"] = Field(
        "desa", description="The one geography family the public role sees."
    )
    publik_h3_resolution: int = Field(
        7, ge=5, le=8, description="H3 resolution published to the public role (coarse)."
    )
    upload_max_bytes: int = Field(
        512 * 1024**2, gt=0, description="Largest accepted upload body (bytes)."
    )
    response_cache_mb: int = Field(
        256, ge=0, description="Memory for rendered results of finished runs (MB; 0: off)."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
