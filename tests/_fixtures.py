"""Hand-built test data with answers worked out by hand (shared by several test modules)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon, box

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
KENDAL_DESA = DATA / "boundaries" / "desa_33.24_kendal.geojson"

# Local metric frame: UTM 49S, near Kendal. Polygons are drawn in metres, then reprojected.
UTM = 32749
X0, Y0 = 420_000.0, 9_230_000.0

A, B, C, D, E = ("33.99.01.2001", "33.99.01.2002", "33.99.01.2003", "33.99.02.2004",
                 "33.99.02.2005")


def _sq(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def location_desa() -> gpd.GeoDataFrame:
    """Five desa: A and B overlap (x 900-1000), a 100 m gap between A and C, D has a
    400 m square hole, E has a far island 19 km away."""
    hole = Polygon(_sq(2500, 0, 3500, 1000).exterior.coords,
                   [_sq(2800, 300, 3200, 700).exterior.coords])
    geoms = [
        _sq(0, 0, 1000, 1000),
        _sq(900, 0, 1900, 1000),
        _sq(0, 1100, 1000, 2100),
        hole,
        MultiPolygon([_sq(2500, 1100, 3500, 2100), _sq(20_000, 20_000, 20_500, 20_500)]),
    ]
    gdf = gpd.GeoDataFrame(
        {"kode": [A, B, C, D, E], "nama": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
         "kode_kec": [A[:8], B[:8], C[:8], D[:8], E[:8]],
         "nama_kec": ["Satu", "Satu", "Satu", "Dua", "Dua"],
         "kode_kab": "33.99", "nama_kab": "Kabupaten Uji", "jenis": "desa"},
        geometry=geoms, crs=UTM,
    )
    return gdf.to_crs(4326)


# (name, x, y, registered, expected desa, expected status, lokasi_tidak_sesuai, distance m)
LOCATION_CASES = [
    ("inside_A", 500, 500, A, A, "dalam_desa", False, 0.0),
    ("only_B_registered_A", 1400, 500, A, B, "dalam_desa", True, 0.0),
    ("overlap_registered_B", 950, 500, B, B, "tumpang_tindih", False, 0.0),
    ("overlap_registered_A", 950, 500, A, A, "tumpang_tindih", False, 0.0),
    ("overlap_registered_elsewhere_lowest", 950, 500, C, A, "tumpang_tindih", True, 0.0),
    ("gap_nearer_A", 500, 1040, C, A, "terdekat", True, 40.0),
    ("gap_tie_registered_C", 500, 1050, C, C, "terdekat", False, 50.0),
    ("gap_tie_registered_elsewhere_lowest", 500, 1050, E, A, "terdekat", True, 50.0),
    ("hole_of_D", 3000, 500, D, D, "terdekat", False, 200.0),
    ("far_island_E", 20_250, 20_250, E, E, "dalam_desa", False, 0.0),
    ("below_A_240m", 500, -240, A, A, "terdekat", False, 240.0),
    ("below_A_260m_outside", 500, -260, A, None, "di_luar_batas", False, np.nan),
    ("far_outside", 10_000, -9_000, B, None, "di_luar_batas", False, np.nan),
    ("no_geotag", None, None, C, C, "tanpa_geotag", False, np.nan),
]


def location_families() -> pd.DataFrame:
    xs = [np.nan if c[1] is None else X0 + c[1] for c in LOCATION_CASES]
    ys = [np.nan if c[2] is None else Y0 + c[2] for c in LOCATION_CASES]
    pts = gpd.GeoSeries.from_xy(xs, ys, crs=UTM).to_crs(4326)
    geotag = ~np.isnan(xs)
    return pd.DataFrame({
        "id_keluarga": [c[0] for c in LOCATION_CASES],
        "periode": "2025-03",
        "kode_desa": [c[3] for c in LOCATION_CASES],
        "lat": np.where(geotag, pts.y, np.nan),
        "lon": np.where(geotag, pts.x, np.nan),
        "jumlah_art": np.arange(1, len(LOCATION_CASES) + 1),
        "desil": [1, 2] * (len(LOCATION_CASES) // 2) + [1] * (len(LOCATION_CASES) % 2),
    })
