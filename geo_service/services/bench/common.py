"""Shared parts of the join benchmark: inputs, counts and their check, the overlap and
nearest-polygon steps every peer gets, peak memory."""

from __future__ import annotations

import ctypes
import gc
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.locate import _locate_reference, h3_cells, locate_points
from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.synth import calibration_from_bps, generate_keluarga

H3_RES = 8
COUNT_COLUMNS = ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]


@dataclass
class BenchInput:
    """Families and desa for one comparison."""

    dataset: str
    keluarga: pd.DataFrame  # kode_desa, lat, lon, jumlah_art, desil
    desa: gpd.GeoDataFrame  # kode, geometry (EPSG:4326)

    @property
    def codes(self) -> np.ndarray:
        return self.desa["kode"].to_numpy(dtype=object)


@dataclass
class Counts:
    """Per-desa and per-cell counts a method produced."""

    desa: pd.DataFrame  # index kode (str), COUNT_COLUMNS, only desa with families
    h3: pd.DataFrame  # index cell (uint64), COUNT_COLUMNS

    def equals(self, other: Counts) -> bool:
        return _same(self.desa, other.desa) and _same(self.h3, other.h3)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    a = a[COUNT_COLUMNS].astype(np.int64).sort_index()
    b = b[COUNT_COLUMNS].astype(np.int64).sort_index()
    return (
        len(a) == len(b)
        and bool((a.index.astype(str) == b.index.astype(str)).all())
        and bool((a.to_numpy() == b.to_numpy()).all())
    )


# --- inputs ---------------------------------------------------------------------------


def kendal_input(n: int, *, seed: int = 7, data_dir: Path) -> BenchInput:
    """``n`` Kendal families from the project's generator (clusters, pockets, outliers)."""
    desa = read_boundaries(data_dir / "boundaries" / "desa_33.24_kendal.geojson")
    calib = calibration_from_bps(read_bps(data_dir), "33.24")
    fam = generate_keluarga(
        desa, calib, n_keluarga=n, periode="2025-03", seed=seed, kantong=4
    ).keluarga
    fam = fam[["kode_desa", "lat", "lon", "jumlah_art", "desil"]].reset_index(drop=True)
    return BenchInput(f"kendal_{_size_label(n)}", fam, desa[["kode", "geometry"]])


def sample_families(
    desa: gpd.GeoDataFrame, n: int, *, seed: int = 7, geotag_share: float = 0.7
) -> pd.DataFrame:
    """A fast sampler: families uniform inside desa polygons (sizes vary by desa), 30 %
    without geotag, 2 % jittered by up to ~300 m (gaps, overlaps, outside)."""
    rng = np.random.default_rng(seed)
    weight = rng.lognormal(0.0, 0.6, len(desa))
    per = rng.multinomial(n, weight / weight.sum())
    geoms = desa.geometry.to_numpy()
    bounds = shapely.bounds(geoms)
    lon = np.empty(n)
    lat = np.empty(n)
    owner = np.repeat(np.arange(len(desa)), per)
    pos = np.concatenate([[0], np.cumsum(per)])
    shapely.prepare(geoms)
    for i in np.flatnonzero(per):
        need, got_x, got_y = per[i], [], []
        minx, miny, maxx, maxy = bounds[i]
        while need > 0:
            k = int(need * 2.5) + 16
            x = rng.uniform(minx, maxx, k)
            y = rng.uniform(miny, maxy, k)
            ok = shapely.contains_xy(geoms[i], x, y)
            got_x.append(x[ok][:need])
            got_y.append(y[ok][:need])
            need -= int(min(ok.sum(), need))
        lon[pos[i] : pos[i + 1]] = np.concatenate(got_x)
        lat[pos[i] : pos[i + 1]] = np.concatenate(got_y)
    jitter = rng.random(n) < 0.02
    lon[jitter] += rng.normal(0, 0.0015, jitter.sum())
    lat[jitter] += rng.normal(0, 0.0015, jitter.sum())
    no_geo = rng.random(n) >= geotag_share
    lon[no_geo] = np.nan
    lat[no_geo] = np.nan
    codes = desa["kode"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "kode_desa": pd.array(codes[owner], dtype="str"),
            "lat": np.round(lat, 6),
            "lon": np.round(lon, 6),
            "jumlah_art": rng.integers(1, 8, n).astype(np.int16),
            "desil": rng.integers(1, 11, n).astype(np.int8),
        }
    )


def province_desa(kode_prov: str = "33", *, data_dir: Path) -> gpd.GeoDataFrame:
    """Desa of a province from the shipped GeoParquet (checked and repaired)."""
    path = data_dir / "boundaries" / "desa_33_jawa_tengah.parquet"
    raw = gpd.read_parquet(path)
    raw = raw[raw["kode"].str.startswith(kode_prov + ".")]
    return check_boundaries(raw).desa


def _size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


# --- memory ---------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # pragma: no cover - not glibc
        pass


class PeakRss:
    """Peak resident memory above the level at entry, sampled every 5 ms."""

    def __enter__(self):
        _trim()
        self.base = _rss_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def mb(self) -> float:
        return self.peak - self.base


# --- shared parts of the rule -----------------------------------------------------------


