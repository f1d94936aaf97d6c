"""Schema migrations (Alembic, shipped inside the package) and the start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine

from geo_service.errors import GeoServiceError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseNotMigratedError(GeoServiceError):
    """The database schema is missing or not at the version this code expects."""

    code = "basis_data_belum_dimigrasi"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate filter: leave the spatial extension's own tables (spatial_ref_sys,
    SpatiaLite's idx_* and metadata tables) alone, then GeoAlchemy2's rules."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # a package always ships its migrations
        raise RuntimeError(f"no migration found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision`` in one transaction; return the new revision."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def downgrade(engine: Engine, revision: str) -> str | None:
    """Undo migrations down to ``revision`` (``"base"`` empties the database)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return current_revision(engine)


def check_migrated(engine: Engine) -> str:
    """Refuse to work with a database that is not at the current schema version.

    Returns
    -------
    str
        The revision (equal to :func:`head_revision`).

    Raises
    ------
    DatabaseNotMigratedError
        Empty database, an older schema, or a schema newer than this code.
    """
    head = head_revision()
    current = current_revision(engine)
    hint_id = "Jalankan: geo-service db upgrade"
    hint_en = "Run: geo-service db upgrade"
    if current is None:
        raise DatabaseNotMigratedError(
            f"Basis data belum disiapkan (tabel belum dibuat). {hint_id}",
            f"The database has not been set up (no tables yet). {hint_en}",
        )
    if current != head:
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current in known:
            raise DatabaseNotMigratedError(
                f"Skema basis data belum mutakhir (versi {current}, seharusnya {head}). {hint_id}",
                f"The database schema is out of date (at {current}, expected {head}). {hint_en}",
            )
        raise DatabaseNotMigratedError(
            f"Skema basis data ({current}) lebih baru dari aplikasi ini ({head}); "
            "perbarui geo_service.",
            f"The database schema ({current}) is newer than this application ({head}); "
            "upgrade geo_service.",
        )
    return current
