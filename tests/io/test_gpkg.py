"""GeoPackage exports (geo_service.io.gpkg): version 1.2, whole field names and whole list
values (what a Shapefile export cut), one geometry type per layer, attribute tables."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import MultiPolygon, box

from geo_service.io.gpkg import gpkg_bytes, write_gpkg


def test_layers_names_and_lists_stay_whole(tmp_path):
    many = [f"33.24.{i:02d}.{2000 + i}" for i in range(40)]  # > 254 characters joined
    pockets = gpd.GeoDataFrame(
        {
            "kantong_id": ["K01", "K02"],
            "n_jiwa_ekstrem_harapan": [12.5, 3.0],  # longer than a .dbf's 10 characters
            "desa_dalam_kantong": [many, ["33.24.01.2001"]],
        },
        geometry=[box(110, -7, 110.1, -6.9), MultiPolygon([box(110.2, -7, 110.3, -6.9)])],
        crs=4326,
    )
    table = pd.DataFrame({"peringkat": [1, 2], "kode_desa": ["33.24.01.2001", "33.24.01.2002"]})
    path = write_gpkg({"kantong": pockets, "prioritas": table}, tmp_path / "hasil.gpkg")
    assert dict(pyogrio.list_layers(path)) == {"kantong": "MultiPolygon", "prioritas": None}
    back = pyogrio.read_dataframe(path, layer="kantong")
    assert "n_jiwa_ekstrem_harapan" in back.columns
    assert back["desa_dalam_kantong"].iloc[0] == "; ".join(many)
    assert len(back["desa_dalam_kantong"].iloc[0]) > 254
    assert set(back.geom_type) == {"MultiPolygon"}
    assert back.geometry.iloc[0].equals(MultiPolygon([box(110, -7, 110.1, -6.9)]))
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    con.close()


def test_gpkg_bytes_is_a_readable_download(tmp_path):
    frame = gpd.GeoDataFrame({"k": ["a"]}, geometry=[box(110, -7, 110.1, -6.9)], crs=4326)
    data = gpkg_bytes({"desa": frame})
    assert data[:16] == b"SQLite format 3\x00"
    (tmp_path / "x.gpkg").write_bytes(data)
    assert pyogrio.read_dataframe(tmp_path / "x.gpkg", layer="desa")["k"].tolist() == ["a"]
