"""Pure analysis: frames and parameters in, frames and dataclasses out.

No files, database, HTTP or global state here; seeds are explicit.
"""

from geo_service.analysis.aggregate import desa_indicators, h3_indicators, is_ekstrem, roll_up
from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.locate import cell_to_parent, h3_cells, locate_keluarga
from geo_service.analysis.pipeline import AnalysisParams, IndicatorResult, compute_indicators
from geo_service.analysis.validate import ValidationResult, validate_keluarga

__all__ = [
    "AnalysisParams",
    "IndicatorResult",
    "ValidationResult",
    "cell_to_parent",
    "check_boundaries",
    "compute_indicators",
    "desa_indicators",
    "h3_cells",
    "h3_indicators",
    "is_ekstrem",
    "locate_keluarga",
    "roll_up",
    "validate_keluarga",
]
