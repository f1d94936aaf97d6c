"""The release step: ONE released table set per run and suppressed role (``opd``, ``publik``).

Entry point
-----------
:func:`released` (``session, user, run, k``) returns a :class:`ReleasedSet`: the desa,
kecamatan and kabupaten indicators and the planning tables (``prioritas``, ``target_opd``,
``cakupan``, ``kantong``) exactly as that role may receive them. Every view and export for a
suppressed role -- JSON/CSV/XLSX/GeoJSON routes, the map page, the PDF pack, the web app and
the OGC API -- reads from this set (through :mod:`geo_service.api.results`), never from the
stored tables. :func:`build_release` is the same step on frames (tests, CLI).

How the set is built (statistical disclosure practice, tau-ARGUS / sdcMicro style):

1. the desa table gets primary and complementary suppression against its linked totals
   (desa -> kecamatan -> kabupaten, :func:`~geo_service.analysis.disclosure.suppress_hierarchy`);
2. every other table takes its desa figures from that release and is recomputed from
   released values only: priority scores, ranks, quadrants and reason texts
   (:func:`~geo_service.analysis.disclosure.released_priorities`); coverage and OPD targets
   publish parts of the released ``n_keluarga_ekstrem`` with their own primary and
   complement checks; pockets keep their outline and non-count statistics;
3. whatever cannot be derived from released values (rank intervals, bootstrap shares,
   sub-group shares, counts of non-extreme families, pocket counts) is not in the set;
4. ``publik`` sees no OPD targets (an ``opd`` user sees only its own OPD's).

The set is cached per database, run, role, OPD and ``k`` (finished runs do not change).

What each role sees of the indicators (:func:`indicator_view`, :func:`h3_view`): full tables
for admin and analis, the release for opd and publik, never family-level fields
(:func:`strip_family_fields`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis import disclosure as D
from geo_service.analysis.aggregate import roll_up
from geo_service.db import repo as R
from geo_service.errors import NotFoundError
from geo_service.services import runs as run_service
from geo_service.services.audit import Caller

PLANNING_TABLES = ("kantong", "prioritas", "target_opd", "cakupan")
# Desa columns a suppressed role may see (whitelist: anything new stays out until added here).
DESA_COLUMNS = (
    "kode_desa",
    "nama_desa",
    "jenis",
    "kode_kec",
    "nama_kec",
    "kode_kab",
    "nama_kab",
    *D.COUNT_COLUMNS,
    *D.RATE_COLUMNS,
    D.SUPPRESSED_FLAG,
    "geometry",
)


@dataclass(frozen=True)
class ReleasedSet:
    """Everything a suppressed role may receive of one run."""

    role: str
    k: int
    desa: pd.DataFrame
    kecamatan: pd.DataFrame
    kabupaten: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, nama: str) -> pd.DataFrame:
        return self.tables.get(nama, pd.DataFrame())


def is_own_opd(opd: str, kode_opd: str | None) -> bool:
    """Whether a target row's OPD (e.g. "Dinas Sosial (Dinsos)") is the user's OPD ("Dinsos");
    a joint programme ("... (Dinsos) bersama ... (Dinkes)") belongs to both."""
    if not kode_opd:
        return False
    return opd.casefold() == kode_opd.casefold() or f"({kode_opd.casefold()})" in opd.casefold()


def release_indicators(
    desa: pd.DataFrame, k: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Released desa, kecamatan and kabupaten indicators (one consistent release)."""
    labels = desa[["kode_kec", "nama_kec", "kode_kab", "nama_kab"]].drop_duplicates("kode_kec")
    rel = D.suppress_hierarchy(
        desa, group="kode_kec", k=k, group_labels=labels.set_index("kode_kec")
    )
    areas = rel.areas[[c for c in DESA_COLUMNS if c in rel.areas.columns]]
    if isinstance(desa, gpd.GeoDataFrame):
        areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=desa.crs)
    kab = rel.total.assign(kode_kab=desa["kode_kab"].iloc[0], nama_kab=desa["nama_kab"].iloc[0])
    kab = kab[
        ["kode_kab", "nama_kab", *[c for c in kab.columns if c not in ("kode_kab", "nama_kab")]]
    ]
    return areas, rel.groups, kab


