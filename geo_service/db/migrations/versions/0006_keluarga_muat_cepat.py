"""Families load at bulk speed: the natural key as a separate unique index, the batch
reference checked per statement instead of by a per-row foreign key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

- ``uq_keluarga_periode_kode_kab_id_keluarga`` (periode, kode_kab, id_keluarga) becomes a
  unique INDEX created on its own instead of a table constraint, so a large load can drop
  it and build it once after the rows inside its transaction (``db.bulk.BulkLoader``,
  which lists any duplicates before rebuilding). On SQLite the inline constraint's
  autoindex could not be dropped at all.
- The foreign key ``keluarga.batch_id -> impor_batch.id`` is replaced by checks that run
  once per statement. PostgreSQL: statement triggers over the transition tables (insert
  and update of ``keluarga``: every batch id named exists and is locked FOR KEY SHARE, as
  the foreign key did, but once per statement instead of once per row; delete of
  ``impor_batch`` rows still referenced, or change of their id, is refused). SQLite has
  only row triggers: ``keluarga_batch_ada`` checks each inserted row (a bulk load drops it
  inside its transaction and checks the loaded rows in one query before recreating it),
  the others guard updates and deletes.

SQLite cannot drop a table constraint, so ``keluarga`` is rebuilt there (SpatiaLite
geometry registration, R*Tree and indexes recreated); on PostgreSQL it is plain DDL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UQ = "uq_keluarga_periode_kode_kab_id_keluarga"
FK = "fk_keluarga_batch_id_impor_batch"
GONE = "keluarga.batch_id merujuk impor_batch yang tidak ada"
IN_USE = "impor_batch masih dirujuk keluarga; tidak dapat dihapus atau diubah id-nya"

PG_UP = [
    f"ALTER TABLE keluarga DROP CONSTRAINT {UQ}",
    f"CREATE UNIQUE INDEX {UQ} ON keluarga (periode, kode_kab, id_keluarga)",
    f"ALTER TABLE keluarga DROP CONSTRAINT {FK}",
    f"""CREATE FUNCTION keluarga_batch_ada() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        ids integer[];
        hilang integer;
    BEGIN
        SELECT array_agg(DISTINCT batch_id) INTO ids FROM baru;
        IF ids IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM 1 FROM impor_batch WHERE id = ANY (ids) FOR KEY SHARE;
        SELECT min(x) INTO hilang FROM unnest(ids) AS x
            WHERE NOT EXISTS (SELECT 1 FROM impor_batch WHERE id = x);
        IF hilang IS NOT NULL THEN
            RAISE EXCEPTION '{GONE} (%)', hilang USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER keluarga_batch_insert AFTER INSERT ON keluarga
    REFERENCING NEW TABLE AS baru FOR EACH STATEMENT EXECUTE FUNCTION keluarga_batch_ada()""",
    """CREATE TRIGGER keluarga_batch_update AFTER UPDATE ON keluarga
    REFERENCING NEW TABLE AS baru FOR EACH STATEMENT EXECUTE FUNCTION keluarga_batch_ada()""",
    f"""CREATE FUNCTION impor_batch_dipakai() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        dipakai integer;
    BEGIN
        SELECT min(l.id) INTO dipakai FROM lama AS l
            WHERE EXISTS (SELECT 1 FROM keluarga AS k WHERE k.batch_id = l.id);
        IF dipakai IS NOT NULL THEN
            RAISE EXCEPTION '{IN_USE} (%)', dipakai USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER impor_batch_delete AFTER DELETE ON impor_batch
    REFERENCING OLD TABLE AS lama FOR EACH STATEMENT EXECUTE FUNCTION impor_batch_dipakai()""",
    f"""CREATE FUNCTION impor_batch_id_tetap() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM keluarga WHERE batch_id = OLD.id) THEN
            RAISE EXCEPTION '{IN_USE} (%)', OLD.id USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER impor_batch_update_id BEFORE UPDATE OF id ON impor_batch
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION impor_batch_id_tetap()""",
]
PG_DOWN = [
    "DROP TRIGGER impor_batch_update_id ON impor_batch",
    "DROP FUNCTION impor_batch_id_tetap()",
    "DROP TRIGGER impor_batch_delete ON impor_batch",
    "DROP FUNCTION impor_batch_dipakai()",
    "DROP TRIGGER keluarga_batch_update ON keluarga",
    "DROP TRIGGER keluarga_batch_insert ON keluarga",
    "DROP FUNCTION keluarga_batch_ada()",
    f"ALTER TABLE keluarga ADD CONSTRAINT {FK} FOREIGN KEY (batch_id) REFERENCES impor_batch (id)",
    f"DROP INDEX {UQ}",
    f"ALTER TABLE keluarga ADD CONSTRAINT {UQ} UNIQUE (periode, kode_kab, id_keluarga)",
]

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER keluarga_batch_ada BEFORE INSERT ON keluarga FOR EACH ROW
    WHEN NOT EXISTS (SELECT 1 FROM impor_batch WHERE id = NEW.batch_id)
    BEGIN SELECT RAISE(ABORT, '{GONE}'); END""",
    f"""CREATE TRIGGER keluarga_batch_ubah BEFORE UPDATE OF batch_id ON keluarga FOR EACH ROW
    WHEN NOT EXISTS (SELECT 1 FROM impor_batch WHERE id = NEW.batch_id)
    BEGIN SELECT RAISE(ABORT, '{GONE}'); END""",
    f"""CREATE TRIGGER impor_batch_dipakai BEFORE DELETE ON impor_batch FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM keluarga WHERE batch_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, '{IN_USE}'); END""",
    f"""CREATE TRIGGER impor_batch_id_tetap BEFORE UPDATE OF id ON impor_batch FOR EACH ROW
    WHEN OLD.id <> NEW.id AND EXISTS (SELECT 1 FROM keluarga WHERE batch_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, '{IN_USE}'); END""",
]
SQLITE_TRIGGER_NAMES = [
    "keluarga_batch_ada",
    "keluarga_batch_ubah",
    "impor_batch_dipakai",
    "impor_batch_id_tetap",
]
SQLITE_INDEXES = [
    "CREATE INDEX ix_keluarga_batch_id ON keluarga (batch_id)",
    "CREATE INDEX ix_keluarga_kode_desa_lokasi ON keluarga (kode_desa_lokasi)",
]
FK_LINE = f"CONSTRAINT {FK} FOREIGN KEY(batch_id) REFERENCES impor_batch (id)"
UQ_LINE = f"CONSTRAINT {UQ} UNIQUE (periode, kode_kab, id_keluarga)"


