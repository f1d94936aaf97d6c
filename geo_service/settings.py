"""The one settings object: one class per concern, read from ``GEO_*`` environment variables.

``Settings()`` holds the defaults and reads nothing, so tests and library callers build
exactly what they pass (a developer's ``.env`` cannot leak in)::

    Settings(database=DatabaseSettings(url="sqlite:///x.sqlite"), paths=PathSettings(data_dir=d))

Entry points (the CLI, the API app factory, ``alembic``) call :func:`get_settings`, which
reads the environment and ``.env`` once per process through :meth:`Settings.from_env`.
Below the entry points (``db``, ``io``, ``analysis``) settings, or the values needed, are
passed explicitly; nothing there calls :func:`get_settings`.

Environment variable names: ``GEO_`` + the section's prefix + the field name (for example
``GEO_DATABASE_URL``), or the name written in the field's ``env`` entry where an older name
stays (for example ``GEO_DB_ECHO``). ``.env.example`` lists every one; a test checks that.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

Lang = Literal["id", "en"]


class _Section(BaseModel):
    """One concern. ``env_prefix`` names its variables (after ``GEO_``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    env_prefix: ClassVar[str] = ""

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Field name -> environment variable name."""
        out = {}
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            out[name] = str(extra.get("env") or f"GEO_{cls.env_prefix}{name}".upper())
        return out


def _env(name: str) -> dict[str, Any]:
    """``json_schema_extra`` for a field whose variable keeps an older name."""
    return {"env": name}


class DatabaseSettings(_Section):
    """Where the data lives."""

    env_prefix = "DATABASE_"

    url: str | None = Field(
        None, description="SQLAlchemy URL; unset means the SpatiaLite file under data_dir."
    )
    spatialite_library: str = Field(
        "mod_spatialite",
        description="SpatiaLite module loaded into SQLite (name on the library path or full path).",
        json_schema_extra=_env("GEO_SPATIALITE_LIBRARY"),
    )
    echo: bool = Field(
        False,
        description="Log every SQL statement (debugging only).",
        json_schema_extra=_env("GEO_DB_ECHO"),
    )


class PathSettings(_Section):
    """Folders of reference data and of generated maps."""

    data_dir: Path = Field(PROJECT_ROOT / "data", description="Boundaries, BPS figures, tables.")
    maps_dir: Path = Field(PROJECT_ROOT / "maps", description="Generated maps and tables.")


class ImportSettings(_Section):
    """Imports, uploads and zip archives."""

    env_prefix = "IMPORT_"

    chunk_rows: int = Field(
        100_000, ge=1_000, description="Family rows read, checked and loaded per chunk on import."
    )
    upload_max_bytes: int = Field(
        512 * 1024**2,
        gt=0,
        description="Largest accepted upload body (bytes).",
        json_schema_extra=_env("GEO_UPLOAD_MAX_BYTES"),
    )
    archive_max_bytes: int = Field(
        2 * 1024**3,
        gt=0,
        description="Largest total uncompressed size of a zip archive (bytes).",
        json_schema_extra=_env("GEO_ARCHIVE_MAX_BYTES"),
    )
    archive_max_ratio: float = Field(
        100.0,
        gt=1,
        description="Largest uncompressed/compressed ratio of a zip (zip bombs).",
        json_schema_extra=_env("GEO_ARCHIVE_MAX_RATIO"),
    )
    archive_max_files: int = Field(
        1_000,
        gt=0,
        description="Most files accepted in a zip archive.",
        json_schema_extra=_env("GEO_ARCHIVE_MAX_FILES"),
    )


class AnalysisSettings(_Section):
    """Defaults of an analysis run (CLI, API and batch use the same ones)."""

    h3_resolution: int = Field(8, ge=6, le=10, description="Default H3 resolution of family cells.")
    max_distance_m: float = Field(
        250.0, gt=0, description="Location rule: nearest desa accepted within this many metres."
    )


class ApiSettings(_Section):
    """Authentication and disclosure control of the HTTP API."""

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
    response_cache_mb: int = Field(
        256, ge=0, description="Memory for rendered results of finished runs (MB; 0: off)."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    basic_auth: Literal["off", "https", "always"] = Field(
        "off",
        description="HTTP Basic for GIS clients (QGIS, GDAL): off, on HTTPS requests only, or "
        "always (plain HTTP too: only for a service bound to 127.0.0.1).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed "
        "(uvicorn forwarded_allow_ips); empty: nobody's, the client address is the peer's.",
    )
    keepalive_timeout_s: int = Field(
        5, ge=1, le=300, description="Idle keep-alive connections are closed after this."
    )
    body_read_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="A request body that stalls this long gets 408."
    )


class RateLimitSettings(_Section):
    """Limits per caller on the public citizen-report routes (per process, in memory)."""

    env_prefix = "RATE_"

    laporan_per_jam: int = Field(5, ge=1, description="Citizen reports per caller per hour.")
    laporan_per_hari: int = Field(20, ge=1, description="Citizen reports per caller per day.")
    cek_per_jam: int = Field(60, ge=1, description="Report status look-ups per caller per hour.")

    def laporan(self) -> dict[int, int]:
        """Windows of the report limiter (seconds: events)."""
        return {3600: self.laporan_per_jam, 86400: self.laporan_per_hari}

    def cek(self) -> dict[int, int]:
        """Windows of the status look-up limiter (seconds: events)."""
        return {3600: self.cek_per_jam}


class IdentitySettings(_Section):
    """Keys of pseudonyms and of the identity vault, retention of identities (issue 16).

    Keys are never stored in the database or in git: set them in the environment or
    point to files outside the repository (``geo-service identitas new-keys``).
    """

    env_prefix = "IDENTITAS_"

    pseudonym_key: SecretStr = Field(
        SecretStr(""),
        description="Secret of the keyed hash that makes id_keluarga from a KK number (>= 32 bytes).",
        json_schema_extra=_env("GEO_PSEUDONYM_KEY"),
    )
    pseudonym_key_file: Path | None = Field(
        None,
        description="File holding the pseudonym key (instead of GEO_PSEUDONYM_KEY).",
        json_schema_extra=_env("GEO_PSEUDONYM_KEY_FILE"),
    )
    vault_key: SecretStr = Field(
        SecretStr(""),
        description="Fernet key(s) of the identity vault, comma-separated: the first encrypts, "
        "the others only decrypt (key rotation).",
        json_schema_extra=_env("GEO_VAULT_KEY"),
    )
    vault_key_file: Path | None = Field(
        None,
        description="File holding the vault key(s), one per line (instead of GEO_VAULT_KEY).",
        json_schema_extra=_env("GEO_VAULT_KEY_FILE"),
    )
    retensi_bulan: int = Field(
        36,
        ge=1,
        description="Months identities of a periode are kept unless set per periode.",
    )


class Settings(BaseModel):
    """Every setting of the service, grouped by concern. ``Settings()`` reads no environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: Lang = Field("id", description="Language of messages, maps and exports.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    identitas: IdentitySettings = Field(default_factory=IdentitySettings)

    SECTIONS: ClassVar[dict[str, type[_Section]]] = {
        "database": DatabaseSettings,
        "paths": PathSettings,
        "imports": ImportSettings,
        "analysis": AnalysisSettings,
        "api": ApiSettings,
        "rate_limits": RateLimitSettings,
        "identitas": IdentitySettings,
    }

    @classmethod
    def env_names(cls) -> set[str]:
        """Every environment variable the service reads."""
        names = {"GEO_LANG"}
        for section in cls.SECTIONS.values():
            names |= set(section.env_names().values())
        return names

    @classmethod
    def from_env(cls, env_file: Path | str | None = ".env") -> Settings:
        """Settings from ``GEO_*`` variables and ``env_file`` (the environment wins)."""
        values: dict[str, Any] = {"lang": _read(cls, {"lang": "GEO_LANG"}, env_file)["lang"]}
        for key, section in cls.SECTIONS.items():
            values[key] = section(**_read(section, section.env_names(), env_file))
        return cls(**values)


def _read(model: type[BaseModel], names: dict[str, str], env_file: Path | str | None) -> dict:
    """Values of ``model``'s fields ``names`` from the environment (pydantic-settings parses)."""
    fields: dict[str, Any] = {}
    for name, env_name in names.items():
        field = model.model_fields[name]
        default = (
            Field(default_factory=field.default_factory, validation_alias=env_name)
            if field.default_factory is not None
            else Field(field.default, validation_alias=env_name)
        )
        fields[name] = (field.annotation, default)
    reader = type(
        f"_{model.__name__}Env",
        (BaseSettings,),
        {
            "__annotations__": {k: v[0] for k, v in fields.items()},
            **{k: v[1] for k, v in fields.items()},
            "model_config": SettingsConfigDict(env_file=env_file, extra="ignore"),
        },
    )
    return reader().model_dump()


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process from the environment (entry points only)."""
    return Settings.from_env()
