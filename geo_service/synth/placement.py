"""Where synthetic families live: settlement clusters inside real desa polygons, a smooth
welfare field, planted pockets, and geotags near or far outside the boundaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

M_PER_DEG = 111_320.0
MIN_POCKET_FAMILIES = 300  # a planted pocket needs people


def place(desa, per_desa, area_km2, rng, progress):
    n = int(per_desa.sum())
    lon = np.empty(n)
    lat = np.empty(n)
    desa_idx = np.repeat(np.arange(len(desa)), per_desa)
    cluster_id = np.empty(n, dtype=np.int64)
    start, next_cluster = 0, 0
    for i, (geom, k) in enumerate(zip(desa.geometry.to_numpy(), per_desa, strict=True)):
        if k:
            shapely.prepare(geom)
            n_cl = 1 + rng.poisson(2.0)
            centres = _uniform_in(geom, n_cl, rng)
            cl = rng.choice(n_cl, k, p=rng.dirichlet(np.full(n_cl, 1.5)))
            sigma_m = np.clip(np.sqrt(area_km2[i]) * 1000 / 8, 80, 400)
            x, y = centres[cl, 0].copy(), centres[cl, 1].copy()
            todo = np.arange(k)
            for _ in range(30):
                dx, dy = rng.normal(0, sigma_m, (2, len(todo))) / M_PER_DEG
                cx = centres[cl[todo], 0] + dx / np.cos(np.radians(centres[cl[todo], 1]))
                cy = centres[cl[todo], 1] + dy
                ok = shapely.contains_xy(geom, cx, cy)
                x[todo[ok]], y[todo[ok]] = cx[ok], cy[ok]
                todo = todo[~ok]
                if not len(todo):
                    break
            if len(todo):  # very thin polygons: fall back to uniform points
                pts = _uniform_in(geom, len(todo), rng)
                x[todo], y[todo] = pts[:, 0], pts[:, 1]
            lon[start : start + k], lat[start : start + k] = x, y
            cluster_id[start : start + k] = next_cluster + cl
            next_cluster += n_cl
            start += k
        if progress:
            progress(1)
    return lon, lat, desa_idx, cluster_id


def _uniform_in(geom, k, rng):
    """``k`` uniform points in ``geom``; slivers that rejection sampling cannot hit get
    their representative point (a desa of a real layer may be almost without area)."""
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    for _ in range(50):
        if len(out) >= k:
            break
        m = min(max(4 * (k - len(out)), 64), 1_000_000)
        x, y = rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(geom, x, y)
        out = np.vstack([out, np.c_[x[ok], y[ok]]])
    if len(out) < k:
        p = shapely.point_on_surface(geom) if not geom.is_empty else shapely.Point(minx, miny)
        out = np.vstack([out, np.tile([[p.x, p.y]], (k - len(out), 1))])
    return out[:k]


def smooth_field(lon, lat, bounds, rng, n_bumps=60):
    """A smooth random field: sum of Gaussian bumps, 3-10 km wide, sd about 0.4."""
    minx, miny, maxx, maxy = bounds
    field_ = np.zeros(len(lon))
    cx = rng.uniform(minx, maxx, n_bumps)
    cy = rng.uniform(miny, maxy, n_bumps)
    width_m = rng.uniform(3_000, 10_000, n_bumps)
    amp = rng.normal(0, 0.25, n_bumps)
    for i in range(n_bumps):
        d2 = metres(lon, lat, cx[i], cy[i]) ** 2
        field_ += amp[i] * np.exp(-d2 / (2 * width_m[i] ** 2))
    return field_


def metres(lon, lat, lon0, lat0):
    dx = (lon - lon0) * M_PER_DEG * np.cos(np.radians(lat0))
    dy = (lat - lat0) * M_PER_DEG
    return np.hypot(dx, dy)


def plant_pockets(k, lon, lat, rng):
    pockets: list[dict] = []
    tries = 0
    near = _Near(lon, lat)
    while len(pockets) < k and tries < 10_000:
        tries += 1
        j = rng.integers(len(lon))
        radius = float(rng.uniform(1_200, 2_200))
        if any(
            metres(lon[j], lat[j], p["lon"], p["lat"]) < 2.5 * (radius + p["radius_m"])
            for p in pockets
        ):
            continue
        if near.count_within(j, radius, MIN_POCKET_FAMILIES) < MIN_POCKET_FAMILIES:
            continue  # a pocket needs people
        pockets.append(
            {
                "id": len(pockets) + 1,
                "lon": float(lon[j]),
                "lat": float(lat[j]),
                "radius_m": round(radius, 1),
            }
        )
    return pockets


class _Near:
    """Families within ``radius`` metres of family ``j`` (as :func:`metres` measures it),
    counted exactly but only among the candidates of a grid cell search, so that the
    up to 10,000 tries of :func:`plant_pockets` no longer scan every family each (the
    fixed cost of a kabupaten where no pocket fits). Same counts, same draws, same data."""

    def __init__(self, lon, lat, cell_deg: float = 0.02):
        self.lon, self.lat, self.cell = lon, lat, cell_deg
        self.grid: dict[tuple[int, int], np.ndarray] | None = None
        self.most = 0

    def _build(self) -> dict[tuple[int, int], np.ndarray]:
        gx = np.floor(self.lon / self.cell).astype(np.int64)
        gy = np.floor(self.lat / self.cell).astype(np.int64)
        order = np.lexsort((gy, gx))
        keys = np.c_[gx[order], gy[order]]
        cut = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
        starts = np.r_[0, cut]
        return {
            (int(keys[a, 0]), int(keys[a, 1])): order[a:b]
            for a, b in zip(starts, np.r_[cut, len(order)], strict=True)
        }

    def count_within(self, j, radius: float, need: int) -> int:
        """The families within ``radius`` of family ``j``, or a bound below ``need``."""
        if len(self.lon) < need:
            return len(self.lon)  # never enough: no need to measure
        if self.grid is None:
            self.grid = self._build()
            # a circle of <= 2,500 m at |lat| <= 15 touches at most 4 x 3 cells: if the 12
            # fullest cells together hold fewer than ``need``, no try can succeed
            sizes = np.sort([len(v) for v in self.grid.values()])[::-1]
            self.most = int(sizes[:12].sum())
        lon0, lat0 = self.lon[j], self.lat[j]
        if self.most < need and radius <= 2_500 and abs(lat0) <= 15:
            return self.most  # an upper bound below ``need``: the same decision
        # a box that holds the circle (cos <= 1 widens it in longitude), with a margin
        half_x = 1.001 * radius / (M_PER_DEG * np.cos(np.radians(lat0)))
        half_y = 1.001 * radius / M_PER_DEG
        x0, x1 = (
            int(np.floor((lon0 - half_x) / self.cell)),
            int(np.floor((lon0 + half_x) / self.cell)),
        )
        y0, y1 = (
            int(np.floor((lat0 - half_y) / self.cell)),
            int(np.floor((lat0 + half_y) / self.cell)),
        )
        parts = [
            self.grid[(x, y)]
            for x in range(x0, x1 + 1)
            for y in range(y0, y1 + 1)
            if (x, y) in self.grid
        ]
        if not parts:
            return 0
        idx = np.concatenate(parts)
        return int((metres(self.lon[idx], self.lat[idx], lon0, lat0) < radius).sum())


def pocket_truth(p, lon, lat, geotag, desil, art):
    inside = metres(lon, lat, p["lon"], p["lat"]) < p["radius_m"]
    return {
        "n_keluarga": int(inside.sum()),
        "n_keluarga_geotag": int((inside & geotag).sum()),
        "pct_jiwa_desil_1": round(
            100 * art[inside & (desil == 1)].sum() / max(art[inside].sum(), 1), 2
        ),
    }


def other_desa_same_kec(desa, idx, rng):
    kec = desa["kode_kec"].to_numpy()
    kode = desa["kode"].to_numpy(dtype=object)
    out = np.empty(len(idx), dtype=object)
    for n, i in enumerate(idx):
        choices = np.flatnonzero((kec == kec[i]) & (kode != kode[i]))
        if not len(choices):
            choices = np.flatnonzero(kode != kode[i])
        out[n] = kode[rng.choice(choices)]
    return out


def outside(union, k, min_m, max_m, epsg, rng):
    """``k`` points at ``min_m``-``max_m`` metres outside ``union`` (EPSG:4326)."""
    if k == 0:
        return np.empty(0), np.empty(0)
    utm = gpd.GeoSeries([union], crs=4326).to_crs(epsg).iloc[0]
    shapely.prepare(utm)
    boundary = utm.boundary
    xs, ys = [], []
    while len(xs) < k:
        m = 4 * (k - len(xs)) + 16
        base = shapely.line_interpolate_point(boundary, rng.random(m), normalized=True)
        ang = rng.uniform(0, 2 * np.pi, m)
        dist = rng.uniform(min_m, max_m, m)
        x = shapely.get_x(base) + dist * np.cos(ang)
        y = shapely.get_y(base) + dist * np.sin(ang)
        pts = shapely.points(x, y)
        d = shapely.distance(utm, pts)
        ok = (d >= min_m * 0.5) & (d <= max_m) & ~shapely.contains_xy(utm, x, y)
        xs.extend(x[ok][: k - len(xs)])
        ys.extend(y[ok][: k - len(ys)])
    pts = gpd.GeoSeries(shapely.points(xs, ys), crs=epsg).to_crs(4326)
    return pts.x.to_numpy(), pts.y.to_numpy()