def _rebuild_sqlite(change) -> None:
    """Rebuild ``keluarga`` with ``change(create_sql)`` as its new definition (SQLite's
    documented way to drop or add a table constraint), keeping rows, ids, geometry
    registration, R*Tree and indexes."""
    conn = op.get_bind()
    old_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'keluarga'"
    ).scalar_one()
    new_sql = change(old_sql)
    new_sql, n = re.subn(r'^CREATE TABLE "?keluarga"?', "CREATE TABLE keluarga_baru", new_sql)
    if n != 1:
        raise RuntimeError("keluarga: unexpected table definition")
    cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(keluarga)").all()]
    quoted = ", ".join(f'"{c}"' for c in cols)
    conn.exec_driver_sql("SELECT DisableSpatialIndex('keluarga', 'geom')")
    conn.exec_driver_sql('DROP TABLE IF EXISTS "idx_keluarga_geom"')
    conn.exec_driver_sql("SELECT DiscardGeometryColumn('keluarga', 'geom')")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_keluarga_batch_id")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_keluarga_kode_desa_lokasi")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {UQ}")
    conn.exec_driver_sql(new_sql)
    conn.exec_driver_sql(f"INSERT INTO keluarga_baru ({quoted}) SELECT {quoted} FROM keluarga")
    conn.exec_driver_sql("DROP TABLE keluarga")
    conn.exec_driver_sql("ALTER TABLE keluarga_baru RENAME TO keluarga")
    ok = conn.exec_driver_sql(
        "SELECT RecoverGeometryColumn('keluarga', 'geom', 4326, 'POINT', 'XY')"
    ).scalar()
    if ok != 1:
        raise RuntimeError("RecoverGeometryColumn('keluarga', 'geom') failed")
    conn.exec_driver_sql("SELECT CreateSpatialIndex('keluarga', 'geom')")
    for stmt in SQLITE_INDEXES:
        conn.exec_driver_sql(stmt)


def _drop_lines(sql: str) -> str:
    for line in (FK_LINE, UQ_LINE):
        if line not in sql:
            raise RuntimeError(f"keluarga: expected '{line}' in its definition")
        sql = re.sub(r",\s*" + re.escape(line), "", sql)
    return sql


def _add_lines(sql: str) -> str:
    head, tail = sql.rsplit(")", 1)
    return f"{head.rstrip()}, \n\t{FK_LINE}, \n\t{UQ_LINE}\n){tail}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in PG_UP:
            op.execute(stmt)
        return
    _rebuild_sqlite(_drop_lines)
    op.execute(f"CREATE UNIQUE INDEX {UQ} ON keluarga (periode, kode_kab, id_keluarga)")
    for stmt in SQLITE_TRIGGERS:
        op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for stmt in PG_DOWN:
            op.execute(stmt)
        return
    for name in SQLITE_TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _rebuild_sqlite(_add_lines)
