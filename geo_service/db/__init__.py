"""Database: engine and sessions for SpatiaLite (default) and PostGIS, models, migrations,
repository functions. See :mod:`geo_service.db.repo` for the queries."""

from geo_service.db.engine import (
    DatabaseError,
    backend,
    database_url,
    make_engine,
    make_session_factory,
    session_scope,
)
from geo_service.db.migrate import (
    DatabaseNotMigratedError,
    check_migrated,
    current_revision,
    head_revision,
    upgrade,
)

__all__ = [
    "DatabaseError",
    "DatabaseNotMigratedError",
    "backend",
    "check_migrated",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "upgrade",
]
