"""A run's tables shaped for the caller: in :mod:`geo_service.services.results`; this name
stays for the API modules that import it."""

from geo_service.services.results import (
    PLANNING_TABLES,
    Indicators,
    coarsen_h3,
    h3_cells,
    h3_of_run,
    indicators,
    indicators_of_run,
    is_own_opd,
    planning_of_run,
    planning_table,
)

__all__ = [
    "PLANNING_TABLES",
    "Indicators",
    "coarsen_h3",
    "h3_cells",
    "h3_of_run",
    "indicators",
    "indicators_of_run",
    "is_own_opd",
    "planning_of_run",
    "planning_table",
]
