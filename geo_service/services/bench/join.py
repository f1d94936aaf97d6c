"""Join + H3 + aggregate: geo_service against the tools an analyst would pick instead.

(The harness of ``geo-service bench``; the peers - DuckDB spatial, SedonaDB, dask-geopandas,
psycopg - are optional (pip extra ``bench``) and imported inside their method only.)

Every method gets the same families and desa layer in one process, and must produce the
same per-desa counts (n_keluarga, n_jiwa, n_keluarga_ekstrem, n_jiwa_ekstrem; ungeotagged
families counted at their registered desa) and per-H3-cell counts (resolution 8, geotagged
families) as the reference location rule. Peers that cannot express the whole rule do the
containment step themselves; the shared code here applies the overlap tie-break
(registered code, else lowest code) and the 250 m nearest-polygon fallback, inside the
timed section.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.locate import h3_cells, locate_points
from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.synth import calibration_from_bps, generate_keluarga

H3_RES = 8
COUNT_COLUMNS = ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
METHODS = [
    "naive",
    "geopandas",
    "duckdb",
    "sedonadb",
    "dask_geopandas",
    "postgis",
    "geo_service",
    "geo_service_cold",
]


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


@dataclass
class Result:
    dataset: str
    n_families: int
    method: str
    seconds: float | None
    peak_mb: float | None
    identical: bool | None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def record(self) -> dict:
        rec = {
            "dataset": self.dataset,
            "n_families": self.n_families,
            "method": self.method,
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "peak_mb": None if self.peak_mb is None else round(self.peak_mb, 1),
            "identical": self.identical,
        }
        if self.note:
            rec["note"] = self.note
        rec.update(self.extra)
        return rec


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
        import h3

        by_cell.index = [h3.str_to_int(c) for c in by_cell.index]
    return Counts(by_desa, by_cell)


# --- methods --------------------------------------------------------------------------


def method_naive(inp: BenchInput, state=None) -> Counts:
    """sjoin with the default predicate, per-row h3 with df.apply, pandas groupby."""
    import h3

    fam = inp.keluarga
    pts = fam.dropna(subset=["lat", "lon"])
    gpts = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs=4326)
    joined = gpd.sjoin(gpts, inp.desa, how="inner")
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    p = pd.Index(pts.index).get_indexer(joined.index)
    desa_pos = resolve(inp, geo_pos, p, joined["index_right"].to_numpy())
    cells = pts.apply(lambda r: h3.latlng_to_cell(r["lat"], r["lon"], H3_RES), axis=1)
    return counts_pandas(inp, desa_pos, geo_pos, cells.to_numpy(dtype=object), string_keys=True)


def method_geopandas(inp: BenchInput, state=None) -> Counts:
    """sjoin(predicate="within") with the R-tree, vectorised H3, pandas groupby."""
    fam = inp.keluarga
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(fam["lon"].to_numpy()[geo_pos], fam["lat"].to_numpy()[geo_pos]),
        crs=4326,
    )
    joined = gpd.sjoin(pts, inp.desa[["geometry"]], how="inner", predicate="within")
    desa_pos = resolve(inp, geo_pos, joined.index.to_numpy(), joined["index_right"].to_numpy())
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, desa_pos, geo_pos, cells)


def prepare_duckdb(inp: BenchInput):
    import duckdb
    import duckdb_extension_spatial
    import pyarrow as pa

    ext = next(
        Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension")
    )
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "threads": 2,
        }
    )
    con.execute(f"LOAD '{ext}'")  # from the wheel: no network
    desa_tbl = pa.table(
        {"d": np.arange(len(inp.desa)), "wkb": shapely.to_wkb(inp.desa.geometry.to_numpy())}
    )
    con.register("desa_wkb", desa_tbl)
    con.execute("CREATE TABLE desa AS SELECT d, ST_GeomFromWKB(wkb) AS geom FROM desa_wkb")
    return con


def method_duckdb(inp: BenchInput, con) -> Counts:
    """DuckDB spatial: ST_Contains join (its SPATIAL_JOIN operator), H3 by h3ronpy (the
    h3 community extension needs the network), pandas groupby."""
    import pyarrow as pa

    fam = inp.keluarga
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    pts = pa.table(
        {
            "i": np.arange(len(geo_pos)),
            "lon": fam["lon"].to_numpy()[geo_pos],
            "lat": fam["lat"].to_numpy()[geo_pos],
        }
    )
    con.register("pts", pts)
    pairs = con.execute(
        "SELECT p.i, d.d FROM pts p JOIN desa d ON ST_Contains(d.geom, ST_Point(p.lon, p.lat))"
    ).fetchnumpy()
    con.unregister("pts")
    desa_pos = resolve(inp, geo_pos, np.asarray(pairs["i"]), np.asarray(pairs["d"]))
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, desa_pos, geo_pos, cells)


def prepare_sedonadb(inp: BenchInput):
    import sedonadb

    sd = sedonadb.connect()
    sd.create_data_frame(
        pd.DataFrame(
            {"d": np.arange(len(inp.desa)), "wkb": shapely.to_wkb(inp.desa.geometry.to_numpy())}
        )
    ).to_view("desa_wkb")
    sd.sql("SELECT d, ST_GeomFromWKB(wkb) AS geom FROM desa_wkb").to_memtable().to_view("desa")
    return sd


def method_sedonadb(inp: BenchInput, sd) -> Counts:
    """SedonaDB: ST_Contains join, H3 by h3ronpy, pandas groupby."""
    import pyarrow as pa

    fam = inp.keluarga
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    pts = pa.table(
        {
            "i": np.arange(len(geo_pos)),
            "lon": fam["lon"].to_numpy()[geo_pos],
            "lat": fam["lat"].to_numpy()[geo_pos],
        }
    )
    sd.create_data_frame(pts).to_view("pts", overwrite=True)
    pairs = sd.sql(
        "SELECT p.i, d.d FROM pts p JOIN desa d ON ST_Contains(d.geom, ST_Point(p.lon, p.lat))"
    ).to_arrow_table()
    desa_pos = resolve(inp, geo_pos, pairs["i"].to_numpy(), pairs["d"].to_numpy())
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, desa_pos, geo_pos, cells)


def method_dask_geopandas(inp: BenchInput, state=None) -> Counts:
    """dask-geopandas: sjoin(within) over 2 partitions and H3 per partition (threads)."""
    import dask
    import dask_geopandas

    fam = inp.keluarga
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    lat = fam["lat"].to_numpy()[geo_pos]
    lon = fam["lon"].to_numpy()[geo_pos]
    pts = gpd.GeoDataFrame(
        {"i": np.arange(len(geo_pos)), "lat": lat, "lon": lon},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    dpts = dask_geopandas.from_geopandas(pts, npartitions=2)
    joined = dask_geopandas.sjoin(dpts, inp.desa[["geometry"]], predicate="within")
    pairs = joined[["i", "index_right"]]
    cells = dpts.map_partitions(
        lambda df: pd.Series(
            h3_cells(df["lat"].to_numpy(), df["lon"].to_numpy(), H3_RES), index=df.index
        ),
        meta=("h3", "uint64"),
    )
    with dask.config.set(scheduler="threads", num_workers=2):
        pairs, cells = dask.compute(pairs, cells)
    desa_pos = resolve(inp, geo_pos, pairs["i"].to_numpy(), pairs["index_right"].to_numpy())
    return counts_pandas(inp, desa_pos, geo_pos, cells.sort_index().to_numpy(np.uint64))


def prepare_postgis(inp: BenchInput, url: str):
    """Load desa and points into PostGIS with GiST indexes (untimed: a loaded database)."""
    import io

    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.execute("DROP TABLE IF EXISTS bench_desa, bench_pts")
    conn.execute(
        "CREATE UNLOGGED TABLE bench_desa (d int PRIMARY KEY, geom geometry(MultiPolygon, 4326))"
    )
    with conn.cursor().copy("COPY bench_desa (d, geom) FROM STDIN") as cp:
        for d, g in enumerate(inp.desa.geometry.to_numpy()):
            g = g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
            # Hex EWKB: the exact coordinates, no text rounding.
            cp.write_row(
                (d, shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True))
            )
    fam = inp.keluarga
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    conn.execute(
        "CREATE UNLOGGED TABLE bench_pts (i int PRIMARY KEY, lon float8, lat float8, "
        "geom geometry(Point, 4326))"
    )
    buf = io.StringIO()
    pd.DataFrame(
        {
            "i": np.arange(len(geo_pos)),
            "lon": fam["lon"].to_numpy()[geo_pos],
            "lat": fam["lat"].to_numpy()[geo_pos],
        }
    ).to_csv(buf, index=False, header=False, float_format="%.17g")
    with conn.cursor().copy("COPY bench_pts (i, lon, lat) FROM STDIN (FORMAT csv)") as cp:
        cp.write(buf.getvalue())
    conn.execute("UPDATE bench_pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    conn.execute("CREATE INDEX ON bench_desa USING gist (geom)")
    conn.execute("CREATE INDEX ON bench_pts USING gist (geom)")
    conn.execute("VACUUM ANALYZE bench_desa")
    conn.execute("VACUUM ANALYZE bench_pts")
    return conn, geo_pos


POSTGIS_PLANS = {
    "default": "SELECT p.i, d.d FROM bench_pts p JOIN bench_desa d ON ST_Contains(d.geom, p.geom)",
    "lateral": (
        "SELECT p.i, d.d FROM bench_desa d CROSS JOIN LATERAL "
        "(SELECT i FROM bench_pts p WHERE ST_Contains(d.geom, p.geom)) p"
    ),
}


def method_postgis(inp: BenchInput, state, plan: str = "default") -> Counts:
    """PostGIS ST_Contains with GiST indexes; pairs fetched by COPY; H3 by h3ronpy."""
    conn, geo_pos = state
    fam = inp.keluarga
    buf = bytearray()
    with conn.cursor().copy(f"COPY ({POSTGIS_PLANS[plan]}) TO STDOUT") as cp:
        for chunk in cp:
            buf += chunk
    pairs = np.loadtxt(io_lines(buf), dtype=np.int64, ndmin=2) if buf else np.zeros((0, 2), int)
    desa_pos = resolve(inp, geo_pos, pairs[:, 0], pairs[:, 1])
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, desa_pos, geo_pos, cells)


def io_lines(buf: bytes):
    import io

    return io.StringIO(bytes(buf).decode())


def prepare_geo_service(inp: BenchInput):
    """The boundary index, built once per boundary version and stored with it (untimed;
    its build time is reported as ``index_build_s``)."""
    from geo_service.analysis.fastjoin import BoundaryIndex, build_boundary_index

    t = time.perf_counter()
    index = build_boundary_index(inp.desa)
    build_s = time.perf_counter() - t
    # As the service would: the stored bytes, read back.
    index = BoundaryIndex.from_bytes(index.to_bytes())
    inp.desa.sindex  # noqa: B018 - the R-tree of the boundaries, also built once
    return index, build_s


def method_geo_service(inp: BenchInput, state) -> Counts:
    """Ours with the stored index: cell-range lookup + exact border path, H3 in threads,
    bincount."""
    from geo_service.analysis.fastjoin import locate_arrays

    index, _ = state
    fam = inp.keluarga
    loc = locate_arrays(
        index,
        fam["lat"].to_numpy(),
        fam["lon"].to_numpy(),
        fam["kode_desa"],
        inp.desa,
        h3_resolution=H3_RES,
    )
    return counts_numpy(
        inp,
        loc.desa,
        loc.geotag,
        loc.h3,
        fam["jumlah_art"].to_numpy(),
        fam["desil"].to_numpy() == 1,
    )


def method_geo_service_cold(inp: BenchInput, state=None) -> Counts:
    """Ours, one-shot: the boundary index and the R-tree of the border path are built
    inside the timed section (a new boundary version analysed once); the index is built
    while H3 runs in the worker threads."""
    from geo_service.analysis.fastjoin import locate_arrays

    fam = inp.keluarga
    loc = locate_arrays(
        None,
        fam["lat"].to_numpy(),
        fam["lon"].to_numpy(),
        fam["kode_desa"],
        inp.desa,
        h3_resolution=H3_RES,
        tree=shapely.STRtree(inp.desa.geometry.to_numpy()),
    )
    return counts_numpy(
        inp,
        loc.desa,
        loc.geotag,
        loc.h3,
        fam["jumlah_art"].to_numpy(),
        fam["desil"].to_numpy() == 1,
    )


def counts_numpy(inp: BenchInput, desa_pos, geotag, cells, jumlah_art, ekstrem) -> Counts:
    """Counts by bincount: desa positions and factorised cells (no groupby)."""
    n_desa = len(inp.desa)
    jiwa = jumlah_art.astype(np.int64)
    jiwa_e = np.where(ekstrem, jiwa, 0)
    keep = desa_pos >= 0
    d = desa_pos[keep]
    cols = {
        "n_keluarga": np.bincount(d, minlength=n_desa),
        "n_jiwa": np.bincount(d, jiwa[keep], minlength=n_desa).astype(np.int64),
        "n_keluarga_ekstrem": np.bincount(d, ekstrem[keep], minlength=n_desa).astype(np.int64),
        "n_jiwa_ekstrem": np.bincount(d, jiwa_e[keep], minlength=n_desa).astype(np.int64),
    }
    by_desa = pd.DataFrame(cols, index=inp.codes)
    by_desa = by_desa[by_desa["n_keluarga"] > 0]
    c = cells[geotag]
    key, uniq = pd.factorize(c, sort=True)
    k = len(uniq)
    by_cell = pd.DataFrame(
        {
            "n_keluarga": np.bincount(key, minlength=k),
            "n_jiwa": np.bincount(key, jiwa[geotag], minlength=k).astype(np.int64),
            "n_keluarga_ekstrem": np.bincount(key, ekstrem[geotag], minlength=k).astype(np.int64),
            "n_jiwa_ekstrem": np.bincount(key, jiwa_e[geotag], minlength=k).astype(np.int64),
        },
        index=np.asarray(uniq, dtype=np.uint64),
    )
    return Counts(by_desa, by_cell)


def reference_counts(inp: BenchInput) -> Counts:
    """The location rule's reference path (R-tree, point by point) + h3 + groupby."""
    from geo_service.analysis.locate import _locate_reference

    fam = inp.keluarga
    loc = _locate_reference(fam, inp.desa)
    pos = pd.Index(inp.codes).get_indexer(loc["kode_desa_lokasi"].fillna("").to_numpy(object))
    geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy() & fam["lon"].notna().to_numpy())
    cells = h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], H3_RES)
    return counts_pandas(inp, pos[geo_pos], geo_pos, cells)


