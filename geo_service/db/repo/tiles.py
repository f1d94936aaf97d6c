"""Vector-tile queries on the stored geometries of a run's table (desa, H3 cells).

- PostGIS: :func:`mvt_postgis` builds the whole tile with ``ST_AsMVTGeom``/``ST_AsMVT``;
  the *attributes* come from the caller (the released, suppressed rows of the layer, passed
  as JSON and joined on the key), so a tile never carries more than the JSON API gives the
  same user.
- SpatiaLite: :func:`tile_geometries` returns the stored geometries that touch the tile's
  bounding box; the caller encodes them (:mod:`geo_service.io.mvt`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, text

from geo_service.db.engine import backend
from geo_service.db.models import AnalisisTabel
from geo_service.db.repo.common import Bind, Scope, _geoms, _py
from geo_service.db.repo.runs import _run_row
from geo_service.errors import NotFoundError

# The stored key column a layer's rows are matched on.
KEY_COLUMN = {"desa": "kode_desa", "h3": "h3"}


def table_id(session: Bind, run_id: int, names: Sequence[str], *, scope: Scope) -> int:
    """The id of the first stored table of ``run_id`` among ``names`` (aliases)."""
    _run_row(session, run_id, scope)
    rows = dict(
        session.execute(
            select(AnalisisTabel.nama, AnalisisTabel.id).where(
                AnalisisTabel.run_id == run_id, AnalisisTabel.nama.in_(list(names))
            )
        ).all()
    )
    for name in names:
        if name in rows:
            return int(rows[name])
    raise NotFoundError(
        f"Analisis #{run_id} tidak punya tabel {names[0]}.", f"Run #{run_id} has no {names[0]}."
    )


def tile_geometries(
    session: Bind,
    tabel_id: int,
    kind: str,
    bbox: tuple[float, float, float, float],
) -> tuple[list[str], np.ndarray]:
    """Keys and geometries (EPSG:4326) of stored rows whose bounding box meets ``bbox``."""
    key = KEY_COLUMN[kind]
    minx, miny, maxx, maxy = bbox
    if backend(session) == "postgresql":
        sql = text(
            f"SELECT {key}, ST_AsBinary(geom) FROM analisis_hasil WHERE tabel_id = :t "
            "AND geom && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326) ORDER BY urutan"
        )
    else:
        sql = text(
            f"SELECT {key}, AsBinary(geom) FROM analisis_hasil WHERE tabel_id = :t "
            "AND geom IS NOT NULL AND MbrIntersects(geom, BuildMbr(:x1, :y1, :x2, :y2, 4326)) "
            "ORDER BY urutan"
        )
    params = {"t": tabel_id, "x1": minx, "y1": miny, "x2": maxx, "y2": maxy}
    rows = session.execute(sql, params).all()
    return [str(r[0]) for r in rows], _geoms([r[1] for r in rows])


def _pg_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_numeric_dtype(series):
        return "double precision"
    return "text"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def mvt_postgis(
    session: Bind,
    tabel_id: int,
    kind: str,
    z: int,
    x: int,
    y: int,
    attributes: pd.DataFrame,
    *,
    layer_name: str,
    extent: int = 4096,
    buffer: int = 64,
) -> bytes:
    """One MVT tile by ``ST_AsMVT`` of the stored geometries with ``attributes`` joined on
    the layer key (a column of ``attributes`` named like :data:`KEY_COLUMN`)."""
    key = KEY_COLUMN[kind]
    cols = [c for c in attributes.columns if c != "geometry"]
    if key not in cols:
        raise ValueError(f"attributes need the key column {key}")
    coldefs = ", ".join(f"{_ident(c)} {_pg_type(attributes[c])}" for c in cols)
    records: list[dict[str, Any]] = []
    for row in attributes[cols].itertuples(index=False, name=None):
        rec = {}
        for c, v in zip(cols, row, strict=True):
            v = _py(v)
            rec[c] = "; ".join(map(str, v)) if isinstance(v, list) else v
        records.append(rec)
    props = ", ".join(f"a.{_ident(c)}" for c in cols)
    sql = text(
        f"""
        WITH a AS (SELECT * FROM jsonb_to_recordset(CAST(:attrs AS jsonb)) AS x({coldefs})),
        env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e),
        t AS (
          SELECT h.urutan AS fid,
                 ST_AsMVTGeom(ST_Transform(h.geom, 3857), env.e, :extent, :buffer, true) AS geom,
                 {props}
          FROM analisis_hasil h CROSS JOIN env
          JOIN a ON a.{_ident(key)} = h.{key}
          WHERE h.tabel_id = :t
            AND h.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y,
                                       margin => CAST(:margin AS double precision)), 4326)
        )
        SELECT ST_AsMVT(t, CAST(:layer AS text), :extent, 'geom', 'fid') FROM t
        WHERE geom IS NOT NULL
        """
    )
    tile = session.execute(
        sql,
        {
            "attrs": json.dumps(records, allow_nan=False),
            "z": z,
            "x": x,
            "y": y,
            "t": tabel_id,
            "extent": extent,
            "buffer": buffer,
            "margin": buffer / extent,
            "layer": layer_name,
        },
    ).scalar_one()
    return bytes(tile or b"")
