"""Database models (SQLAlchemy 2 typed mappings, GeoAlchemy2 geometry in EPSG:4326).

One set of models for both backends (SpatiaLite and PostGIS). The schema itself is
created by the Alembic migrations in ``migrations/``; a test checks that the two agree.
One module per topic (``base``, ``wilayah``, ``impor``, ``keluarga``, ``analisis``,
``lapangan``, ``akses``, ``identitas``); every name is importable from here.

Tables
------
Wilayah: ``provinsi``, ``kabupaten``, ``kecamatan``, ``desa`` (natural Kemendagri codes as
keys) and ``batas_versi`` (the boundary version each desa came from).
Families: ``keluarga`` (one row per family per periode, with its point, assigned desa, H3
cell and flags) and ``keluarga_snapshot`` (which import holds each periode x kabupaten).
Imports: ``impor_batch`` (file hash, kind, status, counts, summary report),
``impor_masalah`` (the full row report) and ``karantina`` (rejected rows kept on --partial).
Analysis: ``analisis_run`` (parameters, seed, version, time, status), ``analisis_tabel``
(one per stored result frame) and ``analisis_hasil`` (its rows: key numbers as columns,
the whole row as JSON, geometry).
Ground checks: ``uji_petik_sampel``, ``uji_petik_item``, ``uji_petik_hasil`` (one result per
sample and family); citizen reports: ``laporan_warga`` and ``laporan_warga_foto``.
Access: ``peran``, ``pengguna``, ``pengguna_kabupaten``, ``kunci_api``.
``audit_log``: append-only (a trigger refuses UPDATE and DELETE on both backends).
"""

from __future__ import annotations

from geo_service.db.models.akses import (
    AuditLog,
    KunciApi,
    Pengguna,
    PenggunaKabupaten,
    Peran,
)
from geo_service.db.models.analisis import (
    AnalisisHasil,
    AnalisisRun,
    AnalisisTabel,
)
from geo_service.db.models.base import (
    BATCH_BERJALAN,
    BATCH_DIGANTI,
    BATCH_GAGAL,
    BATCH_SELESAI,
    BATCH_STATUSES,
    JENIS_BATAS,
    JENIS_KELUARGA,
    JENIS_UJI_PETIK,
    NAMING_CONVENTION,
    ROLES,
    RUN_BERJALAN,
    RUN_GAGAL,
    RUN_SELESAI,
    SRID,
    UJI_PETIK_STATUSES,
    Base,
    BigId,
    JSONType,
    geom_type,
    utcnow,
)
from geo_service.db.models.identitas import (
    IdentitasDihapus,
    IdentitasKeluarga,
    IdentitasKunci,
    IdentitasPeriode,
    IdentitasRetensi,
    PendampingDesa,
)
from geo_service.db.models.impor import (
    ImporBatch,
    ImporMasalah,
    Karantina,
)
from geo_service.db.models.keluarga import (
    UNIQUE_KELUARGA,
    Keluarga,
    KeluargaSnapshot,
)
from geo_service.db.models.lapangan import (
    LaporanWarga,
    LaporanWargaFoto,
    UjiPetikHasil,
    UjiPetikItem,
    UjiPetikSampel,
)
from geo_service.db.models.wilayah import (
    BatasVersi,
    Desa,
    IndeksBatas,
    Kabupaten,
    Kecamatan,
    Provinsi,
)

__all__ = [
    "BigId",
    "JSONType",
    "AnalisisHasil",
    "AnalisisRun",
    "AnalisisTabel",
    "AuditLog",
    "BATCH_BERJALAN",
    "BATCH_DIGANTI",
    "BATCH_GAGAL",
    "BATCH_SELESAI",
    "BATCH_STATUSES",
    "Base",
    "BatasVersi",
    "Desa",
    "IdentitasDihapus",
    "IdentitasKeluarga",
    "IdentitasKunci",
    "IdentitasPeriode",
    "IdentitasRetensi",
    "ImporBatch",
    "ImporMasalah",
    "IndeksBatas",
    "JENIS_BATAS",
    "JENIS_KELUARGA",
    "JENIS_UJI_PETIK",
    "Kabupaten",
    "Karantina",
    "Kecamatan",
    "Keluarga",
    "UNIQUE_KELUARGA",
    "KeluargaSnapshot",
    "KunciApi",
    "LaporanWarga",
    "LaporanWargaFoto",
    "NAMING_CONVENTION",
    "PendampingDesa",
    "Pengguna",
    "PenggunaKabupaten",
    "Peran",
    "Provinsi",
    "ROLES",
    "RUN_BERJALAN",
    "RUN_GAGAL",
    "RUN_SELESAI",
    "SRID",
    "UJI_PETIK_STATUSES",
    "UjiPetikHasil",
    "UjiPetikItem",
    "UjiPetikSampel",
    "geom_type",
    "utcnow",
]