def build_release(
    desa: pd.DataFrame,
    planning: dict[str, pd.DataFrame | None],
    *,
    role: str,
    k: int,
    kode_opd: str | None = None,
    lang: str = "id",
) -> ReleasedSet:
    """The released set of one run for ``role`` from its stored frames (pure)."""
    if not D.is_suppressed_role(role):
        raise ValueError(f"role {role!r} is not suppressed")
    areas, kec, kab = release_indicators(desa, k)
    tables: dict[str, pd.DataFrame] = {
        "prioritas": D.released_priorities(areas, kab, k=k, lang=lang)
    }
    cak = planning.get("cakupan")
    if cak is not None and len(cak):
        tables["cakupan"] = D.released_coverage(cak, areas, k=k)
    tgt = planning.get("target_opd")
    if tgt is not None and len(tgt):
        if role == "opd" and "opd" in tgt.columns:
            tgt = tgt[[is_own_opd(o, kode_opd) for o in tgt["opd"].astype(str)]]
        elif role == "publik":
            tgt = tgt.iloc[0:0]
        tables["target_opd"] = D.released_targets(tgt, areas, k=k)
    poc = planning.get("kantong")
    if poc is not None and len(poc):
        out = D.released_pockets(poc)
        if isinstance(poc, gpd.GeoDataFrame) and "geometry" in out.columns:
            out = gpd.GeoDataFrame(out, geometry="geometry", crs=poc.crs)
        tables["kantong"] = out
    return ReleasedSet(role=role, k=k, desa=areas, kecamatan=kec, kabupaten=kab, tables=tables)


_CACHE: OrderedDict[tuple, ReleasedSet] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def released(
    session: Session, user: Caller, run: R.RunInfo, k: int, lang: str = "id"
) -> ReleasedSet:
    """The released set of ``run`` for ``user`` (a suppressed role), built once and cached."""
    kode_opd = getattr(user, "kode_opd", None)
    bind = session.get_bind()
    url = bind.engine.url if hasattr(bind, "engine") else getattr(bind, "url", "")
    key = (str(url), run.id, user.role, kode_opd if user.role == "opd" else None, k, lang)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    desa = run_service.run_table(session, user, run, "desa")
    planning: dict[str, pd.DataFrame | None] = {}
    for nama in PLANNING_TABLES:
        try:
            planning[nama] = run_service.run_table(session, user, run, nama)
        except NotFoundError:
            planning[nama] = None
    rel = build_release(desa, planning, role=user.role, k=k, kode_opd=kode_opd, lang=lang)
    with _CACHE_LOCK:
        _CACHE[key] = rel
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rel


# --- what each role sees of the indicators ----------------------------------------------

# Columns that describe single families; never shown to opd or publik.
FAMILY_LEVEL_FIELDS = frozenset(
    {
        "id_keluarga",
        "lat",
        "lon",
        "nik",
        "nama_kepala_keluarga",
        "alamat",
        "pengeluaran_kapita",
        "daftar_keluarga",
        "id_keluarga_kandidat",
        "kandidat_uji_petik",
        "keluarga",
    }
)


def strip_family_fields(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop every column holding family-level data."""
    drop = [c for c in frame.columns if c in FAMILY_LEVEL_FIELDS or "id_keluarga" in c]
    return frame.drop(columns=drop)


@dataclass(frozen=True)
class IndicatorView:
    desa: pd.DataFrame
    kecamatan: pd.DataFrame
    kabupaten: pd.DataFrame
    suppressed_k: int | None


def indicator_view(desa: pd.DataFrame, user: Caller, k: int) -> IndicatorView:
    """Desa, kecamatan and kabupaten indicators as ``user`` may see them.

    For opd and publik the three come from one release (:func:`release_indicators`), so no
    hidden value can be recovered by subtracting published ones. Planning tables of those
    roles come from :func:`released` only.
    """
    if not D.is_suppressed_role(user.role):
        plain = pd.DataFrame(desa.drop(columns="geometry", errors="ignore"))
        return IndicatorView(
            desa=desa,
            kecamatan=roll_up(plain, "kecamatan"),
            kabupaten=roll_up(plain, "kabupaten"),
            suppressed_k=None,
        )
    areas, kec, kab = release_indicators(desa, k)
    return IndicatorView(desa=areas, kecamatan=kec, kabupaten=kab, suppressed_k=k)


def h3_view(cells: pd.DataFrame, user: Caller, k: int) -> pd.DataFrame:
    """H3 cells as ``user`` may see them (suppressed against their grand total for opd/publik)."""
    if not D.is_suppressed_role(user.role):
        return cells
    rel = D.suppress_flat(cells, k=k)
    out = rel.areas
    if isinstance(cells, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=cells.crs)
    return strip_family_fields(
        out.drop(columns=[c for c in ("kode_desa_utama",) if c in out.columns])
    )
