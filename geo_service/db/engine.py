"""Engines and sessions for both backends: a SpatiaLite file (default) or PostGIS.

``GEO_DATABASE_URL`` unset means ``sqlite:///<data_dir>/geo_service.sqlite`` with the
SpatiaLite module loaded on every connection; ``postgresql+psycopg://...`` means PostGIS.
The rest of the package does not care which one it talks to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Literal

# Load the wheels' own GDAL, PROJ and GEOS before SpatiaLite: SQLite loads extensions
# with RTLD_GLOBAL, so SpatiaLite's system libsqlite3/PROJ/GEOS would otherwise be
# bound by a GDAL loaded later (segfault when writing a GeoPackage afterwards).
import pyogrio  # noqa: F401
import pyproj  # noqa: F401
import shapely  # noqa: F401
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from geo_service.errors import GeoServiceError
from geo_service.settings import Settings

SQLITE_FILE = "geo_service.sqlite"
SQLITE_PAGE_SIZE = 16384  # bytes, for new database files
Backend = Literal["sqlite", "postgresql"]


class DatabaseError(GeoServiceError):
    """The database cannot be opened or used (driver, extension, connection)."""

    code = "basis_data_tidak_tersedia"


def database_url(settings: Settings) -> str:
    """The configured URL, or the default SpatiaLite file under ``data_dir``."""
    if settings.database.url:
        url = settings.database.url
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{Path(settings.paths.data_dir) / SQLITE_FILE}"


def backend(bind: Engine | Connection | Session) -> Backend:
    """``"sqlite"`` or ``"postgresql"``."""
    name = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"Basis data {name} tidak didukung (SpatiaLite atau PostGIS).",
            f"Database {name} is not supported (SpatiaLite or PostGIS).",
        )
    return name  # type: ignore[return-value]


def sqlite_module() -> ModuleType:
    """The DB-API module for SQLite: the standard one if it can load extensions, else
    ``pysqlite3`` (package ``pysqlite3-binary``)."""
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        # lazy: fallback driver, only where sqlite3 cannot load extensions
        from pysqlite3 import dbapi2
    except ImportError as exc:
        raise DatabaseError(
            "Python ini tidak bisa memuat ekstensi SQLite (SpatiaLite). Pasang paket "
            "pysqlite3-binary: pip install pysqlite3-binary",
            "This Python cannot load SQLite extensions (SpatiaLite). Install "
            "pysqlite3-binary: pip install pysqlite3-binary",
        ) from exc
    return dbapi2


def make_engine(url: str | None = None, *, settings: Settings, echo: bool | None = None) -> Engine:
    """An engine for ``url`` (default: from settings) with the spatial extension ready.

    SQLite: SpatiaLite loaded and its metadata initialised on every new connection, foreign
    keys on, WAL journal, 30 s busy timeout, and real transactions (``BEGIN`` emitted by
    SQLAlchemy; ``Connection.execution_options(sqlite_begin="IMMEDIATE")`` takes the write
    lock at once, as long imports do).
    """
    url = url or database_url(settings)
    echo = settings.database.echo if echo is None else echo
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings.database.spatialite_library, echo)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    raise DatabaseError(
        f"Basis data {parsed.get_backend_name()} tidak didukung (SpatiaLite atau PostGIS).",
        f"Database {parsed.get_backend_name()} is not supported.",
    )


def _sqlite_engine(url: str, spatialite: str, echo: bool) -> Engine:
    database = make_url(url).database
    in_memory = database in (None, "", ":memory:")
    if database and not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        module=sqlite_module(),
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see "begin")
        try:
            dbapi_conn.enable_load_extension(True)
            dbapi_conn.load_extension(spatialite)
            dbapi_conn.enable_load_extension(False)
        except Exception as exc:  # noqa: BLE001 - any failure means no SpatiaLite
            raise DatabaseError(
                f"Modul SpatiaLite '{spatialite}' tidak dapat dimuat. Pasang paket Debian "
                "libsqlite3-mod-spatialite atau atur GEO_SPATIALITE_LIBRARY.",
                f"SpatiaLite module '{spatialite}' cannot be loaded. Install Debian "
                "libsqlite3-mod-spatialite or set GEO_SPATIALITE_LIBRARY.",
                detail=str(exc),
            ) from exc
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA cache_size = -65536")  # 64 MiB: bulk loads touch big indexes
        if not in_memory:
            # A new file gets 16 KiB pages (SQLite's default is 4 KiB): a bulk load of 1M
            # families ~0.8 s less CPU (fewer pages to split, log and checkpoint). Only a
            # file without any table yet takes it (before WAL mode is set); an existing file
            # keeps its page size, so this is a no-op for every database made before.
            cur.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back otherwise."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
