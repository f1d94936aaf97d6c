"""Ground checks (uji petik): who to visit, the random sample, field results and error rates.

A verification list has two parts:

1. **Flagged families** (``jenis = "bendera"``): every family with a reason to be checked —
   ``lokasi_tidak_sesuai`` (geotag in another desa than registered), ``di_luar_batas``
   (geotag outside every desa), ``dugaan_exclusion`` (extreme poor without PKH, BPNT or
   PBI-JK), ``dugaan_inclusion`` (desil 6-10 receiving PKH) and ``laporan_warga`` (a citizen
   report names the family). Ordered by priority (below) and capped. Flagged families are
   chosen on purpose, so they say nothing about how often records are wrong in general.
2. **A stratified random sample** (``jenis = "acak"``) per desa, strata by desil group
   (``desil_1``, ``desil_2_4``, ``desil_5_10``). Its inclusion probabilities are known
   (``bobot`` = stratum families / sampled), so the share of wrong records can be estimated
   without bias. A family drawn at random that is also flagged stays ``acak`` (with its
   flags in ``alasan``): the random part is never thinned by the flagged part.

Everything is attributed to the family's **registered** desa (``kode_desa``): the desa
operator and facilitator who keep that desa's register do the visit.

Priority order of flagged families: families in a pocket first, then by the priority rank of
their desa (1 = first), then by pocket number, then by reason (``FLAG_ORDER``), then more
reasons first, then ``id_keluarga`` (so the order never depends on row order).

The random draw is reproducible: each desa draws from its own generator seeded by
``(seed, desa code)``, from its families sorted by ``id_keluarga``; adding or removing other
desa, or shuffling rows, does not change a desa's sample.

Error-rate estimation (:func:`estimate_error_rate`) uses only the random part: a stratified
estimator of a proportion (strata = desa x desil group) with finite population correction,
and a Wilson interval on the effective sample size (Kish design effect). See the function.
"""

from geo_service.analysis.uji_petik.columns import (
    FLAG_ORDER,
    FLAG_REASONS,
    HASIL_REASONS,
    JENIS_ACAK,
    JENIS_BENDERA,
    LOCKED_COLUMNS,
    PROBLEM_COLUMNS,
    RESULT_COLUMNS,
    SAMPLE_COLUMNS,
    STATUS_HASIL,
    STATUS_SALAH,
    STATUSES,
    STRATA_DESIL,
    UPDATABLE_COLUMNS,
    flag_column,
    flag_text,
    strata_of,
)
from geo_service.analysis.uji_petik.estimates import (
    error_rate_text,
    estimate_error_rate,
    t_quantile,
    wilson_interval,
)
from geo_service.analysis.uji_petik.field_results import (
    FieldResultCheck,
    MergeSummary,
    _same,
    merge_results,
    validate_field_results,
)
from geo_service.analysis.uji_petik.flags import (
    FlaggedList,
    flag_families,
    flagged_list,
    pocket_of_families,
)
from geo_service.analysis.uji_petik.progress import (
    sample_progress,
)
from geo_service.analysis.uji_petik.sample import (
    GroundCheckSample,
    SampleParams,
    allocate,
    assign_officers,
    build_sample,
    draw_random_sample,
    sample_id,
)

__all__ = [
    "STRATA_DESIL",
    "JENIS_ACAK",
    "JENIS_BENDERA",
    "FLAG_REASONS",
    "FLAG_ORDER",
    "STATUS_HASIL",
    "STATUSES",
    "STATUS_SALAH",
    "UPDATABLE_COLUMNS",
    "LOCKED_COLUMNS",
    "RESULT_COLUMNS",
    "HASIL_REASONS",
    "flag_text",
    "flag_column",
    "strata_of",
    "SAMPLE_COLUMNS",
    "PROBLEM_COLUMNS",
    "flag_families",
    "FlaggedList",
    "flagged_list",
    "pocket_of_families",
    "allocate",
    "draw_random_sample",
    "SampleParams",
    "GroundCheckSample",
    "build_sample",
    "assign_officers",
    "sample_id",
    "FieldResultCheck",
    "validate_field_results",
    "MergeSummary",
    "merge_results",
    "_same",
    "sample_progress",
    "wilson_interval",
    "t_quantile",
    "estimate_error_rate",
    "error_rate_text",
]
