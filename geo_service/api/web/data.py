"""What the pages show, fetched through the same functions the JSON routes call
(:mod:`geo_service.api.results`, :mod:`geo_service.api.service`, the priority filter of the
results router), so a page never shows what the API would hide from the same user.

Functions here only select and reshape released tables for templates; they never read raw
tables and never undo a suppression.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis.disclosure import SUPPRESSED_FLAG
from geo_service.api import results
from geo_service.api.cache import CachedBody, newest_run_id
from geo_service.api.formats import feature_collection
from geo_service.api.routers.results import filter_priorities
from geo_service.api.security import Principal
from geo_service.api.web.render import page_lang
from geo_service.db.repo import RunInfo
from geo_service.services import runs as run_service

MAP_SIMPLIFY_DEG = 360.0 / (256 * 2**13)  # about a screen pixel at zoom 13
INDICATOR_COLUMNS = ("n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem")


class ReleaseCache:
    """Released tables of finished runs per viewer (run, table, role, OPD, scope), in memory.

    A finished run never changes and the release depends only on the viewer's role, OPD and
    scope, so the pages compute each release once; access is checked before every lookup.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: tuple) -> Any:
        """The kept value of ``key``, else ``None`` (nothing is built)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def get(self, key: tuple, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


class RecentCache:
    """Answers that change (runs started, samples returned), remembered for a few seconds:
    a page view repeats them and 20 planners at a meeting open the same pages."""

    def __init__(self, ttl_s: float = 3.0, size: int = 1024) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[tuple, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, build):
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                return hit[1]
        value = build()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (now, value)
        return value


def recent(request, key: tuple, build):
    """``build()``, or its answer from the last few seconds (:class:`RecentCache`)."""
    cache = getattr(request.app.state, "web_recent", None)
    if cache is None:
        cache = request.app.state.web_recent = RecentCache()
    return cache.get(key, build)


def cache_of(request) -> ReleaseCache:
    cache = getattr(request.app.state, "web_cache", None)
    if cache is None:
        cache = request.app.state.web_cache = ReleaseCache()
    return cache


def viewer(user: Principal) -> tuple:
    return (user.role, user.kode_opd, tuple(sorted(user.kabupaten)))


def indicators(request, session: Session, user: Principal, run: RunInfo, k: int):
    """:func:`geo_service.api.results.indicators_of_run`, once per run and viewer."""
    return cache_of(request).get(
        ("indikator", run.id, k, *viewer(user)),
        lambda: results.indicators_of_run(session, user, run, k),
    )


def planning(
    request, session: Session, user: Principal, run: RunInfo, nama: str, k: int
) -> tuple[pd.DataFrame, int | None]:
    """:func:`geo_service.api.results.planning_of_run`, once per run, viewer and page
    language (the priorities' reasons are written in it)."""
    lang = page_lang(request)
    return cache_of(request).get(
        ("perencanaan", nama, run.id, k, lang, *viewer(user)),
        lambda: results.planning_of_run(session, user, run, nama, k, lang),
    )


def newest_run(
    request, session: Session, user: Principal, kode_kab: str, periode: str | None
) -> RunInfo:
    """The newest finished run (as :func:`geo_service.services.runs.finished_run`), its id
    remembered briefly like the JSON routes do (:func:`geo_service.api.cache.newest_run_id`)
    and the finished run itself kept (it never changes)."""
    found: dict[str, RunInfo] = {}

    def lookup() -> int:
        found["run"] = run_service.finished_run(session, user, kode_kab, periode)
        return found["run"].id

    run_id = newest_run_id(request, user, kode_kab, periode, lookup)
    if "run" in found:
        run = found["run"]
        cache_of(request).get(("run", run.id, *viewer(user)), lambda: run)
        return run
    return cache_of(request).get(
        ("run", run_id, *viewer(user)),
        lambda: run_service.get_run(session, user, run_id),
    )


def run_by_id(request, session: Session, user: Principal, run_id: int) -> RunInfo:
    """:func:`geo_service.services.runs.get_run` (same access check); a finished run is kept
    per viewer (it never changes), any other is read again next time."""
    key = ("run", run_id, *viewer(user))
    run = cache_of(request).peek(key)
    if run is None:
        run = run_service.get_run(session, user, run_id)
        if run.status == "selesai":
            cache_of(request).get(key, lambda: run)
    return run


def hidden_flags(frame: pd.DataFrame) -> pd.Series:
    if SUPPRESSED_FLAG in frame.columns:
        return frame[SUPPRESSED_FLAG].fillna(False).astype(bool)
    return pd.Series(False, index=frame.index)


def row_dict(frame: pd.DataFrame, i: int) -> dict[str, Any]:
    """Row ``i`` as plain Python values (missing -> None), with ``_hidden`` (suppressed)."""
    rec: dict[str, Any] = {}
    for col, value in frame.iloc[i].items():
        if col == "geometry":
            continue
        if isinstance(value, (list, tuple, dict)):
            rec[col] = value
        elif pd.isna(value):
            rec[col] = None
        else:
            rec[col] = value.item() if hasattr(value, "item") else value
    rec["_hidden"] = bool(rec.get(SUPPRESSED_FLAG) or False)
    return rec


def finished_periodes(request, session: Session, user: Principal, kode_kab: str) -> list[str]:
    """Periodes with a finished run (newest first)."""

    def build() -> list[str]:
        runs = run_service.list_runs(session, user, kode_kab, limit=500)
        return sorted({r.periode for r in runs if r.status == "selesai"}, reverse=True)

    return recent(request, ("periode", kode_kab, *viewer(user)), build)


def recent_runs(request, session: Session, user: Principal, kode_kab: str) -> list[RunInfo]:
    """The 20 newest runs of a kabupaten (any status)."""
    return recent(
        request,
        ("runs", kode_kab, *viewer(user)),
        lambda: run_service.list_runs(session, user, kode_kab, limit=20),
    )


def pocket_members(desa: gpd.GeoDataFrame, pockets: pd.DataFrame) -> dict[str, list[str]]:
    """Desa code -> pocket ids whose released outline overlaps the desa (the same outlines
    every role sees)."""
    if not isinstance(pockets, gpd.GeoDataFrame) or pockets.empty or desa.empty:
        return {}
    ids = pockets["kantong_id"] if "kantong_id" in pockets.columns else pockets.index.astype(str)
    left = gpd.GeoDataFrame({"kode_desa": desa["kode_desa"].to_numpy()}, geometry=desa.geometry)
    right = gpd.GeoDataFrame({"kantong_id": ids.astype(str).to_numpy()}, geometry=pockets.geometry)
    hits = gpd.sjoin(left, right, predicate="intersects", how="inner")
    out: dict[str, list[str]] = {}
    for kode, kid in zip(hits["kode_desa"], hits["kantong_id"], strict=True):
        out.setdefault(str(kode), []).append(str(kid))
    return out


def pocket_labels(pockets: pd.DataFrame) -> dict[str, str]:
    """Pocket id -> the number people use for it ("3"), when the run numbered them."""
    if not len(pockets) or not {"kantong_id", "nomor"} <= set(pockets.columns):
        return {}
    return {
        str(i): str(int(n))
        for i, n in zip(pockets["kantong_id"], pockets["nomor"], strict=True)
        if pd.notna(n)
    }


def members_of(request, session: Session, user: Principal, run: RunInfo, k: int):
    """Pocket membership of every desa for this run and viewer (cached)."""

    def build():
        desa = indicators(request, session, user, run, k).view.desa
        pockets, _ = planning(request, session, user, run, "kantong", k)
        return pocket_members(desa, pockets)

    return cache_of(request).get(("anggota", run.id, k, *viewer(user)), build)


def priority_list(
    request,
    session: Session,
    user: Principal,
    kode_kab: str,
    periode: str | None,
    k: int,
    *,
    kecamatan: str | None,
    kuadran: Sequence[str] | None,
    min_keluarga: int,
    kantong: str,
    urut: str,
    arah: str,
) -> dict[str, Any]:
    """The filtered, sorted priority list (the JSON route's filter), pocket membership and
    the run it comes from (cached per run, viewer and filters)."""
    run = newest_run(request, session, user, kode_kab, periode)
    filters = (kecamatan, tuple(kuadran or ()), min_keluarga, kantong, urut, arah)
    return cache_of(request).get(
        ("daftar", run.id, k, *viewer(user), filters),
        lambda: _priority_list(
            request,
            session,
            user,
            run,
            k,
            kecamatan=kecamatan,
            kuadran=kuadran,
            min_keluarga=min_keluarga,
            kantong=kantong,
            urut=urut,
            arah=arah,
        ),
    )


def _priority_list(
    request, session, user, run, k, *, kecamatan, kuadran, min_keluarga, kantong, urut, arah
) -> dict[str, Any]:
    table, applied = planning(request, session, user, run, "prioritas", k)
    ind = indicators(request, session, user, run, k)
    pockets, _ = planning(request, session, user, run, "kantong", k)
    members = members_of(request, session, user, run, k)
    kecamatan_names = (
        sorted(table["nama_kec"].dropna().astype(str).unique()) if "nama_kec" in table else []
    )
    out = filter_priorities(
        table, kecamatan=kecamatan, kuadran=kuadran, min_keluarga=min_keluarga, urut=urut, arah=arah
    )
    label = pocket_labels(pockets)
    if len(out):
        out = out.assign(
            kantong=[
                ", ".join(label.get(i, i) for i in members.get(str(c), []))
                for c in out["kode_desa"].astype(str)
            ]
        )
        if kantong == "ya":
            out = out[out["kantong"] != ""]
        elif kantong == "tidak":
            out = out[out["kantong"] == ""]
        out = out.reset_index(drop=True)
    return {
        "run": run,
        "table": shown_priorities(out),
        "points": json.dumps(
            priority_points(desa_points(request, session, user, run, k), out),
            separators=(",", ":"),
        ),
        "k": applied,
        "kecamatan": kecamatan_names,
        "desa": ind.view.desa,
        "pockets": pockets,
    }


SHOWN_PRIORITY_COLUMNS = (
    "peringkat",
    "peringkat_rentang_bawah",
    "peringkat_rentang_atas",
    "kode_desa",
    "nama_desa",
    "nama_kec",
    "kuadran",
    "n_keluarga_ekstrem",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "kantong",
    "alasan",
    SUPPRESSED_FLAG,
)


def shown_priorities(table: pd.DataFrame) -> pd.DataFrame:
    """The columns the priority page shows (the downloads carry exactly these)."""
    return table[[c for c in SHOWN_PRIORITY_COLUMNS if c in table.columns]]


def map_layers(request, session: Session, user: Principal, run: RunInfo, k: int) -> bytes:
    """Desa choropleth and pocket outlines as the user may see them: one JSON body
    ``{"desa": FeatureCollection, "kantong": FeatureCollection}``, built once per run and
    viewer (the pages fetch it; the browser keeps it, the URL names the run)."""

    def build() -> bytes:
        desa = indicators(request, session, user, run, k).view.desa
        keep = [
            c
            for c in ("kode_desa", "nama_desa", "nama_kec", "pct_jiwa_ekstrem", SUPPRESSED_FLAG)
            if c in desa.columns
        ]
        desa_fc = feature_collection(
            gpd.GeoDataFrame(desa[keep], geometry=desa.geometry, crs=4326),
            precision=5,
            simplify_deg=MAP_SIMPLIFY_DEG,
        )
        pockets, _ = planning(request, session, user, run, "kantong", k)
        if isinstance(pockets, gpd.GeoDataFrame) and len(pockets):
            pk = [
                c
                for c in ("kantong_id", "nomor", "nama_desa_utama", "nama_kec_utama")
                if c in pockets
            ]
            pocket_fc = feature_collection(
                gpd.GeoDataFrame(pockets[pk], geometry=pockets.geometry, crs=4326), precision=5
            )
        else:
            pocket_fc = {"type": "FeatureCollection", "features": []}
        return json.dumps({"desa": desa_fc, "kantong": pocket_fc}, separators=(",", ":")).encode()

    return cache_of(request).get(("peta", run.id, k, *viewer(user)), build)


MAP_HEADERS = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}


