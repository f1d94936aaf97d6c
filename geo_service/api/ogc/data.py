"""Which OGC collections a caller has, and their released features.

A collection is one layer of one kabupaten: desa indicators (``desa``), H3 indicators
(``h3``), pockets (``kantong``) and priority desa (``prioritas``), of the newest finished
run (id ``desa_33.24``) or of a chosen periode (``desa_33.24_2025-03``; older periodes are
listed, the newest is the unsuffixed id). Every layer is fetched through the same service
and release functions as the JSON results routes (:mod:`geo_service.api.results`), so scope
and disclosure control are the same: suppression is applied to the whole layer, and
filters, bbox and paging only choose among the released rows.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from geo_service.analysis.disclosure import geography_allowed
from geo_service.db.repo import RunInfo
from geo_service.errors import AccessDeniedError, NotFoundError
from geo_service.i18n import msg, teks
from geo_service.services import results
from geo_service.services import runs as run_service
from geo_service.services import wilayah as wilayah_service
from geo_service.services.security import Principal
from geo_service.settings import ApiSettings

RUN_FINISHED = "selesai"


@dataclass(frozen=True)
class Kind:
    """One layer family."""

    name: str
    title_id: str
    title_en: str
    keys: tuple[str, ...]  # the first present column is the feature id
    geography: str | None  # what the public role must be allowed to see (None: always)
    tiles: bool


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("desa", "Indikator desa", "Desa indicators", ("kode_desa",), "desa", True),
        Kind("h3", "Indikator sel H3", "H3 cell indicators", ("h3",), "h3", True),
        Kind(
            "kantong",
            "Kantong kemiskinan ekstrem",
            "Extreme-poverty pockets",
            ("kantong_id", "id_kantong", "id"),
            None,
            False,
        ),
        Kind("prioritas", "Desa prioritas", "Priority desa", ("kode_desa",), None, False),
    )
}
_ID = re.compile(r"^(desa|h3|kantong|prioritas)_(\d{2}\.\d{2})(?:_(\d{4}-(?:0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class CollectionRef:
    kind: str
    kode_kab: str
    periode: str | None = None  # None: the newest finished run

    @property
    def id(self) -> str:
        base = f"{self.kind}_{self.kode_kab}"
        return f"{base}_{self.periode}" if self.periode else base

    @classmethod
    def parse(cls, collection_id: str) -> CollectionRef:
        m = _ID.match(collection_id)
        if m is None:
            raise NotFoundError(
                f"Koleksi '{collection_id}' tidak ada.", f"No collection '{collection_id}'."
            )
        return cls(m.group(1), m.group(2), m.group(3))


@dataclass(frozen=True)
class Collection:
    ref: CollectionRef
    run: RunInfo
    nama_kab: str

    def title(self, lang: str) -> str:
        kind = KINDS[self.ref.kind]
        label = teks((kind.title_id, kind.title_en), lang)
        return f"{label} — {self.nama_kab} ({self.ref.kode_kab}), periode {self.run.periode}"


def kind_allowed(user: Principal, kind: str, api: ApiSettings) -> bool:
    geo = KINDS[kind].geography
    return geo is None or geography_allowed(user.role, geo, publik_geography=api.publik_geography)


def catalogue(session: Session, user: Principal, api: ApiSettings) -> list[Collection]:
    """Every collection the caller may read (their kabupaten only)."""
    out: list[Collection] = []
    for kab in wilayah_service.list_kabupaten(session, user):
        runs = [
            r
            for r in run_service.list_runs(session, user, kab["kode"], limit=200)
            if r.status == RUN_FINISHED and "desa" in r.tabel
        ]
        if not runs:
            continue
        newest: dict[str, RunInfo] = {}
        for r in sorted(runs, key=lambda r: (r.periode, r.id)):
            newest[r.periode] = r
        latest = max(newest.values(), key=lambda r: (r.periode, r.id))
        choices = [(None, latest)] + [
            (p, r) for p, r in sorted(newest.items(), reverse=True) if p != latest.periode
        ]
        for periode, run in choices:
            for kind in KINDS:
                if kind_allowed(user, kind, api) and _has_table(run, kind):
                    out.append(
                        Collection(CollectionRef(kind, kab["kode"], periode), run, kab["nama"])
                    )
    return out


def _has_table(run: RunInfo, kind: str) -> bool:
    return kind in run.tabel  # stored names are the Indonesian ones (save_run)


def resolve(session: Session, user: Principal, api: ApiSettings, collection_id: str) -> Collection:
    """The collection of an id, checked against the caller's scope and role (404 / 403)."""
    ref = CollectionRef.parse(collection_id)
    if not user.may_see(ref.kode_kab):
        # Another kabupaten's collections do not exist for this caller.
        raise NotFoundError(
            f"Koleksi '{collection_id}' tidak ada.", f"No collection '{collection_id}'."
        )
    if not kind_allowed(user, ref.kind, api):
        raise AccessDeniedError(
            msg("geografi_ditolak", "id", geo=api.publik_geography),
            msg("geografi_ditolak", "en", geo=api.publik_geography),
        )
    run = run_service.finished_run(session, user, ref.kode_kab, ref.periode)
    if not _has_table(run, ref.kind):
        raise NotFoundError(
            f"Koleksi '{collection_id}' tidak ada.", f"No collection '{collection_id}'."
        )
    names = {k["kode"]: k["nama"] for k in wilayah_service.list_kabupaten(session, user)}
    return Collection(ref, run, names.get(ref.kode_kab, ref.kode_kab))


