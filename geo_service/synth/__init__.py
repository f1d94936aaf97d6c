"""Synthetic DTSEN family records (no real household data is public)."""

from geo_service.synth.generator import (
    Calibration,
    SyntheticData,
    calibration_for,
    calibration_from_bps,
    generate_keluarga,
    is_generated,
)

__all__ = [
    "Calibration",
    "SyntheticData",
    "calibration_for",
    "calibration_from_bps",
    "generate_keluarga",
    "is_generated",
]
