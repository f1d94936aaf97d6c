"""What goes into the meeting pack (:class:`~geo_service.io.report.ReportData`), as the
caller may see it: from a stored run (:func:`report_data`, the API and ``geo-service report``)
or from the folder of a file-based ``geo-service analyse`` (:func:`report_data_from_files`).

Restricted roles read the released set only (:mod:`geo_service.services.release`); the
writers themselves are in :mod:`geo_service.services.report`.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from geo_service import __version__
from geo_service.analysis import target as TG
from geo_service.analysis.disclosure import is_small
from geo_service.db.repo import RunInfo
from geo_service.errors import NotFoundError
from geo_service.io.boundaries import read_bps
from geo_service.io.report import ReportData
from geo_service.services import results
from geo_service.services import target as target_service
from geo_service.services.audit import Caller
from geo_service.services.release import IndicatorView, build_release, indicator_view
from geo_service.services.security import Principal
from geo_service.settings import Settings

# Planning tables of an analyse folder: name in the pack -> file.
_FILES = (
    ("prioritas", "priorities.csv"),
    ("target_opd", "opd_targets.csv"),
    ("cakupan", "coverage.csv"),
    ("kantong", "pockets.geojson"),
)


def float_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable (suppressed) numbers as floats with NaN, which the map code expects."""
    out = frame.copy()
    for c in out.columns:
        if c != "geometry" and str(out[c].dtype) in ("Int64", "Float64"):
            out[c] = out[c].astype("float64")
    return out


def report_data(
    session: Session, user: Caller, run: RunInfo, k: int, *, settings: Settings, lang: str = "id"
) -> ReportData:
    """The meeting pack's content for ``run`` as ``user`` may see it, with the progress
    towards the kabupaten's targets (observations up to the run's periode). ``lang``: the
    pack's language; opd/publik read the released set, whose priority reasons are written
    in it (they carry no language-free facts to re-render later)."""
    ind = results.indicators_of_run(session, user, run, k)
    desa = gpd.GeoDataFrame(float_counts(ind.view.desa), geometry="geometry", crs=4326)
    tables = {
        n: results.planning_of_run(session, user, run, n, k, lang)[0]
        for n in results.PLANNING_TABLES
    }
    kab = ind.view.kabupaten
    nama_kab = str(kab["nama_kab"].iloc[0]) if "nama_kab" in kab.columns else run.kode_kab
    when = run.selesai or run.mulai
    return ReportData(
        nama_kab=nama_kab,
        kode_kab=run.kode_kab,
        periode=run.periode,
        desa=desa,
        kabupaten=float_counts(kab),
        priorities=tables["prioritas"] if len(tables["prioritas"]) else None,
        opd_targets=tables["target_opd"] if len(tables["target_opd"]) else None,
        coverage=tables["cakupan"] if len(tables["cakupan"]) else None,
        pockets=tables["kantong"]
        if isinstance(tables["kantong"], gpd.GeoDataFrame) and len(tables["kantong"])
        else None,
        params={"analisis": run.id, "seed": run.seed, **(run.parameter or {})},
        data_date=when.strftime("%Y-%m-%d") if when else None,
        targets=target_table(session, user, run, k, settings),
        version=__version__,
        suppression_k=ind.view.suppressed_k,
    )


def target_table(
    session: Session, user: Caller, run: RunInfo, k: int, settings: Settings
) -> pd.DataFrame | None:
    """Progress towards the kabupaten's targets up to the run's periode (``None``: none)."""
    table = target_service.target_progress(
        session, user, run.kode_kab, settings=settings, k=k, lang="id", until=run.periode
    )
    return table.rename(columns={"banyak_observasi": "n_observasi"}) if len(table) else None


