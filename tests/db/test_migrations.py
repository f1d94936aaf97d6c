"""Schema: migrations run on both backends, match the models, create spatial indexes, and
the audit log refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from geo_service.db import (
    DatabaseNotMigratedError,
    check_migrated,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from geo_service.db.migrate import downgrade, include_object
from geo_service.db.models import Base

GEOMETRY_TABLES = {
    "provinsi",
    "kabupaten",
    "kecamatan",
    "desa",
    "keluarga",
    "analisis_hasil",
    "uji_petik_hasil",
}


def test_empty_database_is_refused_with_a_clear_message(db_url, db_settings):
    engine = make_engine(db_url, settings=db_settings)
    with pytest.raises(DatabaseNotMigratedError) as err:
        check_migrated(engine)
    assert "geo-service db upgrade" in err.value.pesan
    assert "belum disiapkan" in err.value.pesan
    engine.dispose()


def test_upgrade_creates_every_table_and_reaches_head(db_engine):
    assert current_revision(db_engine) == head_revision()
    assert check_migrated(db_engine) == head_revision()
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db_engine.connect() as conn:
        roles = set(conn.execute(text("SELECT kode FROM peran")).scalars())
    assert roles == {"admin", "analis", "opd", "publik", "pendamping"}


def test_upgrade_twice_changes_nothing(db_engine):
    assert upgrade(db_engine) == head_revision()


def test_models_and_migrations_agree(db_engine):
    with db_engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(ctx, Base.metadata) == []


def test_spatial_indexes_exist(db_engine):
    with db_engine.connect() as conn:
        if db_engine.dialect.name == "sqlite":
            rows = conn.execute(
                text("SELECT lower(f_table_name), spatial_index_enabled FROM geometry_columns")
            ).all()
            indexed = {t for t, enabled in rows if enabled == 1}
            srids = set(conn.execute(text("SELECT srid FROM geometry_columns")).scalars())
        else:
            indexed = set(
                conn.execute(
                    text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
                ).scalars()
            )
            srids = set(conn.execute(text("SELECT srid FROM geometry_columns")).scalars())
    assert indexed == GEOMETRY_TABLES
    assert srids == {4326}


def test_audit_log_is_append_only(db_engine):
    with db_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (waktu, aksi, rincian) "
                "VALUES ('2025-03-01 10:00:00', 'ekspor', '{}')"
            )
        )
    for stmt in ["UPDATE audit_log SET aksi = 'lain'", "DELETE FROM audit_log"]:
        with pytest.raises(DBAPIError) as err, db_engine.begin() as conn:
            conn.execute(text(stmt))
        assert "append-only" in str(err.value)
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT aksi FROM audit_log")).scalars().all() == ["ekspor"]


def test_downgrade_to_base_then_check_refuses(db_engine):
    downgrade(db_engine, "base")
    assert current_revision(db_engine) is None
    with pytest.raises(DatabaseNotMigratedError):
        check_migrated(db_engine)
    assert upgrade(db_engine) == head_revision()


def test_schema_newer_than_code_is_refused(db_engine):
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseNotMigratedError) as err:
        check_migrated(db_engine)
    assert "lebih baru" in err.value.pesan
