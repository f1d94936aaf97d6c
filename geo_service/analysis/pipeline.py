"""One pass from raw family rows to indicator tables; the CLI and the API both call this."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.aggregate import desa_indicators, h3_indicators, is_ekstrem, roll_up
from geo_service.analysis.fastjoin import h3_cells_threaded
from geo_service.analysis.locate import locate_keluarga
from geo_service.analysis.validate import ValidationResult, validate_keluarga


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of a run; recorded next to its outputs."""

    h3_resolution: int = 8
    max_distance_m: float = 250.0
    garis_ekstrem: float | None = None

    def __post_init__(self) -> None:
        if not 6 <= self.h3_resolution <= 10:
            raise ValueError("h3_resolution must be within 6..10")


@dataclass(frozen=True)
class IndicatorResult:
    """Everything the first stage of the analysis produces."""

    validation: ValidationResult
    keluarga: pd.DataFrame  # valid families + location + h3 (uint64) + ekstrem
    desa: gpd.GeoDataFrame
    kecamatan: pd.DataFrame
    kabupaten: pd.DataFrame
    h3: gpd.GeoDataFrame
    params: AnalysisParams

    @property
    def di_luar_batas(self) -> pd.DataFrame:
        """Families counted in no desa (geotag beyond the distance limit)."""
        return self.keluarga[self.keluarga["status_lokasi"] == S.STATUS_DI_LUAR_BATAS]

    def location_summary(self) -> pd.Series:
        """Families per location status."""
        return (
            self.keluarga["status_lokasi"].value_counts().reindex(S.LOCATION_STATUSES, fill_value=0)
        )


def compute_indicators(
    raw: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    params: AnalysisParams | None = None,
    *,
    validation: ValidationResult | None = None,
    index=None,
    lang: str = "id",
    on_step=None,
) -> IndicatorResult:
    """Validate, locate, index and aggregate families (the valid rows only).

    Parameters
    ----------
    raw
        Family rows as read; ignored when ``validation`` is given.
    desa
        Checked desa boundaries (see :func:`~geo_service.analysis.boundaries.check_boundaries`).
    params
        Resolution, distance limit and extreme-poverty definition.
    validation
        A validation already done (avoid doing it twice).
    index
        A :class:`~geo_service.analysis.fastjoin.BoundaryIndex` of ``desa`` built before
        (boundaries change rarely): the location step then answers most families by lookup.
    on_step
        Called with a step name before each step (progress display).
    """
    params = params or AnalysisParams()
    step = on_step or (lambda name: None)
    if validation is None:
        step("validasi")
        validation = validate_keluarga(raw, known_desa=desa["kode"], lang=lang)
    fam = validation.valid.reset_index(drop=True)
    step("lokasi")
    loc = locate_keluarga(fam, desa, max_distance_m=params.max_distance_m, index=index)
    fam = pd.concat([fam, loc], axis=1)
    step("h3")
    # Split over two threads (h3ronpy releases the GIL): H3 is the largest per-family cost.
    # The stored index's block table answers most families when built at this resolution.
    cells = h3_cells_threaded(
        fam["lat"].to_numpy(), fam["lon"].to_numpy(), params.h3_resolution, index=index
    )
    fam["h3"] = cells
    ekstrem = is_ekstrem(fam, garis_ekstrem=params.garis_ekstrem)
    fam["ekstrem"] = ekstrem
    step("agregat")
    desa_ind = desa_indicators(fam, ekstrem, desa)
    h3_ind = h3_indicators(fam, ekstrem, cells)
    kab = roll_up(desa_ind, "kabupaten")
    outside = fam["status_lokasi"].to_numpy() == S.STATUS_DI_LUAR_BATAS
    kab["n_keluarga_di_luar_batas"] = int(outside.sum())
    kab["n_jiwa_di_luar_batas"] = int(fam.loc[outside, "jumlah_art"].sum())
    return IndicatorResult(
        validation=validation,
        keluarga=fam,
        desa=desa_ind,
        kecamatan=roll_up(desa_ind, "kecamatan"),
        kabupaten=kab,
        h3=h3_ind,
        params=params,
    )


def totals_consistent(result: IndicatorResult) -> bool:
    """Every family counted exactly once: desa persons + outside persons = input persons."""
    fam = result.keluarga
    outside = fam["status_lokasi"] == S.STATUS_DI_LUAR_BATAS
    inside_total = int(result.desa["n_jiwa"].sum())
    geotag = fam["lat"].notna().to_numpy()
    return (
        inside_total + int(fam.loc[outside, "jumlah_art"].sum()) == int(fam["jumlah_art"].sum())
        and int(result.h3["n_jiwa"].sum()) == int(fam.loc[geotag, "jumlah_art"].sum())
        and bool(np.all(fam.loc[geotag, "h3"].to_numpy() != 0))
    )
