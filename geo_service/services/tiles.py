"""Vector tiles (MVT, WebMercatorQuad) of a run's desa and H3 layers.

Geometries come from the stored tables: PostGIS encodes the tile itself (``ST_AsMVT``),
SpatiaLite hands the geometries that touch the tile to ``mapbox-vector-tile``
(:mod:`geo_service.io.mvt`). The attributes are always the caller's *released* rows (the
same suppression as the JSON API), joined on the layer key; a layer whose released rows are
not stored rows (the public role's coarser H3 cells) is encoded from the released
geometries.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from geo_service.db.engine import backend
from geo_service.db.repo import Scope
from geo_service.db.repo import tiles as T
from geo_service.io import mvt

TABLES = {"desa": ("desa",), "h3": ("h3",)}


def _attributes(layer: pd.DataFrame) -> pd.DataFrame:
    """Scalar columns of the released layer (lists joined, objects as text)."""
    out = pd.DataFrame(layer.drop(columns=layer.geometry.name, errors="ignore"))
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(
                lambda v: (
                    "; ".join(map(str, v))
                    if isinstance(v, list | tuple | np.ndarray)
                    else (None if v is None or v is pd.NA else v)
                )
            )
    return out


def vector_tile(
    session: Session,
    scope: Scope,
    run_id: int,
    kind: str,
    released: gpd.GeoDataFrame,
    z: int,
    x: int,
    y: int,
    *,
    from_store: bool = True,
) -> bytes:
    """The MVT tile z/x/y of layer ``kind`` ("desa" or "h3") of run ``run_id``.

    ``released`` is the whole released layer (EPSG:4326) with the key column; only its rows
    appear in the tile, with its attribute values.
    """
    key = T.KEY_COLUMN[kind]
    attrs = _attributes(released)
    if not from_store:
        return mvt.encode(
            kind,
            released.geometry.to_numpy(),
            attrs.to_dict(orient="records"),
            list(range(len(attrs))),
            z,
            x,
            y,
        )
    tabel_id = T.table_id(session, run_id, TABLES[kind], scope=scope)
    if backend(session) == "postgresql":
        return T.mvt_postgis(session, tabel_id, kind, z, x, y, attrs, layer_name=kind)
    margin = mvt.BUFFER / mvt.EXTENT
    keys, geoms = T.tile_geometries(
        session, tabel_id, kind, mvt.bounds_4326(z, x, y, margin=margin)
    )
    index = {str(k): i for i, k in enumerate(attrs[key].astype(str))}
    found = [(i, index.get(k)) for i, k in enumerate(keys)]
    keep = [i for i, r in found if r is not None]
    rows = [r for _, r in found if r is not None]
    props = attrs.iloc[rows].to_dict(orient="records")
    return mvt.encode(
        kind,
        np.asarray(geoms, dtype=object)[keep] if keep else np.array([], dtype=object),
        props,
        rows,
        z,
        x,
        y,
    )
