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
from geo_service.synth.calibration import (
    NATIONAL_GARIS_KEMISKINAN,
    NATIONAL_P0,
    NATIONAL_SUMBER,
    NATIONAL_TAHUN,
    Calibration,
    calibration_for,
    calibration_from_bps,
)
from geo_service.synth.placement import (
    metres,
    other_desa_same_kec,
    outside,
    place,
    plant_pockets,
    pocket_truth,
    smooth_field,
)
from geo_service.synth.rusak import corrupt

__all__ = [
    "NATIONAL_GARIS_KEMISKINAN",
    "NATIONAL_P0",
    "NATIONAL_SUMBER",
    "NATIONAL_TAHUN",
    "Calibration",
    "SyntheticData",
    "calibration_for",
    "calibration_from_bps",
    "generate_keluarga",
    "is_generated",
]

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
    union = shapely.union_all(desa.geometry.to_numpy())  # once: the UTM zone and step 7
    epsg = utm_epsg(*union.centroid.coords[0])
    area_km2 = desa.to_crs(epsg).area.to_numpy() / 1e6

    # 1. Families per desa: skewed sizes, denser kelurahan.
    weight = rng.lognormal(0.0, 0.6, len(desa)) * np.power(area_km2, 0.35)
    if "jenis" in desa.columns:
        weight *= np.where(desa["jenis"].to_numpy() == "kelurahan", 2.5, 1.0)
    per_desa = rng.multinomial(n_keluarga, weight / weight.sum())

    # 2. Dwellings in settlement clusters (dusun) inside each polygon.
    lon, lat, desa_idx, cluster_id = place(desa, per_desa, area_km2, rng, progress)

    # 3.-4. Welfare with planted pockets; 5.-6. desil and expenditure.
    art, welfare, pockets = _welfare(desa, lon, lat, desa_idx, cluster_id, kantong, rng)
    desil, pengeluaran = _desil_and_expenditure(welfare, art, calibration, rng)
    cols = _programmes_and_deprivation(welfare, desil, desa_idx, len(desa), rng)

    # 7. Geotags and their defects.
    registered, geotag, defects = _geotags(
        desa,
        desa_idx,
        lon,
        lat,
        (union, epsg),
        rng,
        share_geotag,
        share_salah_desa,
        share_dekat_batas,
        5 + n_keluarga // 100_000 if n_jauh is None else n_jauh,
    )
    ids = rng.choice(10**10, size=n_keluarga + 9 * rusak, replace=False)
    prefix = calibration.kode_kab.replace(".", "")
    id_str = np.array([f"DTSEN-{prefix}-{i:010d}" for i in ids], dtype=object)
    frame = pd.DataFrame(
        {
            S.ID: id_str[:n_keluarga],
            S.PERIODE: periode,
            S.KODE_DESA: registered,
            "lat": np.where(geotag, np.round(lat, 6), np.nan),
            "lon": np.where(geotag, np.round(lon, 6), np.nan),
            "jumlah_art": art,
            "desil": desil.astype(np.int8),
            "pengeluaran_kapita": pd.array(pengeluaran, dtype="Int64"),
            **cols,
        }
    )
    frame = frame.sort_values(S.KODE_DESA, kind="stable").reset_index(drop=True)
    truth = {
        "seed": seed,
        "periode": periode,
        "kabupaten": calibration.kode_kab,
        **_truth(calibration, art, desil, pengeluaran, geotag, defects),
        "kantong": [
            {k: (round(v, 6) if isinstance(v, float) else v) for k, v in p.items()}
            | pocket_truth(p, lon, lat, geotag, desil, art)
            for p in pockets
        ],
    }
    if rusak:
        frame, truth["rusak"] = corrupt(frame, rusak, id_str[n_keluarga:], rng)
    return SyntheticData(keluarga=frame, truth=truth)


def _welfare(desa, lon, lat, desa_idx, cluster_id, kantong, rng):
    """Persons per family, welfare and the planted pockets (steps 3-4)."""
    # 3. Spatially autocorrelated welfare: smooth field + kecamatan + desa + dusun effects.
    spatial = smooth_field(lon, lat, desa.total_bounds, rng)
    kec_codes, kec_idx = np.unique(desa["kode_kec"].to_numpy(), return_inverse=True)
    spatial += rng.normal(0, 0.15, len(kec_codes))[kec_idx][desa_idx]
    spatial += rng.normal(0, 0.2, len(desa))[desa_idx]
    spatial += rng.normal(0, 0.15, cluster_id.max() + 1)[cluster_id]
    level = spatial.mean() - 1.8

    # 4. Planted pockets: within a known radius the local level is replaced by a poor one
    #    (full strength at the centre, half at the edge), whatever the area was before.
    pockets = plant_pockets(kantong, lon, lat, rng)
    for p in pockets:
        d = metres(lon, lat, p["lon"], p["lat"])
        inside = d < p["radius_m"]
        w = 1.0 - 0.5 * (d[inside] / p["radius_m"]) ** 2
        spatial[inside] = (1 - w) * spatial[inside] + w * level

    n = len(lon)
    art = np.clip(rng.poisson(2.4, n) + 1, 1, 12).astype(np.int16)
    welfare = spatial + rng.normal(0, 1.0, n) - 0.08 * (art - 3)
    return art, welfare, pockets