def resolve(
    inp: BenchInput, geo_pos: np.ndarray, pairs_p: np.ndarray, pairs_d: np.ndarray
) -> np.ndarray:
    """Desa position per geotagged family from containment pairs: overlap tie-break, then
    the nearest-polygon fallback for families in no polygon. -1 = di_luar_batas.

    ``geo_pos`` are the row positions of the geotagged families; ``pairs_p`` index into
    ``geo_pos``, ``pairs_d`` into the desa layer.
    """
    codes = inp.codes
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.argsort(codes.astype(str), kind="stable")] = np.arange(len(codes))
    reg = _registered_pos(inp)[geo_pos]
    other = pairs_d != reg[pairs_p]
    order = np.lexsort((rank[pairs_d], other, pairs_p))
    p_sorted = pairs_p[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    out = np.full(len(geo_pos), -1, dtype=np.int64)
    out[p_sorted[first]] = pairs_d[order][first]
    rest = np.flatnonzero(out < 0)
    if len(rest):
        fam = inp.keluarga
        rows = geo_pos[rest]
        kode, _, _ = locate_points(
            fam["lon"].to_numpy()[rows],
            fam["lat"].to_numpy()[rows],
            fam["kode_desa"].to_numpy(dtype=object)[rows],
            inp.desa.geometry.to_numpy(),
            codes,
            max_distance_m=250.0,
        )
        found = pd.notna(kode)
        out[rest[found]] = pd.Index(codes).get_indexer(kode[found])
    return out


def _registered_pos(inp: BenchInput) -> np.ndarray:
    c, u = pd.factorize(inp.keluarga["kode_desa"])
    return pd.Index(inp.codes).get_indexer(np.asarray(u, dtype=object))[c]


def counts_pandas(
    inp: BenchInput,
    desa_pos_geo: np.ndarray,
    geo_pos: np.ndarray,
    cells: np.ndarray,
    *,
    string_keys: bool = False,
) -> Counts:
    """Counts by pandas groupby: on integer desa positions and uint64 cells (a careful
    analyst), or on code and H3 strings (``string_keys``, the naive analyst)."""
    fam = inp.keluarga
    n = len(fam)
    desa_pos = _registered_pos(inp).astype(np.int64)
    desa_pos[geo_pos] = desa_pos_geo
    ekstrem = fam["desil"].to_numpy() == 1
    jiwa = fam["jumlah_art"].to_numpy().astype(np.int64)
    frame = pd.DataFrame(
        {
            "n_keluarga": np.ones(n, dtype=np.int64),
            "n_jiwa": jiwa,
            "n_keluarga_ekstrem": ekstrem.astype(np.int64),
            "n_jiwa_ekstrem": np.where(ekstrem, jiwa, 0),
        }
    )
    keep = desa_pos >= 0
    if string_keys:
        by_desa = frame[keep].groupby(inp.codes[desa_pos[keep]]).sum()
    else:
        by_desa = frame[keep].groupby(desa_pos[keep]).sum()
        by_desa.index = inp.codes[by_desa.index.to_numpy()]
    geo = frame.iloc[geo_pos]
    by_cell = geo.groupby(cells).sum()
    if string_keys:
        by_cell.index = [h3.str_to_int(c) for c in by_cell.index]
    return Counts(by_desa, by_cell)


def counts_numpy(inp: BenchInput, desa_pos, geotag, cells, jumlah_art, ekstrem) -> Counts:
    """Counts by one integer ``bincount`` per grouping (no groupby, no float weights): the
    key combines the group, the ekstrem flag and the family size, so the four counts are
    sums over one small table (families counted nowhere go to one extra group)."""
    n_desa = len(inp.desa)
    jiwa = np.asarray(jumlah_art)
    e = np.asarray(ekstrem, dtype=np.int64)
    size_min, size_max = (int(v) for v in (jiwa.min(initial=0), jiwa.max(initial=0)))
    if size_min < 0 or size_max > 255:  # pragma: no cover - sizes are 1..~20
        raise ValueError("jumlah_art out of 0..255")
    k_size = size_max + 1
    # Per family: 2 * size + ekstrem, the same for both groupings.
    tail = jiwa.astype(np.int64)
    tail *= 2
    tail += e
    d = np.where(desa_pos >= 0, desa_pos, n_desa).astype(np.int64)
    by_desa = _count_table(d, tail, n_desa + 1, k_size)[:n_desa]
    by_desa.index = inp.codes
    by_desa = by_desa[by_desa["n_keluarga"] > 0]
    # Cells: factorised over every family (0 for the ungeotagged: one more group, dropped).
    c = np.where(geotag, cells, np.uint64(0))
    key, uniq = pd.factorize(c)
    uniq = np.asarray(uniq, dtype=np.uint64)
    by_cell = _count_table(key.astype(np.int64), tail, len(uniq), k_size)
    by_cell.index = uniq
    by_cell = by_cell[uniq != 0].sort_index()
    return Counts(by_desa, by_cell)


def _count_table(group: np.ndarray, tail: np.ndarray, n_groups: int, k_size: int) -> pd.DataFrame:
    """The four counts per group from one ``bincount`` of ``group * 2 * k_size + tail``."""
    key = group * (2 * k_size)
    key += tail
    table = np.bincount(key, minlength=n_groups * 2 * k_size).reshape(n_groups, k_size, 2)
    size = np.arange(k_size, dtype=np.int64)
    return pd.DataFrame(
        {
            "n_keluarga": table.sum(axis=(1, 2)),
            "n_jiwa": table.sum(axis=2) @ size,
            "n_keluarga_ekstrem": table[:, :, 1].sum(axis=1),
            "n_jiwa_ekstrem": table[:, :, 1] @ size,
        }
    )


def reference_counts(inp: BenchInput) -> Counts:
    """The location rule's reference path (R-tree, point by point) + h3 + groupby."""
    fam = inp.keluarga
    loc = _locate_reference(fam, inp.desa)
    pos = pd.Index(inp.codes).get_indexer(loc["kode_desa_lokasi"].fillna("").to_numpy(object))
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, pos[geo_pos], geo_pos, cells)
