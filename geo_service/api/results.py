"""A run's tables shaped for the caller (fetch with :mod:`geo_service.services.runs`, shape with
:mod:`views`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis.disclosure import is_suppressed_role
from geo_service.api.security import Principal
from geo_service.api.views import IndicatorView, h3_view, indicator_view, planning_view
from geo_service.db.repo import RunInfo
from geo_service.errors import NotFoundError
from geo_service.services import runs as run_service

PLANNING_TABLES = ("kantong", "prioritas", "target_opd", "cakupan")


@dataclass(frozen=True)
class Indicators:
    run: RunInfo
    view: IndicatorView


def indicators_of_run(session: Session, user: Principal, run: RunInfo, k: int) -> Indicators:
    """Desa/kecamatan/kabupaten indicators of ``run`` as ``user`` may see them."""
    return Indicators(
        run=run, view=indicator_view(run_service.run_table(session, user, run, "desa"), user, k)
    )


def indicators(
    session: Session, user: Principal, kode_kab: str, periode: str | None, k: int
) -> Indicators:
    """Indicators of the newest finished run of a kabupaten (and periode)."""
    return indicators_of_run(
        session, user, run_service.finished_run(session, user, kode_kab, periode), k
    )


def h3_of_run(session: Session, user: Principal, run: RunInfo, k: int) -> pd.DataFrame:
    return h3_view(run_service.run_table(session, user, run, "h3"), user, k)


def planning_of_run(
    session: Session, user: Principal, run: RunInfo, nama: str, k: int
) -> tuple[pd.DataFrame, int | None]:
    """A planning table of ``run`` for ``user`` and the suppression ``k`` applied (or None)."""
    ind = indicators_of_run(session, user, run, k)
    try:
        table = run_service.run_table(session, user, run, nama)
    except NotFoundError:
        table = pd.DataFrame()
    shaped = planning_view(table, user, k, ind.view.desa) if len(table) else table
    if nama == "target_opd" and user.role == "opd" and "opd" in shaped.columns:
        shaped = shaped[[is_own_opd(o, user.kode_opd) for o in shaped["opd"].astype(str)]]
    if nama == "kantong" and user.role == "publik":
        # Pockets are H3 aggregates: a public reader gets their outlines, not their counts.
        shaped = shaped.drop(
            columns=[c for c in shaped.columns if c.startswith(("n_", "pct_", "gi_", "rasio_"))]
        )
    return shaped, (k if is_suppressed_role(user.role) else None)


def is_own_opd(opd: str, kode_opd: str | None) -> bool:
    """Whether a target row's OPD (e.g. "Dinas Sosial (Dinsos)") is the user's OPD ("Dinsos");
    a joint programme ("... (Dinsos) bersama ... (Dinkes)") belongs to both."""
    if not kode_opd:
        return False
    return opd.casefold() == kode_opd.casefold() or f"({kode_opd.casefold()})" in opd.casefold()


def planning_table(
    session: Session, user: Principal, kode_kab: str, periode: str | None, nama: str, k: int
) -> tuple[RunInfo, pd.DataFrame, int | None]:
    """A planning table of the newest finished run of a kabupaten (and periode)."""
    run = run_service.finished_run(session, user, kode_kab, periode)
    table, applied = planning_of_run(session, user, run, nama, k)
    return run, table, applied
