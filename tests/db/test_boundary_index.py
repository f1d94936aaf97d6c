"""The fast-join boundary index is stored with the boundaries and reused (both backends)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import compute_indicators
from geo_service.analysis.fastjoin import boundary_fingerprint, build_boundary_index
from geo_service.analysis.locate import FAST_JOIN_MIN_POINTS
from geo_service.db import repo as R
from geo_service.services.imports import import_boundaries
from tests.fixtures import KENDAL_DESA


@pytest.fixture
def kendal(db_engine, db_settings):
    import_boundaries(db_engine, KENDAL_DESA, settings=db_settings)
    with db_engine.connect() as conn:
        return R.desa_of_kabupaten(conn, "33.24", scope=R.Scope.all()).drop(columns="versi_id")


def _families(kendal, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` families at random points over Kendal's bounding box (some outside any desa)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = kendal.total_bounds
    return pd.DataFrame(
        {
            "id_keluarga": [f"k{i}" for i in range(n)],
            "periode": "2025-03",
            "kode_desa": rng.choice(kendal["kode"], n),
            "lat": rng.uniform(miny, maxy, n),
            "lon": rng.uniform(minx, maxx, n),
            "jumlah_art": rng.integers(1, 8, n),
            "desil": rng.integers(1, 11, n),
        }
    )


def test_index_is_built_once_stored_and_reused(db_engine, kendal):
    with db_engine.begin() as conn:
        assert R.boundary_index(conn, "33.24", kendal, scope=R.Scope.all()) is None
        assert (
            R.boundary_index(conn, "33.24", kendal, scope=R.Scope.all(), build_from=10) is None
        )  # too few families to pay off
        built = R.boundary_index(
            conn, "33.24", kendal, scope=R.Scope.all(), build_from=FAST_JOIN_MIN_POINTS
        )
    assert built is not None
    with db_engine.connect() as conn:
        stored = R.boundary_index(conn, "33.24", kendal, scope=R.Scope.all())
    assert stored is not None and stored.to_bytes() == built.to_bytes()


def test_stored_index_gives_the_rule_s_answer(db_engine, kendal):
    with db_engine.begin() as conn:
        R.store_boundary_index(
            conn, "33.24", build_boundary_index(kendal), sidik=boundary_fingerprint(kendal)
        )
    with db_engine.connect() as conn:
        index = R.boundary_index(conn, "33.24", kendal, scope=R.Scope.all())
    fam = _families(kendal, 4000, seed=3)
    with_index = compute_indicators(fam, kendal, index=index)
    reference = compute_indicators(fam, kendal)
    pd.testing.assert_frame_equal(with_index.keluarga, reference.keluarga)


def test_built_index_carries_the_block_table_and_gives_the_same_cells(db_engine, kendal):
    """What an analysis stores is what it then uses: the block table at the run's H3
    resolution, and desa, status and H3 cell of every family as without any index."""
    with db_engine.begin() as conn:
        R.boundary_index(
            conn, "33.24", kendal, scope=R.Scope.all(), build_from=FAST_JOIN_MIN_POINTS
        )
    with db_engine.connect() as conn:
        index = R.boundary_index(conn, "33.24", kendal, scope=R.Scope.all())
    assert index is not None and index.table is not None
    assert index.table.h3_resolution == 8
    fam = _families(kendal, 6000, seed=5)
    with_table = compute_indicators(fam, kendal, index=index)
    reference = compute_indicators(fam, kendal)
    pd.testing.assert_frame_equal(with_table.keluarga, reference.keluarga)
    pd.testing.assert_frame_equal(with_table.h3, reference.h3)


def test_changed_boundaries_never_use_a_stale_index(db_engine, kendal):
    with db_engine.begin() as conn:
        R.boundary_index(
            conn, "33.24", kendal, scope=R.Scope.all(), build_from=FAST_JOIN_MIN_POINTS
        )
    moved = kendal.copy()
    moved["geometry"] = moved.geometry.translate(0.001, 0)
    with db_engine.connect() as conn:
        assert R.boundary_index(conn, "33.24", moved, scope=R.Scope.all()) is None
