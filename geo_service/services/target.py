"""Progress towards the kabupaten's poverty target (BPS figures and stored runs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis import target as TG
from geo_service.analysis.disclosure import is_small, is_suppressed_role
from geo_service.db import models as M
from geo_service.db import repo as R
from geo_service.io.boundaries import read_bps
from geo_service.services.audit import Caller, scope_of
from geo_service.settings import PROJECT_ROOT


def reference_file(settings, name: str) -> Path:
    """A reference table: from the data folder, else the one shipped in the repository."""

    path = Path(settings.paths.data_dir) / name
    return path if path.exists() else PROJECT_ROOT / "data" / name


def target_progress(
    session: Session,
    user: Caller,
    kode_kab: str,
    *,
    settings,
    k: int,
    lang: str,
    until: str | None = None,
) -> pd.DataFrame:
    """Progress towards the targets of a kabupaten (``data/targets.csv``): BPS figures and the
    kabupaten totals of stored runs (newest run per periode, up to ``until``) as
    observations.

    For opd and publik a run's totals are left out when the extreme-poor count or its
    complement is a small cell (1..k-1).
    """

    scope = scope_of(user)
    scope.check(kode_kab)
    table = pd.read_csv(
        reference_file(settings, "targets.csv"), dtype={"kode_kab": str}, encoding="utf-8-sig"
    )
    targets = [t for t in TG.targets_from_frame(table) if t.kode_kab == kode_kab]
    bps_path = reference_file(settings, "bps_poverty_figures.csv")
    obs = [TG.observations_from_bps(read_bps(bps_path.parent), kode_kab)]
    per_periode: dict[str, dict] = {}
    for run in sorted(
        R.list_runs(session, scope=scope, kode_kab=kode_kab, status=M.RUN_SELESAI, limit=500),
        key=lambda r: r.id,
    ):
        tot = run.ringkasan or {}
        if until is not None and run.periode > until:
            continue
        if not {"n_jiwa_ekstrem", "pct_jiwa_ekstrem"} <= set(tot):
            continue
        if is_suppressed_role(user.role):
            n, total = float(tot["n_jiwa_ekstrem"]), float(tot.get("n_jiwa") or 0)
            if is_small(n, k) or is_small(total - n, k):
                continue
        per_periode[run.periode] = {"kode_kab": kode_kab, **tot}
    if per_periode:
        obs.append(TG.observations_from_runs(per_periode))
    progress = TG.progress_table(targets, pd.concat(obs, ignore_index=True), lang=lang)
    return progress.rename(columns={"n_observasi": "banyak_observasi"})
