"""Repository: every query the analysis, the CLI and the API need, on either backend.

Rules kept here:

- every function that returns data takes ``scope`` (the kabupaten the caller may see) as
  a required keyword; asking for a kabupaten outside it raises
  :class:`~geo_service.errors.AccessDeniedError`, asking for a run or batch by id outside
  it raises :class:`~geo_service.errors.NotFoundError` (ids do not reveal what exists);
- only domain errors, never HTTP errors;
- frames come back in the shapes the analysis uses: desa as from
  :func:`~geo_service.io.boundaries.read_boundaries`, families as
  ``validate_keluarga(...).valid``.

Functions take a :class:`~sqlalchemy.orm.Session` (a :class:`~sqlalchemy.Connection`
works too); they flush but never commit, so the caller owns the transaction.
"""

from geo_service.db.repo.audit import (
    append_audit,
    audit_entries,
)
from geo_service.db.repo.common import (
    Bind,
    Scope,
    _jsonable,
    _py,
    _restore,
    _row_json,
)
from geo_service.db.repo.imports import (
    batch_problems,
    get_batch,
    list_batches,
    quarantined_rows,
)
from geo_service.db.repo.keluarga import (
    LOCATION_COLUMNS,
    VALID_COLUMNS,
    AnalysisInputs,
    analysis_inputs,
    keluarga_frame,
    list_snapshots,
)
from geo_service.db.repo.runs import (
    RunInfo,
    StoredRun,
    delete_run,
    fail_run,
    finish_run,
    get_run,
    list_runs,
    load_run,
    load_run_table,
    save_run,
    start_run,
)
from geo_service.db.repo.users import (
    create_api_key,
    create_user,
    get_user,
    revoke_api_key,
    user_for_api_key,
    user_scope,
)
from geo_service.db.repo.wilayah import (
    boundary_index,
    desa_codes,
    desa_of_kabupaten,
    kabupaten_outline,
    kecamatan_of_kabupaten,
    list_kabupaten,
    store_boundary_index,
)

__all__ = [
    "Bind",
    "Scope",
    "_py",
    "_jsonable",
    "_row_json",
    "_restore",
    "list_kabupaten",
    "desa_of_kabupaten",
    "kecamatan_of_kabupaten",
    "kabupaten_outline",
    "desa_codes",
    "boundary_index",
    "store_boundary_index",
    "VALID_COLUMNS",
    "LOCATION_COLUMNS",
    "keluarga_frame",
    "list_snapshots",
    "AnalysisInputs",
    "analysis_inputs",
    "RunInfo",
    "StoredRun",
    "start_run",
    "finish_run",
    "fail_run",
    "save_run",
    "list_runs",
    "get_run",
    "load_run",
    "load_run_table",
    "delete_run",
    "list_batches",
    "get_batch",
    "batch_problems",
    "quarantined_rows",
    "append_audit",
    "audit_entries",
    "create_user",
    "get_user",
    "user_scope",
    "create_api_key",
    "user_for_api_key",
    "revoke_api_key",
]
