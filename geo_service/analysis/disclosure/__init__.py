"""Small-cell suppression for aggregates shown to non-privileged roles (pure).

Rule
----
A published count ``c`` or its complement ``total - c`` must never lie in ``1..k-1``
(``k = 10`` by default). Counts come in *families* of a part and its whole:
``n_keluarga_ekstrem`` of ``n_keluarga`` and ``n_jiwa_ekstrem`` of ``n_jiwa``.

1. **Primary suppression**: a row whose part or complement (in any family) lies in
   ``1..k-1`` is hidden: all its counts and its rate become missing.
2. **Complementary suppression**: published totals let an attacker recover hidden values by
   subtraction. For a two-level table (areas in groups, e.g. desa in kecamatan, with the
   group totals and one grand total published) every set of hidden values that can be
   recovered as a sum -- the hidden areas of a published group, the hidden areas inside all
   hidden groups together, the hidden groups together -- must have a part sum and a
   complement sum outside ``1..k-1``. More areas (then groups) are hidden until that holds.

Hiding a whole row (part and whole) makes the whole of any recoverable set equal to its part
sum plus its complement sum, so checking those two is enough.

The suppressed roles get one geography family only (desa, or H3 cells at one coarse
resolution) so that overlapping areas cannot be differenced; :func:`geography_allowed` says
which.

Modules: :mod:`.suppression` (the rule on linked tables, roles and geographies) and
:mod:`.released` (the planning tables of a suppressed role, from released desa only).
"""

from geo_service.analysis.disclosure.released import (
    COVERAGE_PARTS_PREFIX,
    DESA_KEYS,
    POCKET_COLUMNS,
    RELEASED_WEIGHTS,
    TARGET_COLUMNS,
    released_coverage,
    released_pockets,
    released_priorities,
    released_targets,
)
from geo_service.analysis.disclosure.suppression import (
    COUNT_COLUMNS,
    DEFAULT_K,
    FAMILIES,
    RATE_COLUMNS,
    ROLES_SUPPRESSED,
    SUPPRESSED_FLAG,
    UNPROTECTED_COLUMNS,
    Release,
    geography_allowed,
    is_small,
    is_suppressed_role,
    suppress_flat,
    suppress_hierarchy,
)

__all__ = [
    "COUNT_COLUMNS",
    "COVERAGE_PARTS_PREFIX",
    "DEFAULT_K",
    "DESA_KEYS",
    "FAMILIES",
    "POCKET_COLUMNS",
    "RATE_COLUMNS",
    "RELEASED_WEIGHTS",
    "ROLES_SUPPRESSED",
    "Release",
    "SUPPRESSED_FLAG",
    "TARGET_COLUMNS",
    "UNPROTECTED_COLUMNS",
    "geography_allowed",
    "is_small",
    "is_suppressed_role",
    "released_coverage",
    "released_pockets",
    "released_priorities",
    "released_targets",
    "suppress_flat",
    "suppress_hierarchy",
]