def report_data_from_files(
    folder: Path,
    kabupaten: str,
    *,
    publik: bool,
    periode: str | None,
    settings: Settings,
    lang: str = "id",
) -> ReportData:
    """The meeting pack's content from the files of a file-based run (``desa.geojson``,
    ``priorities.csv``, ``run.json``, ...); ``publik``: the released set, as the public role
    sees it, with its priority reasons in ``lang`` (the pack's language)."""
    if not (folder / "desa.geojson").exists():
        raise NotFoundError(
            f"Tidak ada desa.geojson di {folder}; jalankan geo-service analyse.",
            f"No desa.geojson in {folder}; run geo-service analyse.",
        )
    desa = gpd.read_file(folder / "desa.geojson")
    desa = desa[desa["kode_desa"].astype(str).str.startswith(kabupaten)]
    if desa.empty:
        raise NotFoundError(
            f"Kabupaten {kabupaten} tidak ada di {folder}.",
            f"Kabupaten {kabupaten} is not in {folder}.",
        )
    k = settings.api.disclosure_k
    record = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
    tables = {n: _table(folder / f) for n, f in _FILES}
    if publik:
        rel = build_release(desa, tables, role="publik", k=k, lang=lang)
        view = IndicatorView(rel.desa, rel.kecamatan, rel.kabupaten, k)
        tables = {n: rel.tables.get(n) for n in tables}
    else:
        view = indicator_view(desa, Principal(0, "cli", "admin", (kabupaten,)), k)
    periode = periode or str(record.get("periode") or "-")
    kab = view.kabupaten
    return ReportData(
        nama_kab=str(kab["nama_kab"].iloc[0]),
        kode_kab=kabupaten,
        periode=periode if periode != "-" else folder.name,
        desa=view.desa,
        kabupaten=kab.astype(
            {c: "float64" for c in kab.columns if str(kab[c].dtype) in ("Int64", "Float64")}
        ),
        priorities=tables["prioritas"],
        opd_targets=tables["target_opd"],
        coverage=tables["cakupan"],
        pockets=tables["kantong"],
        params={
            **record.get("parameter", {}),
            **({"perencanaan": record["perencanaan"]} if "perencanaan" in record else {}),
        },
        data_date=record.get("waktu_utc", "")[:10] or None,
        version=__version__,
        suppression_k=view.suppressed_k,
        targets=_targets_from_files(kabupaten, periode, kab, publik, k, settings.paths.data_dir),
        sintetis=bool(record.get("sintetis")),
    )


def _table(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    if path.suffix == ".geojson":
        return gpd.read_file(path)
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"kode_desa": str, "kode_kec": str})


def _targets_from_files(
    kabupaten: str, periode: str, kab: pd.DataFrame, publik: bool, k: int, data_dir: Path
) -> pd.DataFrame | None:
    """Progress towards ``data/targets.csv``: BPS figures plus this result's kabupaten total
    (left out for the public view when it is a small cell)."""
    path = data_dir / "targets.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path, dtype={"kode_kab": str}, encoding="utf-8-sig")
    targets = [t for t in TG.targets_from_frame(table) if t.kode_kab == kabupaten]
    if not targets:
        return None
    obs = [TG.observations_from_bps(read_bps(data_dir), kabupaten)]
    row = kab.iloc[0] if len(kab) else None
    if (
        row is not None
        and periode != "-"
        and {"n_jiwa_ekstrem", "pct_jiwa_ekstrem", "n_jiwa"} <= set(kab.columns)
    ):
        n, total = float(row["n_jiwa_ekstrem"]), float(row["n_jiwa"])
        if not (publik and (is_small(n, k) or is_small(total - n, k))):
            obs.append(
                TG.observations_from_runs(
                    {
                        periode: {
                            "kode_kab": kabupaten,
                            "n_jiwa_ekstrem": n,
                            "pct_jiwa_ekstrem": float(row["pct_jiwa_ekstrem"]),
                        }
                    }
                )
            )
    progress = TG.progress_table(targets, pd.concat(obs, ignore_index=True), lang="id")
    return progress if len(progress) else None