# --- the comparison -------------------------------------------------------------------


def run_comparison(
    inp: BenchInput,
    methods: list[str] | None = None,
    *,
    postgis_url: str | None = None,
    repeat: int = 1,
    say: Callable[[str], None] = print,
) -> list[Result]:
    """Run the methods one after another on ``inp`` and check their counts.

    Each method runs ``repeat`` times; ``seconds`` is the fastest run (the machine is
    shared: the minimum is the least disturbed), ``peak_mb`` the largest peak.

    Returns one :class:`Result` per method (two for PostGIS: default and LATERAL plan);
    ``identical`` is whether the method's counts equal the reference rule's.
    """
    methods = methods or METHODS
    n = len(inp.keluarga)
    say(f"[{inp.dataset}] reference counts (location rule, R-tree path) ...")
    ref = reference_counts(inp)
    results: list[Result] = []

    def timed(name: str, fn, state=None, extra=None, **kw) -> None:
        runs, peaks, same = [], [], True
        for _ in range(max(1, repeat)):
            with PeakRss() as mem:
                t = time.perf_counter()
                counts = fn(inp, state, **kw)
                runs.append(time.perf_counter() - t)
            peaks.append(mem.mb)
            same = same and counts.equals(ref)
            del counts
        extra = dict(extra or {})
        if repeat > 1:
            extra["seconds_runs"] = [round(x, 3) for x in runs]
        results.append(Result(inp.dataset, n, name, min(runs), max(peaks), same, extra=extra))
        say(
            f"  {name:<15} {min(runs):8.2f} s  peak {max(peaks):7.1f} MB  identical={same}"
            + (f"  {extra}" if extra else "")
        )

    for name in methods:
        try:
            if name == "naive":
                timed(name, method_naive)
            elif name == "geopandas":
                timed(name, method_geopandas)
            elif name == "duckdb":
                con = prepare_duckdb(inp)
                timed(name, method_duckdb, con)
                con.close()
            elif name == "sedonadb":
                timed(name, method_sedonadb, prepare_sedonadb(inp))
            elif name == "dask_geopandas":
                timed(name, method_dask_geopandas)
            elif name == "postgis":
                if not postgis_url:
                    reason = (
                        "skipped: no PostGIS URL (--postgis-url or GEO_DATABASE_URL "
                        "postgresql://...)"
                    )
                    say(f"  postgis         {reason}")
                    results.append(Result(inp.dataset, n, name, None, None, None, reason))
                    continue
                state = prepare_postgis(inp, postgis_url)
                for plan in POSTGIS_PLANS:
                    timed(name, method_postgis, state, extra={"plan": plan}, plan=plan)
                state[0].execute("DROP TABLE IF EXISTS bench_desa, bench_pts")
                state[0].close()
            elif name == "geo_service":
                state = prepare_geo_service(inp)
                timed(
                    name,
                    method_geo_service,
                    state,
                    extra={
                        "index_build_s": round(state[1], 2),
                        "index_intervals": state[0].n_intervals,
                    },
                )
            elif name == "geo_service_cold":
                timed(name, method_geo_service_cold)
            else:
                raise ValueError(f"unknown method {name}")
        except ImportError as exc:
            reason = f"skipped: {exc.name or exc} not installed (pip install -e .[bench])"
            say(f"  {name:<15} {reason}")
            results.append(Result(inp.dataset, n, name, None, None, None, reason))
        _trim()
    return results


def table(results: list[Result]) -> pd.DataFrame:
    """Wall time, families/s, peak memory and ratio to the naive baseline per method."""
    rows = []
    for ds in dict.fromkeys(r.dataset for r in results):
        group = [r for r in results if r.dataset == ds]
        base = next((r.seconds for r in group if r.method == "naive" and r.seconds), None)
        all_same = all(r.identical for r in group if r.identical is not None)
        for r in group:
            label = r.method + (f" ({r.extra['plan']})" if "plan" in r.extra else "")
            ok = r.seconds is not None
            rows.append(
                {
                    "dataset": ds,
                    "method": label,
                    "seconds": round(r.seconds, 2) if ok else None,
                    "families_per_s": int(r.n_families / r.seconds) if ok else None,
                    "peak_mb": round(r.peak_mb) if ok else None,
                    "x_naive": (round(base / r.seconds, 1) if ok and base and all_same else None),
                    "identical": r.identical,
                    "note": r.note,
                }
            )
    return pd.DataFrame(rows)
