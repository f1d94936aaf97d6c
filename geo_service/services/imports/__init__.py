"""Imports into the database: family snapshots (CSV or Parquet, streamed in chunks) and desa
boundaries (GeoJSON, GeoPackage, zipped Shapefile).

Both follow the same protocol:

1. the file's SHA-256 is computed; a file already imported (a finished batch of the same
   kind and hash) changes nothing and returns the earlier batch (``status="sudah_ada"``);
2. a batch row is committed as ``berjalan`` (running), with the process id and host;
3. everything the import writes happens in ONE transaction that also marks the batch
   ``selesai`` (done). Any failure rolls it back; the batch is then marked ``gagal``
   (failed) with the reason and the row report in a separate transaction. If the process
   or its connection dies so hard that it cannot say so itself, the next import (or
   ``geo-service db upgrade`` / ``runs list``) finds the orphaned batch with
   :func:`reap_interrupted_imports` and marks it failed.

Families: validated chunk by chunk with ``validate_keluarga`` (``row_offset``), duplicate
ids across chunks found by a first pass over the id column only, located with the contract's
rule (``locate_keluarga``, desa of the family's registered kabupaten) and given their H3
cell, then bulk-loaded (:class:`geo_service.db.bulk.BulkLoader`: binary COPY on PostgreSQL,
prepared executemany on SpatiaLite, indexes rebuilt once after a large load) on one worker
thread while the next chunk is validated and located. By default any rejected row fails the whole
file with the full report; ``partial=True`` stores the valid rows and quarantines the rest.
A snapshot (periode x kabupaten) is never duplicated: a second file for it is refused
unless ``replace=True``, which swaps it in the same transaction.

Where it lives: the use cases in :mod:`.keluarga` and :mod:`.batas`, a family chunk's
preparation (cross-chunk duplicates, quarantine rows, location) in :mod:`.keluarga_rows`,
the shared report and failure path in :mod:`.batch`; file reading in :mod:`geo_service.io.import_files`; the SQL in
:mod:`geo_service.db.repo.imports` (batches, advisory locks), :mod:`geo_service.db.repo.keluarga`
and :mod:`geo_service.db.repo.wilayah`.
"""

from geo_service.db.repo.imports import reap_interrupted_imports
from geo_service.io.hashing import sha256_file
from geo_service.io.import_files import BOUNDARY_SUFFIXES, read_boundary_file
from geo_service.services.imports.batas import import_boundaries
from geo_service.services.imports.batch import STATUS_SUDAH_ADA, ImportReport, ProgressFn
from geo_service.services.imports.keluarga import KELUARGA_COLUMNS, import_keluarga

__all__ = [
    "BOUNDARY_SUFFIXES",
    "KELUARGA_COLUMNS",
    "STATUS_SUDAH_ADA",
    "ImportReport",
    "ProgressFn",
    "import_boundaries",
    "import_keluarga",
    "read_boundary_file",
    "reap_interrupted_imports",
    "sha256_file",
]