def feature_key(kind: str, frame: pd.DataFrame) -> str | None:
    return next((c for c in KINDS[kind].keys if c in frame.columns), None)


class LayerCache:
    """Released layers of finished runs per (run, viewer): a finished run never changes and
    GIS clients page through a layer with many requests."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple, build) -> gpd.GeoDataFrame:
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


def released_layer(
    session: Session,
    user: Principal,
    api: ApiSettings,
    col: Collection,
    cache: LayerCache | None = None,
) -> gpd.GeoDataFrame:
    """The whole released layer of a collection (EPSG:4326), in the stored order."""
    key = (col.run.id, col.ref.kind, user.role, user.kode_opd, api.disclosure_k)
    build = lambda: _build(session, user, api, col)  # noqa: E731
    return cache.get_or_build(key, build) if cache is not None else build()


def _build(
    session: Session, user: Principal, api: ApiSettings, col: Collection
) -> gpd.GeoDataFrame:
    run, k, kind = col.run, api.disclosure_k, col.ref.kind
    if kind == "desa":
        layer = results.indicators_of_run(session, user, run, k).view.desa
    elif kind == "h3":
        layer = _h3(session, user, api, run)
    else:
        layer, _ = results.planning_of_run(session, user, run, kind, k)
        if kind == "prioritas":
            layer = _with_desa_geometry(session, user, run, k, layer)
    if not isinstance(layer, gpd.GeoDataFrame) or layer.geometry.name not in layer.columns:
        layer = gpd.GeoDataFrame(
            layer, geometry=gpd.GeoSeries([None] * len(layer), index=layer.index), crs=4326
        )
    if layer.crs is not None and layer.crs.to_epsg() != 4326:
        layer = layer.to_crs(4326)
    layer = layer.reset_index(drop=True)
    # Whether the rows are stored rows (vector tiles from the stored geometries) or derived
    # ones (the public role's coarser H3 cells).
    layer.attrs["tersimpan"] = not (kind == "h3" and _coarsened(user, api, layer))
    return layer


def _h3(session: Session, user: Principal, api: ApiSettings, run: RunInfo) -> gpd.GeoDataFrame:
    """H3 cells as the JSON route gives them (the public role at its coarse resolution)."""
    return results.h3_cells(session, user, run, api)


def _coarsened(user: Principal, api: ApiSettings, layer: pd.DataFrame) -> bool:
    return (
        user.role == "publik"
        and "resolusi" in layer.columns
        and len(layer) > 0
        and int(layer["resolusi"].iloc[0]) == api.publik_h3_resolution
    )


def _with_desa_geometry(
    session: Session, user: Principal, run: RunInfo, k: int, table: pd.DataFrame
) -> gpd.GeoDataFrame:
    if "kode_desa" not in table.columns:
        return gpd.GeoDataFrame(table, geometry=[None] * len(table), crs=4326)
    desa = run_service.run_table(session, user, run, "desa")
    geom = pd.Series(desa.geometry.to_numpy(), index=desa["kode_desa"].astype(str))
    geom = geom[~geom.index.duplicated()]
    shapes = table["kode_desa"].astype(str).map(geom)
    return gpd.GeoDataFrame(
        pd.DataFrame(table).drop(columns="geometry", errors="ignore"),
        geometry=gpd.GeoSeries(shapes.to_numpy(), crs=4326),
        crs=4326,
    )


def extent(layer: gpd.GeoDataFrame) -> list[float] | None:
    geoms = [g for g in layer.geometry if g is not None and not g.is_empty]
    if not geoms:
        return None
    b = shapely.total_bounds(geoms)
    return [round(float(v), 6) for v in b]
