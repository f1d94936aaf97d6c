"""Fieldwork files: sample lists for officers (XLSX, CSV, offline GeoPackage), returned
results (CSV, XLSX or the GeoPackage), and the file-based sample store.

Exports
-------
Per desa or per officer (``petugas``), three files with the same rows and columns
(``FIELD_DOCS``, in that order):

- ``uji_petik_<grup>.xlsx``: sheet ``daftar`` (frozen header, a drop-down list for
  ``status``, result columns shaded), sheet ``petunjuk`` (every column explained), sheet
  ``info`` (sample id, seed, periode);
- ``uji_petik_<grup>.csv``: UTF-8 with BOM (Excel shows the characters right);
- ``uji_petik_<grup>.gpkg``: an offline GeoPackage for QField or other GDAL-based field apps:
  layer ``keluarga_sampel`` (points; families without a geotag have an empty geometry and
  ``ada_geotag = 0``), layer ``batas_desa`` (desa outlines), attribute tables
  ``keterangan_kolom`` (column documentation) and ``info_sampel``. Column descriptions are
  also written to ``gpkg_data_columns`` and ``status`` gets an enum constraint
  (``gpkg_data_column_constraints``, GeoPackage schema extension), which GDAL reads as a
  coded field domain so QGIS/QField can show a drop-down.

Officers fill ``status``, ``petugas``, ``tanggal`` and ``catatan``, correct contract fields
in place (``jumlah_art``, programme and deprivation flags, ``kode_desa`` when moved) and give
a new geotag in ``lat_baru``/``lon_baru`` (spreadsheets) or by moving/capturing the point
(GeoPackage).

Imports
-------
:func:`import_field_results` reads any of the three formats, checks every row
(:func:`~geo_service.analysis.uji_petik.validate_field_results`), and by default imports
nothing when any row has a problem; with ``partial=True`` the valid rows are imported and the
others reported. Results are merged per family (idempotent: the same file twice changes
nothing).

Store
-----
:class:`SampleStore` keeps one sample in a folder: ``sampel.json`` (id, kabupaten, periode,
parameters), ``daftar.parquet``, ``design.parquet``, ``hasil.parquet`` and ``impor.jsonl``
(one line per import). Every write goes to a temporary file first and replaces the old one
atomically. This is the store of the file-based CLI (``geo-service uji-petik``); the service
keeps samples and results in the database (:mod:`geo_service.db.repo.uji_petik`, which gives
back the same frames).
"""

from geo_service.io.uji_petik.field_files import (
    EXPORT_COLUMNS,
    FIELD_DOCS,
    GPKG_COLUMNS,
    LAYER_DESA,
    LAYER_DOCS,
    LAYER_INFO,
    LAYER_POINTS,
    RESULT_FILL,
    export_frame,
    export_sample,
    field_docs,
    write_sample_gpkg,
    write_sample_xlsx,
)
from geo_service.io.uji_petik.store import (
    ImportOutcome,
    SampleStore,
    import_field_results,
    read_field_results,
)

__all__ = [
    "LAYER_POINTS",
    "LAYER_DESA",
    "LAYER_DOCS",
    "LAYER_INFO",
    "FIELD_DOCS",
    "EXPORT_COLUMNS",
    "GPKG_COLUMNS",
    "RESULT_FILL",
    "field_docs",
    "export_frame",
    "export_sample",
    "write_sample_xlsx",
    "write_sample_gpkg",
    "read_field_results",
    "SampleStore",
    "ImportOutcome",
    "import_field_results",
]
