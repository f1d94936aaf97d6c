"""Repository of ground checks (uji petik), on either backend (citizen reports:
:mod:`geo_service.db.repo.laporan_warga`).

Same rules as :mod:`geo_service.db.repo`: every function that returns data takes
``scope``; a sample id outside it raises :class:`~geo_service.errors.NotFoundError` (ids do
not reveal what exists), a kabupaten outside it :class:`~geo_service.errors.AccessDeniedError`;
functions flush but never commit (the caller owns the transaction).

Storage of a sample
-------------------
``uji_petik_sampel``: kabupaten, periode, seed, the run its priorities came from, and in
``parameter`` the :class:`~geo_service.analysis.uji_petik.SampleParams` (``sampel``), the
design table (``design``, desa x stratum sizes of the random part), the columns and dtypes
of the list (``kolom``), the flagged counts and the stable sample code (``kode``, as
:func:`~geo_service.analysis.uji_petik.sample_id` gives it). ``uji_petik_item``: one row
per family (typed columns plus the rest of the list's row in ``nilai``).
:func:`load_sample` gives back the frames :class:`~geo_service.io.uji_petik.SampleStore`
gives for the same sample.

Field results
-------------
``uji_petik_hasil`` holds one row per sample and family (unique): the latest result
(:func:`~geo_service.analysis.uji_petik.merge_results` decides). :func:`import_results`
checks a returned file's rows against the stored sample and, like the other imports, keeps
an ``impor_batch`` of kind ``uji_petik`` with the file's SHA-256: the same file again changes
nothing (``status="sudah_ada"``); by default any problem refuses the whole file (a ``gagal``
batch with the full row report in ``impor_masalah``), ``partial=True`` imports the valid rows.
"""

from geo_service.db.repo.uji_petik.hasil import (
    ResultImport,
    error_rates,
    import_results,
    load_results,
    sample_progress,
)
from geo_service.db.repo.uji_petik.sampel import (
    ITEM_COLUMNS,
    RESULT_FRAME_COLUMNS,
    STATUS_SUDAH_ADA,
    SampleInfo,
    get_sample_info,
    list_samples,
    load_sample,
    save_sample,
)

__all__ = [
    "STATUS_SUDAH_ADA",
    "ITEM_COLUMNS",
    "RESULT_FRAME_COLUMNS",
    "SampleInfo",
    "save_sample",
    "get_sample_info",
    "list_samples",
    "load_sample",
    "load_results",
    "ResultImport",
    "import_results",
    "sample_progress",
    "error_rates",
]