def _desil_and_expenditure(welfare, art, calibration: Calibration, rng):
    """Desil and expenditure per family, both calibrated to P0 (steps 5-6)."""
    n = len(welfare)
    # 5. Desil from a proxy-means score with ranking error, person-weighted quantiles.
    pmt = welfare + rng.normal(0, 0.35, n)
    share = np.r_[calibration.p0 / 100.0, np.full(9, (1 - calibration.p0 / 100.0) / 9)]
    desil = _weighted_classes(pmt, art, np.cumsum(share)[:-1]) + 1

    # 6. Expenditure: log-normal in welfare, person share below the line = P0.
    logp = 0.45 * (welfare - welfare.mean()) / welfare.std()
    cut = _weighted_quantile(logp, art, calibration.p0 / 100.0)
    pengeluaran = np.round(calibration.garis_kemiskinan * np.exp(logp - cut) / 1000.0) * 1000.0
    pengeluaran = np.maximum(pengeluaran, 50_000.0)
    pengeluaran[rng.random(n) < 0.2] = np.nan
    return desil, pengeluaran


def _programmes_and_deprivation(welfare, desil, desa_idx, n_desa: int, rng):
    """Programme receipt (with targeting errors) and deprivation flags per family."""
    n = len(welfare)
    cols: dict[str, np.ndarray] = {}
    coverage = rng.lognormal(0.0, 0.25, n_desa)[desa_idx]
    for col, probs in _PROGRAM_P.items():
        p = np.clip(np.asarray(probs)[desil - 1] * coverage, 0, 0.97)
        cols[col] = (rng.random(n) < p).astype(np.int8)
    z = (welfare - welfare.mean()) / welfare.std()
    infra = rng.normal(0, 0.5, n_desa)[desa_idx]
    for col, (base, strength) in _DEPRIVATION.items():
        local = infra if col in ("tanpa_jamban", "air_minum_tidak_layak", "tanpa_listrik") else 0
        logit = np.log(base / (1 - base)) - strength * z + local
        cols[col] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return cols


def _geotags(
    desa, desa_idx, lon, lat, outline, rng, share_geotag, share_salah_desa, share_dekat, n_jauh
):
    """Registered desa, geotag flags and the geotag defects (step 7); moves the points of
    the families placed outside the boundaries in ``lon``/``lat``."""
    kode = desa["kode"].to_numpy(dtype=object)
    registered = kode[desa_idx].copy()
    geotag = rng.random(len(lon)) < share_geotag
    g = np.flatnonzero(geotag)
    salah = rng.choice(g, int(round(share_salah_desa * len(g))), replace=False)
    registered[salah] = other_desa_same_kec(desa, desa_idx[salah], rng)
    free = np.setdiff1d(g, salah)
    n_dekat = int(round(share_dekat * len(g)))
    moved = rng.choice(free, n_dekat + n_jauh, replace=False)
    dekat, jauh = moved[:n_dekat], moved[n_dekat:]
    union, epsg = outline  # the union of the desa (made once) and its UTM zone
    lon[dekat], lat[dekat] = outside(union, len(dekat), 20.0, 240.0, epsg, rng)
    lon[jauh], lat[jauh] = outside(union, len(jauh), 5_000.0, 30_000.0, epsg, rng)
    return registered, geotag, {"salah_desa": salah, "dekat_batas": dekat, "jauh": jauh}


def _truth(calibration: Calibration, art, desil, pengeluaran, geotag, defects) -> dict:
    """The calibration, the targets reached and the counts (``truth.json``)."""
    persons = art.astype(np.int64)
    below = np.nan_to_num(pengeluaran, nan=np.inf) < calibration.garis_kemiskinan
    return {
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
                100 * persons[below].sum() / persons[~np.isnan(pengeluaran)].sum(), 3
            ),
            "toleransi_pp": 0.5,
        },
        "jumlah": {
            "keluarga": len(art),
            "jiwa": int(persons.sum()),
            "geotag": int(geotag.sum()),
            **{k: len(v) for k, v in defects.items()},
        },
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


#: The family ids the generator writes (``DTSEN-<kode kab without dot>-<10 digits>``);
#: real (pseudonymised) ids look different (``DTSEN-HK-...``).
GENERATED_ID = r"^DTSEN-\d{4}-\d{10}$"


def is_generated(ids: pd.Series) -> bool:
    """Whether every (non-empty) id in ``ids`` has the generator's form, i.e. the families
    are synthetic (recorded as ``sintetis`` with a run, printed on every page of the pack)."""
    ids = pd.Series(ids).dropna().astype(str)
    return bool(len(ids)) and bool(ids.str.match(GENERATED_ID).all())
