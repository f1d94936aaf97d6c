"""Counts per desa and H3 cell against a hand count."""

import h3
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis.aggregate import desa_indicators, h3_indicators
from tests.fixtures import location_desa

A, B, C = "33.99.01.2001", "33.99.01.2002", "33.99.01.2003"


def _families():
    c1 = h3.str_to_int(h3.latlng_to_cell(-7.0, 110.0, 8))
    c2 = h3.str_to_int(h3.latlng_to_cell(-7.1, 110.2, 8))
    return (
        pd.DataFrame(
            {
                # cell 1: B twice, A twice (tie: lowest code A), C once; cell 2: outside only
                "kode_desa_lokasi": pd.array([B, A, B, A, C, pd.NA, pd.NA, C], dtype="string"),
                "lat": [-7.0] * 7 + [np.nan],
                "lokasi_tidak_sesuai": [True, False, False, False, True, False, False, False],
                "jumlah_art": [1, 2, 3, 4, 5, 6, 7, 8],
            }
        ),
        np.array([True, False, True, False, False, True, False, True]),
        np.array([c1, c1, c1, c1, c1, c2, c2, 0], dtype=np.uint64),
    )


def test_desa_counts_by_hand():
    fam, ek, _ = _families()
    got = desa_indicators(fam, ek, location_desa()).set_index("kode_desa")
    assert got.loc[A, ["n_keluarga", "n_jiwa", "n_jiwa_ekstrem"]].tolist() == [2, 6, 0]
    assert got.loc[
        B, ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
    ].tolist() == [
        2,
        4,
        2,
        4,
    ]
    assert got.loc[C, ["n_keluarga", "n_keluarga_geotag", "n_lokasi_tidak_sesuai"]].tolist() == [
        2,
        1,
        1,
    ]
    assert got.loc[B, "pct_jiwa_ekstrem"] == 100.0
    assert np.isnan(got.loc["33.99.02.2004", "pct_jiwa_ekstrem"])  # no family
    assert int(got["n_jiwa"].sum()) == 1 + 2 + 3 + 4 + 5 + 8  # outside families in no desa


def test_cells_counts_dominant_desa_and_hexagons():
    fam, ek, cells = _families()
    got = h3_indicators(fam, ek, cells).set_index("h3")
    c1, c2 = (h3.int_to_str(int(c)) for c in cells[[0, 5]])
    assert got.loc[c1, ["n_keluarga", "n_jiwa", "n_jiwa_ekstrem"]].tolist() == [5, 15, 4]
    assert got.loc[c2, ["n_keluarga", "n_jiwa", "n_jiwa_ekstrem"]].tolist() == [2, 13, 6]
    assert got.loc[c1, "kode_desa_utama"] == A  # 2 vs 2 with B: the lowest code
    assert pd.isna(got.loc[c2, "kode_desa_utama"])  # only families outside every desa
    hexagon = shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c1)])
    assert got.loc[c1, "geometry"].equals(hexagon)
    parent = h3_indicators(fam, ek, cells, resolution=6)
    assert parent["n_keluarga"].sum() == 7 and set(parent["resolusi"]) == {6}
