"""The one settings object (environment variables with the ``GEO_`` prefix, or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Service-wide settings; build one explicitly in tests (``Settings(_env_file=None, ...)``)."""

    model_config = SettingsConfigDict(env_prefix="GEO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(PROJECT_ROOT / "data", description="Boundaries, BPS figures, tables.")
    maps_dir: Path = Field(PROJECT_ROOT / "maps", description="Generated maps and tables.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; unset means the SpatiaLite file under data_dir."
    )
    lang: Literal["id", "en"] = Field("id", description="Language of messages, maps and exports.")
    h3_resolution: int = Field(8, ge=6, le=10, description="Default H3 resolution of family cells.")
    max_distance_m: float = Field(
        250.0, gt=0, description="Location rule: nearest desa accepted within this many metres."
    )
    spatialite_library: str = Field(
        "mod_spatialite",
        description="SpatiaLite module loaded into SQLite (name on the library path or full path).",
    )
    db_echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    import_chunk_rows: int = Field(
        100_000, ge=1_000, description="Family rows read, checked and loaded per chunk on import."
    )
    archive_max_bytes: int = Field(
        2 * 1024**3, gt=0, description="Largest total uncompressed size of a zip archive (bytes)."
    )
    archive_max_ratio: float = Field(
        100.0, gt=1, description="Largest uncompressed/compressed ratio of a zip (zip bombs)."
    )
    archive_max_files: int = Field(1_000, gt=0, description="Most files accepted in a zip archive.")


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process from the environment."""
    return Settings()
