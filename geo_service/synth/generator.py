"""Synthetic DTSEN family records on real desa polygons, calibrated to BPS figures.

How the BPS figures map to the contract (see also ``data/README.md``):

- ``desil`` is the DTSEN national welfare decile. Nationally desil 1 holds the poorest
  10 % and the BPS poverty rate P0 is 8-10 %, so desil 1 is the register's counterpart of
  the BPS poor. The generator makes the **person share of desil 1** in the kabupaten equal
  to the latest published **P0** (Kendal 2025: 8.40 %). By the contract desil 1 is the
  ``ekstrem`` group, so ``pct_jiwa_ekstrem`` of the whole kabupaten equals P0.
- ``pengeluaran_kapita`` is generated so that the **person share below the latest published
  poverty line** (garis kemiskinan, Kendal 2024: Rp 488,940) also equals P0. The two groups
  overlap but are not the same families: desil comes from a proxy-means score with ranking
  error, as in the real register.
- Desil 2-10 share the remaining persons equally.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same
arguments give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S
from geo_service.analysis.locate import utm_epsg

M_PER_DEG = 111_320.0

# Receipt probability by desil (index 0 = desil 1): PKH, BPNT, PBI-JK, BLT. The tails are
# targeting errors: extreme-poor left out, better-off families receiving.
_PROGRAM_P = {
    "penerima_pkh": [0.60, 0.45, 0.30, 0.16, 0.08, 0.04, 0.03, 0.02, 0.015, 0.01],
    "penerima_bpnt": [0.68, 0.55, 0.36, 0.20, 0.10, 0.05, 0.04, 0.03, 0.02, 0.015],
    "penerima_pbi_jk": [0.85, 0.80, 0.70, 0.58, 0.45, 0.25, 0.18, 0.12, 0.08, 0.05],
    "penerima_blt": [0.22, 0.16, 0.10, 0.06, 0.03, 0.015, 0.01, 0.01, 0.005, 0.005],
}
# Deprivation base rates in the kabupaten and the strength of the link to welfare.
_DEPRIVATION = {
    "rumah_tidak_layak": (0.12, 1.1),
    "tanpa_jamban": (0.07, 1.0),
    "air_minum_tidak_layak": (0.10, 0.8),
    "tanpa_listrik": (0.015, 1.2),
    "kk_tidak_tamat_sd": (0.25, 0.9),
    "anak_tidak_sekolah": (0.06, 1.0),
    "kk_tidak_bekerja": (0.08, 0.9),
}


@dataclass(frozen=True)
class Calibration:
    """BPS figures a synthetic kabupaten is calibrated to."""

    kode_kab: str
    nama: str
    tahun_p0: int
    p0: float  # percent of persons below the poverty line
    tahun_garis: int
    garis_kemiskinan: float  # Rp per person per month
    sumber: str = ""
    bawaan: bool = False  # True: national defaults, no published figure for the kabupaten


# Defaults for a kabupaten without figures in ``data/bps_poverty_figures.csv`` (any of the
# 514 of the national desa layer): the national figures of BPS for March 2025 (Berita Resmi
# Statistik "Profil Kemiskinan di Indonesia Maret 2025"): P0 8.47 % of persons, poverty
# line Rp 609,160 per person per month. A synthetic kabupaten made with them looks like an
# average Indonesian one, not like the real kabupaten; ``truth.json`` says so (``bawaan``).
NATIONAL_P0 = 8.47
NATIONAL_GARIS_KEMISKINAN = 609_160.0
NATIONAL_TAHUN = 2025
NATIONAL_SUMBER = (
    "BPS, Profil Kemiskinan di Indonesia Maret 2025 (angka nasional, bawaan untuk kabupaten "
    "tanpa angka BPS di data/bps_poverty_figures.csv)"
)


def calibration_for(bps: pd.DataFrame, kode_kab: str, *, nama: str | None = None) -> Calibration:
    """BPS figures of ``kode_kab`` when published in ``bps``, else the national defaults."""
    try:
        return calibration_from_bps(bps, kode_kab)
    except KeyError:
        return Calibration(
            kode_kab=kode_kab,
            nama=nama or kode_kab,
            tahun_p0=NATIONAL_TAHUN,
            p0=NATIONAL_P0,
            tahun_garis=NATIONAL_TAHUN,
            garis_kemiskinan=NATIONAL_GARIS_KEMISKINAN,
            sumber=NATIONAL_SUMBER,
            bawaan=True,
        )


def calibration_from_bps(bps: pd.DataFrame, kode_kab: str) -> Calibration:
    """Latest P0 and latest poverty line published for ``kode_kab`` in the BPS table."""
    rows = bps[bps["kode"].astype(str) == kode_kab]
    if rows.empty:
        raise KeyError(kode_kab)
    with_p0 = rows.dropna(subset=["pct_poor"]).sort_values("year")
    with_line = rows.dropna(subset=["poverty_line_rp"]).sort_values("year")
    if with_p0.empty or with_line.empty:
        raise KeyError(kode_kab)
    p0_row, line_row = with_p0.iloc[-1], with_line.iloc[-1]
    return Calibration(
        kode_kab=kode_kab,
        nama=str(p0_row["kab"]),
        tahun_p0=int(p0_row["year"]),
        p0=float(p0_row["pct_poor"]),
        tahun_garis=int(line_row["year"]),
        garis_kemiskinan=float(line_row["poverty_line_rp"]),
        sumber=str(p0_row["source_url"]),
    )


@dataclass
class SyntheticData:
    """Generated rows and the truth about them (planted pockets, corrupted rows, targets)."""

    keluarga: pd.DataFrame
    truth: dict = field(default_factory=dict)


def generate_keluarga(
    desa: gpd.GeoDataFrame,
    calibration: Calibration,
    *,
    n_keluarga: int,
    periode: str,
    seed: int,
    kantong: int = 0,
    rusak: int = 0,
    share_geotag: float = 0.70,
    share_salah_desa: float = 0.03,
    share_dekat_batas: float = 0.005,
    n_jauh: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyntheticData:
    """Generate ``n_keluarga`` families following the household contract.

    Parameters
    ----------
    desa
        Checked desa polygons (EPSG:4326) with ``kode``, ``kode_kec`` and ``jenis``.
    calibration
        BPS figures: desil-1 person share and below-line person share both equal ``p0``.
    n_keluarga
        Number of valid families.
    periode
        Snapshot, ``YYYY-MM``.
    seed
        Seed of every random draw.
    kantong
        Number of planted poverty pockets (known centre and radius, in ``truth``).
    rusak
        Number of corrupted rows added per reason code (their rows listed in ``truth``).
    share_geotag, share_salah_desa, share_dekat_batas
        Share of families geotagged; of geotagged, registered in another desa of the same
        kecamatan; placed up to 240 m outside every outline.
    n_jauh
        Families geotagged far (5-30 km) outside the boundaries; default ``5 + n/100,000``.
    progress
        Called with the number of desa done (for a progress bar).
    """
    if n_keluarga < 1:
        raise ValueError("n_keluarga must be positive")
    rng = np.random.default_rng(seed)
    desa = desa.reset_index(drop=True)
    epsg = utm_epsg(*desa.union_all().centroid.coords[0])
    area_km2 = desa.to_crs(epsg).area.to_numpy() / 1e6

    # 1. Families per desa: skewed sizes, denser kelurahan.
    weight = rng.lognormal(0.0, 0.6, len(desa)) * np.power(area_km2, 0.35)
    if "jenis" in desa.columns:
        weight *= np.where(desa["jenis"].to_numpy() == "kelurahan", 2.5, 1.0)
    per_desa = rng.multinomial(n_keluarga, weight / weight.sum())

    # 2. Dwellings in settlement clusters (dusun) inside each polygon.
    lon, lat, desa_idx, cluster_id = _place(desa, per_desa, area_km2, rng, progress)

    # 3. Spatially autocorrelated welfare: smooth field + kecamatan + desa + dusun effects.
    spatial = _smooth_field(lon, lat, desa.total_bounds, rng)
    kec_codes, kec_idx = np.unique(desa["kode_kec"].to_numpy(), return_inverse=True)
    spatial += rng.normal(0, 0.15, len(kec_codes))[kec_idx][desa_idx]
    spatial += rng.normal(0, 0.2, len(desa))[desa_idx]
    spatial += rng.normal(0, 0.15, cluster_id.max() + 1)[cluster_id]
    level = spatial.mean() - 1.8

    # 4. Planted pockets: within a known radius the local level is replaced by a poor one
    #    (full strength at the centre, half at the edge), whatever the area was before.
    pockets = _plant_pockets(kantong, lon, lat, rng)
    for p in pockets:
        d = _metres(lon, lat, p["lon"], p["lat"])
        inside = d < p["radius_m"]
        w = 1.0 - 0.5 * (d[inside] / p["radius_m"]) ** 2
        spatial[inside] = (1 - w) * spatial[inside] + w * level

    art = np.clip(rng.poisson(2.4, n_keluarga) + 1, 1, 12).astype(np.int16)
    welfare = spatial + rng.normal(0, 1.0, n_keluarga) - 0.08 * (art - 3)

    # 5. Desil from a proxy-means score with ranking error, person-weighted quantiles.
    pmt = welfare + rng.normal(0, 0.35, n_keluarga)
    share = np.r_[calibration.p0 / 100.0, np.full(9, (1 - calibration.p0 / 100.0) / 9)]
    desil = _weighted_classes(pmt, art, np.cumsum(share)[:-1]) + 1

    # 6. Expenditure: log-normal in welfare, person share below the line = P0.
    logp = 0.45 * (welfare - welfare.mean()) / welfare.std()
    cut = _weighted_quantile(logp, art, calibration.p0 / 100.0)
    pengeluaran = np.round(calibration.garis_kemiskinan * np.exp(logp - cut) / 1000.0) * 1000.0
    pengeluaran = np.maximum(pengeluaran, 50_000.0)
    pengeluaran[rng.random(n_keluarga) < 0.2] = np.nan

    cols: dict[str, np.ndarray] = {}
    coverage = rng.lognormal(0.0, 0.25, len(desa))[desa_idx]
    for col, probs in _PROGRAM_P.items():
        p = np.clip(np.asarray(probs)[desil - 1] * coverage, 0, 0.97)
        cols[col] = (rng.random(n_keluarga) < p).astype(np.int8)
    z = (welfare - welfare.mean()) / welfare.std()
    infra = rng.normal(0, 0.5, len(desa))[desa_idx]
    for col, (base, strength) in _DEPRIVATION.items():
        local = infra if col in ("tanpa_jamban", "air_minum_tidak_layak", "tanpa_listrik") else 0
        logit = np.log(base / (1 - base)) - strength * z + local
        cols[col] = (rng.random(n_keluarga) < 1 / (1 + np.exp(-logit))).astype(np.int8)

    # 7. Geotags and their defects.
    kode = desa["kode"].to_numpy(dtype=object)
    registered = kode[desa_idx].copy()
    geotag = rng.random(n_keluarga) < share_geotag
    g = np.flatnonzero(geotag)
    salah = rng.choice(g, int(round(share_salah_desa * len(g))), replace=False)
    registered[salah] = _other_desa_same_kec(desa, desa_idx[salah], rng)
    free = np.setdiff1d(g, salah)
    n_dekat = int(round(share_dekat_batas * len(g)))
    n_jauh = 5 + n_keluarga // 100_000 if n_jauh is None else n_jauh
    moved = rng.choice(free, n_dekat + n_jauh, replace=False)
    dekat, jauh = moved[:n_dekat], moved[n_dekat:]
    union = shapely.union_all(desa.geometry.to_numpy())
    lon[dekat], lat[dekat] = _outside(union, len(dekat), 20.0, 240.0, epsg, rng)
    lon[jauh], lat[jauh] = _outside(union, len(jauh), 5_000.0, 30_000.0, epsg, rng)
    out_lat = np.where(geotag, np.round(lat, 6), np.nan)
    out_lon = np.where(geotag, np.round(lon, 6), np.nan)

    ids = rng.choice(10**10, size=n_keluarga + 9 * rusak, replace=False)
    prefix = calibration.kode_kab.replace(".", "")
    id_str = np.array([f"DTSEN-{prefix}-{i:010d}" for i in ids], dtype=object)
    frame = pd.DataFrame(
        {
            S.ID: id_str[:n_keluarga],
            S.PERIODE: periode,
            S.KODE_DESA: registered,
            "lat": out_lat,
            "lon": out_lon,
            "jumlah_art": art,
            "desil": desil.astype(np.int8),
            "pengeluaran_kapita": pd.array(pengeluaran, dtype="Int64"),
            **cols,
        }
    )
    frame = frame.sort_values(S.KODE_DESA, kind="stable").reset_index(drop=True)

    persons = art.astype(np.int64)
    truth = {
        "seed": seed,
        "periode": periode,
        "kabupaten": calibration.kode_kab,
        "kalibrasi": {
            "p0_persen": calibration.p0,
            "tahun_p0": calibration.tahun_p0,
            "garis_kemiskinan": calibration.garis_kemiskinan,
            "tahun_garis": calibration.tahun_garis,
            "sumber": calibration.sumber,
            "bawaan": calibration.bawaan,
        },
        "target": {
            "pct_jiwa_desil_1": round(100 * persons[desil == 1].sum() / persons.sum(), 3),
            "pct_jiwa_di_bawah_garis": round(
                100
                * persons[
                    np.nan_to_num(pengeluaran, nan=np.inf) < calibration.garis_kemiskinan
                ].sum()
                / persons[~np.isnan(pengeluaran)].sum(),
                3,
            ),
            "toleransi_pp": 0.5,
        },
        "jumlah": {
            "keluarga": n_keluarga,
            "jiwa": int(persons.sum()),
            "geotag": int(geotag.sum()),
            "salah_desa": len(salah),
            "dekat_batas": len(dekat),
            "jauh": len(jauh),
        },
        "kantong": [
            {k: (round(v, 6) if isinstance(v, float) else v) for k, v in p.items()}
            | _pocket_truth(p, lon, lat, geotag, desil, art)
            for p in pockets
        ],
    }
    if rusak:
        frame, truth["rusak"] = _corrupt(frame, rusak, id_str[n_keluarga:], rng)
    return SyntheticData(keluarga=frame, truth=truth)


def _place(desa, per_desa, area_km2, rng, progress):
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


def _smooth_field(lon, lat, bounds, rng, n_bumps=60):
    """A smooth random field: sum of Gaussian bumps, 3-10 km wide, sd about 0.4."""
    minx, miny, maxx, maxy = bounds
    field_ = np.zeros(len(lon))
    cx = rng.uniform(minx, maxx, n_bumps)
    cy = rng.uniform(miny, maxy, n_bumps)
    width_m = rng.uniform(3_000, 10_000, n_bumps)
    amp = rng.normal(0, 0.25, n_bumps)
    for i in range(n_bumps):
        d2 = _metres(lon, lat, cx[i], cy[i]) ** 2
        field_ += amp[i] * np.exp(-d2 / (2 * width_m[i] ** 2))
    return field_


def _metres(lon, lat, lon0, lat0):
    dx = (lon - lon0) * M_PER_DEG * np.cos(np.radians(lat0))
    dy = (lat - lat0) * M_PER_DEG
    return np.hypot(dx, dy)


def _plant_pockets(k, lon, lat, rng):
    pockets: list[dict] = []
    tries = 0
    while len(pockets) < k and tries < 10_000:
        tries += 1
        j = rng.integers(len(lon))
        radius = float(rng.uniform(1_200, 2_200))
        if any(
            _metres(lon[j], lat[j], p["lon"], p["lat"]) < 2.5 * (radius + p["radius_m"])
            for p in pockets
        ):
            continue
        if (_metres(lon, lat, lon[j], lat[j]) < radius).sum() < 300:
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


def _pocket_truth(p, lon, lat, geotag, desil, art):
    inside = _metres(lon, lat, p["lon"], p["lat"]) < p["radius_m"]
    return {
        "n_keluarga": int(inside.sum()),
        "n_keluarga_geotag": int((inside & geotag).sum()),
        "pct_jiwa_desil_1": round(
            100 * art[inside & (desil == 1)].sum() / max(art[inside].sum(), 1), 2
        ),
    }


def _weighted_quantile(x, w, q):
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    return x[order][min(np.searchsorted(cum, q), len(x) - 1)]


def _weighted_classes(x, w, cuts):
    """Class 0..len(cuts) of each value by person-weighted cumulative share."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    cls = np.empty(len(x), dtype=np.int64)
    cls[order] = np.searchsorted(cuts, cum - w[order] / w.sum() / 2)
    return cls


