"""Alembic environment: runs on the connection given by ``geo_service.db.migrate``.

Used by ``geo-service db upgrade`` (and tests) through ``config.attributes["connection"]``;
``alembic -c geo_service/db/migrations/alembic.ini ...`` also works for developers and then
opens the database of the settings (or ``-x url=...``).
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from geo_service.db.engine import make_engine
from geo_service.db.migrate import include_object
from geo_service.db.models import Base
from geo_service.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    url = context.get_x_argument(as_dictionary=True).get("url")
    engine = make_engine(url, settings=get_settings())  # alembic is an entry point
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