_MAP_BUILDS: dict[tuple, threading.Lock] = {}
_MAP_BUILDS_LOCK = threading.Lock()


def map_layers_body(request, session: Session, user: Principal, run: RunInfo, k: int) -> CachedBody:
    """:func:`map_layers` with its gzip form and entity tag, built once per run and viewer:
    while one request builds it (seconds for a kabupaten), the others for the same key wait
    for that body instead of building it too (50 browsers opening the map of a fresh
    worker would otherwise build it 50 times at once)."""
    key = ("peta_body", run.id, k, *viewer(user))
    cache = cache_of(request)
    kept = cache.peek(key)
    if kept is not None:
        return kept
    with _MAP_BUILDS_LOCK:
        lock = _MAP_BUILDS.setdefault(key, threading.Lock())
    with lock:
        return cache.get(
            key,
            lambda: CachedBody.of(
                map_layers(request, session, user, run, k), "application/json", headers=MAP_HEADERS
            ),
        )


def desa_points(
    request, session: Session, user: Principal, run: RunInfo, k: int
) -> dict[str, tuple[float, float]]:
    """A representative point per desa code, ``(lat, lon)`` rounded to 5 decimals (cached
    per run and viewer: the markers of any list are then dictionary lookups)."""

    def build() -> dict[str, tuple[float, float]]:
        desa = indicators(request, session, user, run, k).view.desa
        pts = gpd.GeoSeries(desa.geometry.to_numpy()).representative_point()
        codes = desa["kode_desa"].astype(str).tolist()
        ys, xs = pts.y.tolist(), pts.x.tolist()
        return {c: (round(y, 5), round(x, 5)) for c, y, x in zip(codes, ys, xs, strict=True)}

    return cache_of(request).get(("titik", run.id, k, *viewer(user)), build)


def priority_points(
    pts: dict[str, tuple[float, float]], table: pd.DataFrame
) -> list[dict[str, Any]]:
    """One marker per listed desa (its representative point), in list order."""
    if table.empty or "kode_desa" not in table.columns:
        return []
    codes = table["kode_desa"].astype(str).tolist()
    names = table["nama_desa"].astype(str).tolist() if "nama_desa" in table else [""] * len(codes)
    if "peringkat" in table:
        ranks = [None if pd.isna(r) else int(r) for r in table["peringkat"].tolist()]
    else:
        ranks = [None] * len(codes)
    out = []
    for kode, nama, rank in zip(codes, names, ranks, strict=True):
        p = pts.get(kode)
        if p is None:
            continue
        out.append({"kode_desa": kode, "nama_desa": nama, "peringkat": rank, "y": p[0], "x": p[1]})
    return out
