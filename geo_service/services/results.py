"""A run's tables shaped for the caller: fetched with :mod:`geo_service.services.runs`, shaped
for the caller's role with :mod:`geo_service.services.release` (JSON routes, OGC API, web app,
map page and meeting pack alike)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import h3
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from geo_service.analysis.alasan import localise_priorities
from geo_service.analysis.disclosure import is_suppressed_role
from geo_service.db.repo import RunInfo
from geo_service.errors import NotFoundError
from geo_service.services import release as release_service
from geo_service.services import runs as run_service
from geo_service.services.audit import Caller
from geo_service.services.release import IndicatorView, h3_view, indicator_view
from geo_service.settings import ApiSettings

PLANNING_TABLES = release_service.PLANNING_TABLES


@dataclass(frozen=True)
class Indicators:
    run: RunInfo
    view: IndicatorView


def indicators_of_run(session: Session, user: Caller, run: RunInfo, k: int) -> Indicators:
    """Desa/kecamatan/kabupaten indicators of ``run`` as ``user`` may see them (for opd and
    publik: from the run's released set, :mod:`geo_service.services.release`)."""
    if is_suppressed_role(user.role):
        rel = release_service.released(session, user, run, k)
        return Indicators(
            run=run,
            view=IndicatorView(
                desa=rel.desa, kecamatan=rel.kecamatan, kabupaten=rel.kabupaten, suppressed_k=k
            ),
        )
    return Indicators(
        run=run, view=indicator_view(run_service.run_table(session, user, run, "desa"), user, k)
    )


def indicators(
    session: Session, user: Caller, kode_kab: str, periode: str | None, k: int
) -> Indicators:
    """Indicators of the newest finished run of a kabupaten (and periode)."""
    return indicators_of_run(
        session, user, run_service.finished_run(session, user, kode_kab, periode), k
    )


def h3_of_run(session: Session, user: Caller, run: RunInfo, k: int) -> pd.DataFrame:
    return h3_view(run_service.run_table(session, user, run, "h3"), user, k)


def h3_cells(
    session: Session,
    user: Caller,
    run: RunInfo,
    api: ApiSettings,
    *,
    resolusi: int | None = None,
) -> pd.DataFrame:
    """H3 cells of ``run`` as ``user`` may see them (JSON route and OGC API alike): at
    ``resolusi`` when coarser than stored, the public role at its coarse resolution, small
    cells suppressed for opd and publik."""
    cells = run_service.run_table(session, user, run, "h3")
    stored = int(cells["resolusi"].iloc[0]) if len(cells) and "resolusi" in cells else None
    res = resolusi
    if user.role == "publik":
        res = min(api.publik_h3_resolution, stored or api.publik_h3_resolution)
    if res is not None and stored is not None and res < stored:
        cells = coarsen_h3(cells, res)
    return h3_view(cells, user, api.disclosure_k)


def coarsen_h3(cells: gpd.GeoDataFrame, resolution: int) -> gpd.GeoDataFrame:
    """Cells summed into their parents at ``resolution`` (counts added, rate recomputed)."""
    parent = [h3.cell_to_parent(c, resolution) for c in cells["h3"]]
    counts = ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
    frame = pd.DataFrame(cells[counts].astype("int64")).assign(h3=parent)
    out = frame.groupby("h3", sort=True)[counts].sum().reset_index()
    out["resolusi"] = resolution
    out["pct_jiwa_ekstrem"] = (100.0 * out["n_jiwa_ekstrem"] / out["n_jiwa"]).where(
        out["n_jiwa"] > 0
    )
    geoms = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in out["h3"]
    ]
    return gpd.GeoDataFrame(out, geometry=geoms, crs=4326)


def planning_of_run(
    session: Session, user: Caller, run: RunInfo, nama: str, k: int, lang: str | None = None
) -> tuple[pd.DataFrame, int | None]:
    """A planning table of ``run`` for ``user`` and the suppression ``k`` applied (or None).

    opd and publik read the run's released set only (:mod:`geo_service.services.release`).
    ``lang``: the priorities' reasons and labels in that language (issue 14); None: as
    stored (the run's language).
    """
    if is_suppressed_role(user.role):
        return release_service.released(session, user, run, k, lang or "id").table(nama), k
    try:
        table = run_service.run_table(session, user, run, nama)
    except NotFoundError:
        table = pd.DataFrame()
    if lang and nama == "prioritas":
        table = localise_priorities(table, lang)
    return table, None


is_own_opd = release_service.is_own_opd


def planning_table(
    session: Session,
    user: Caller,
    kode_kab: str,
    periode: str | None,
    nama: str,
    k: int,
    lang: str | None = None,
) -> tuple[RunInfo, pd.DataFrame, int | None]:
    """A planning table of the newest finished run of a kabupaten (and periode)."""
    run = run_service.finished_run(session, user, kode_kab, periode)
    table, applied = planning_of_run(session, user, run, nama, k, lang)
    return run, table, applied
