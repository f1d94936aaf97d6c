"""The files of one analysis run (``hasil/``): tables, pockets, priority list with its
method sheet, map and ``run.json``. Used through :mod:`.analysis_run` (re-exported there)."""

from __future__ import annotations

import gc
import platform
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from geo_service import __version__
from geo_service.analysis.planning import PlanningResult, method_table
from geo_service.analysis.validate import ValidationResult
from geo_service.i18n import teks
from geo_service.io.export import output_dir, write_csv, write_geojson, write_json
from geo_service.io.gpkg import write_gpkg
from geo_service.io.report.xlsx_writer import write_table_xlsx
from geo_service.mapping import choropleth_map
from geo_service.mapping.layers import add_planning_layers

if TYPE_CHECKING:  # annotations only: analysis_run imports this module
    from geo_service.services.analysis_run import OnStep, RunResult


def run_record(result: RunResult) -> dict[str, Any]:
    """``run.json``: parameters, versions, input fingerprints, validation and location
    summaries, the kabupaten totals and the planning record."""
    ind = result.indicators
    kab = ind.kabupaten.iloc[0]
    record = {
        "geo_service": __version__,
        "python": platform.python_version(),
        "waktu_utc": result.waktu_utc,
        "periode": result.periode,
        "detik": result.seconds,
        "parameter": result.params.record(),
        "sintetis": result.sintetis,
        "masukan": result.inputs.sources,
        "validasi": {
            "baris_sah": len(ind.validation.valid),
            "baris_ditolak": len(ind.validation.rejected),
            "masalah_per_kode": ind.validation.counts().to_dict(),
            "kolom_tidak_dikenal": ind.validation.unknown_columns,
        },
        "lokasi": ind.location_summary().to_dict(),
        "kabupaten": {k: (v.item() if hasattr(v, "item") else v) for k, v in kab.items()},
    }
    if result.planning is not None:
        record["perencanaan"] = result.planning.record()
    return record


def _flat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """List-valued columns (e.g. the cells of a pocket) as comma-separated text."""
    gdf = gdf.copy()
    for col in gdf.columns:
        if col != "geometry" and gdf[col].map(lambda v: isinstance(v, list | tuple)).any():
            gdf[col] = gdf[col].map(lambda v: ",".join(map(str, v)))
    return gdf


def gpkg_layers(
    desa: pd.DataFrame, h3: pd.DataFrame, planning: PlanningResult | None
) -> dict[str, pd.DataFrame]:
    """The layers of ``hasil.gpkg``: what the GeoJSON files hold, and the priority list."""
    layers: dict[str, pd.DataFrame] = {"desa": desa, "h3": h3}
    if planning is not None:
        layers["kantong"] = planning.pockets
        if len(planning.cold_spots):
            layers["titik_dingin"] = planning.cold_spots
        layers["prioritas"] = planning.priorities
    return layers


def coverage_table(planning: PlanningResult) -> pd.DataFrame:
    """Coverage per desa and per pocket in one table (column ``tingkat``)."""
    return pd.concat(
        [
            planning.coverage_desa.assign(tingkat="desa"),
            planning.coverage_pocket.assign(tingkat="kantong"),
        ],
        ignore_index=True,
    )


def _write_planning(planning: PlanningResult, folder: Path, lang: str) -> None:
    """Pockets, priority list (CSV + XLSX with the method), OPD targets, coverage, needs."""
    write_geojson(_flat(planning.pockets), folder / "pockets.geojson")
    write_csv(planning.priorities, folder / "priorities.csv")
    method = method_table(planning.params, planning.seed, lang=lang)
    sheets = {
        teks(("Prioritas", "Priorities"), lang): planning.priorities,
        teks(("Metode", "Method"), lang): method,
    }
    write_table_xlsx(sheets, folder / "priorities.xlsx", lang=lang)
    write_csv(planning.opd_targets, folder / "opd_targets.csv")
    write_csv(coverage_table(planning), folder / "coverage.csv")
    write_csv(planning.pocket_desa, folder / "pocket_desa.csv")
    write_csv(planning.needs_desa, folder / "needs_desa.csv")
    write_csv(planning.needs_pocket, folder / "needs_pocket.csv")
    if len(planning.cold_spots):
        write_geojson(_flat(planning.cold_spots), folder / "cold_spots.geojson")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (and back on after it, if it was on).

    Writing the files allocates many short-lived containers on top of whatever the process
    holds (a Dask worker, the server); each full collection then walks the whole heap, for
    nothing: what the writers make is freed by reference counting. Cycles left behind (the
    map's element tree) are collected after the block."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def write_outputs(
    result: RunResult,
    folder: Path,
    *,
    lang: str = "id",
    record: dict[str, Any] | None = None,
    on_step: OnStep | None = None,
) -> Path:
    """Write the files of a run into ``folder`` (all or nothing: a failure leaves the
    folder as it was). ``record`` is ``run.json`` (default :func:`run_record`)."""
    step = on_step or (lambda name: None)
    ind, planning = result.indicators, result.planning
    # With planning, desa and cells carry the EB rate and Gi* columns too.
    desa_out = ind.desa if planning is None else planning.desa
    h3_out = ind.h3 if planning is None else planning.h3
    step("tulis")
    # The GeoPackage is written by GDAL (pyogrio), which runs without the GIL: in a thread of
    # its own, next to the Python writers below. Every file has one writer, so the files are
    # the same whatever the order the threads run in; the pool is left (and the thread
    # joined) before the folder is moved into place or removed.
    with gc_paused(), output_dir(folder) as tmp, ThreadPoolExecutor(max_workers=1) as pool:
        gpkg = pool.submit(write_gpkg, gpkg_layers(desa_out, h3_out, planning), tmp / "hasil.gpkg")
        write_geojson(desa_out, tmp / "desa.geojson")
        write_csv(desa_out, tmp / "desa.csv")
        write_csv(ind.kecamatan, tmp / "kecamatan.csv")
        write_csv(ind.kabupaten, tmp / "kabupaten.csv")
        write_geojson(h3_out, tmp / "h3.geojson")
        write_csv(h3_out, tmp / "h3.csv")
        write_csv(ind.validation.problems, tmp / "validation.csv")
        if planning is not None:
            _write_planning(planning, tmp, lang)
        step("peta")
        kab = ind.kabupaten.iloc[0]
        judul = f"{kab['nama_kab']} — periode {result.periode}"
        page = choropleth_map(ind.desa, kecamatan=result.inputs.kecamatan, judul=judul, lang=lang)
        if planning is not None:
            add_planning_layers(page, planning, ind.desa, lang=lang)
        page.save(str(tmp / "map.html"))
        write_json(record if record is not None else run_record(result), tmp / "run.json")
        # The same layers as one GeoPackage 1.2: field names and lists stay whole.
        gpkg.result()  # its error, if any, fails the run like any other file's
    return Path(folder)


def write_validation_report(validation: ValidationResult, path: Path) -> Path:
    """Every problem of a rejected file, for the person who fixes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(validation.problems, path)
    return path
