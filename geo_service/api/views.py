"""What each role may see of a run's tables: in :mod:`geo_service.services.release` (the
CLI's publik pack uses it too); this name stays for the API modules and tests that import it."""

from geo_service.services.release import (
    FAMILY_LEVEL_FIELDS,
    IndicatorView,
    h3_view,
    indicator_view,
    strip_family_fields,
)

__all__ = [
    "FAMILY_LEVEL_FIELDS",
    "IndicatorView",
    "h3_view",
    "indicator_view",
    "strip_family_fields",
]