def _other_desa_same_kec(desa, idx, rng):
    kec = desa["kode_kec"].to_numpy()
    kode = desa["kode"].to_numpy(dtype=object)
    out = np.empty(len(idx), dtype=object)
    for n, i in enumerate(idx):
        choices = np.flatnonzero((kec == kec[i]) & (kode != kode[i]))
        if not len(choices):
            choices = np.flatnonzero(kode != kode[i])
        out[n] = kode[rng.choice(choices)]
    return out


def _outside(union, k, min_m, max_m, epsg, rng):
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


def _corrupt(frame, n, fresh_ids, rng):
    """Insert ``n`` rows of every reason code; return the frame and the codes' rows."""
    base = frame.sample(9 * n, random_state=int(rng.integers(2**31))).copy()
    base[S.ID] = fresh_ids[: 9 * n]
    base = base.astype(object)
    kinds = [
        "kolom_wajib_kosong",
        "desil_di_luar_rentang",
        "kode_desa_salah_format",
        "kode_desa_tidak_dikenal",
        "jumlah_art_tidak_valid",
        "koordinat_di_luar_indonesia",
        "koordinat_tertukar",
        "id_keluarga_ganda",
        "periode_salah_format",
    ]
    kind = np.repeat(kinds, n)
    col = base.columns.get_loc
    dup_sources = []
    for r, k in enumerate(kind):
        if k == "kolom_wajib_kosong":
            base.iat[r, col("desil")] = None
        elif k == "desil_di_luar_rentang":
            base.iat[r, col("desil")] = [0, 11, 12][r % 3]
        elif k == "kode_desa_salah_format":
            base.iat[r, col(S.KODE_DESA)] = str(base.iat[r, col(S.KODE_DESA)]).replace(".", "")
        elif k == "kode_desa_tidak_dikenal":
            base.iat[r, col(S.KODE_DESA)] = str(base.iat[r, col(S.KODE_DESA)])[:9] + "9999"
        elif k == "jumlah_art_tidak_valid":
            base.iat[r, col("jumlah_art")] = [0, 45, "dua"][r % 3]
        elif k == "koordinat_di_luar_indonesia":
            base.iat[r, col("lat")], base.iat[r, col("lon")] = 51.5, 0.12
        elif k == "koordinat_tertukar":
            base.iat[r, col("lat")], base.iat[r, col("lon")] = 110.2, -6.95
        elif k == "id_keluarga_ganda":
            src = frame.iat[int(rng.integers(len(frame))), 0]
            dup_sources.append(src)
            base.iat[r, col(S.ID)] = src
        elif k == "periode_salah_format":
            base.iat[r, col(S.PERIODE)] = "03/2025"
    out = frame.astype(object)
    pos = np.sort(rng.choice(len(out) + len(base), len(base), replace=False))
    merged = np.empty(len(out) + len(base), dtype=object)
    is_bad = np.zeros(len(merged), dtype=bool)
    is_bad[pos] = True
    order = np.empty(len(merged), dtype=np.int64)
    order[~is_bad] = np.arange(len(out))
    perm = rng.permutation(len(base))
    order[is_bad] = len(out) + perm
    combined = pd.concat([out, base], ignore_index=True).iloc[order].reset_index(drop=True)
    bad_kind = np.empty(len(combined), dtype=object)
    bad_kind[is_bad] = kind[perm]
    rows: dict[str, list[int]] = {k: [] for k in kinds}
    for i in np.flatnonzero(is_bad):
        rows[bad_kind[i]].append(int(i) + 2)
    ids = combined[S.ID].to_numpy()
    rows["id_keluarga_ganda"] = sorted(
        int(i) + 2 for i in np.flatnonzero(np.isin(ids, dup_sources))
    )
    return combined, rows


#: The family ids the generator writes (``DTSEN-<kode kab without dot>-<10 digits>``);
#: real (pseudonymised) ids look different (``DTSEN-HK-...``).
GENERATED_ID = r"^DTSEN-\d{4}-\d{10}$"


def is_generated(ids: pd.Series) -> bool:
    """Whether every (non-empty) id in ``ids`` has the generator's form, i.e. the families
    are synthetic (recorded as ``sintetis`` with a run, printed on every page of the pack)."""
    ids = pd.Series(ids).dropna().astype(str)
    return bool(len(ids)) and bool(ids.str.match(GENERATED_ID).all())
