"""Small-cell suppression: nothing published (or recoverable from published totals) is 1..k-1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_service.analysis.disclosure import (
    FAMILIES,
    SUPPRESSED_FLAG,
    geography_allowed,
    is_suppressed_role,
    suppress_flat,
    suppress_hierarchy,
)


def _frame(rows: list[tuple[str, int, int, int, int]]) -> pd.DataFrame:
    """Rows of (kode_kec, n_keluarga, n_keluarga_ekstrem, extra persons, extra extreme persons)."""
    recs = []
    for i, (kec, kel, kel_e, extra, extra_e) in enumerate(rows):
        kel_e = min(kel_e, kel)
        extra_e = min(extra_e, extra) if kel_e else 0
        recs.append(
            {
                "kode_desa": f"D{i:03d}",
                "kode_kec": kec,
                "n_keluarga": kel,
                "n_keluarga_ekstrem": kel_e,
                "n_jiwa": kel + extra,
                "n_jiwa_ekstrem": kel_e + extra_e,
            }
        )
    return pd.DataFrame(recs)


def _small(v: float, k: int) -> bool:
    return 1 <= v < k


def _published_values(frame: pd.DataFrame) -> list[float]:
    """Every published count and complement of a released table."""
    out = []
    pub = frame[~frame[SUPPRESSED_FLAG]]
    for part, whole in FAMILIES:
        out += pub[part].astype(float).tolist()
        out += pub[whole].astype(float).tolist()
        out += (pub[whole].astype(float) - pub[part].astype(float)).tolist()
    return out


def _recoverable_sums(raw: pd.DataFrame, rel) -> list[float]:
    """What an attacker recovers by subtracting published values from published totals."""
    areas, groups, total = rel.areas, rel.groups, rel.total
    sums = []
    if bool(total[SUPPRESSED_FLAG].iloc[0]):
        return sums
    hidden_groups = set(groups.loc[groups[SUPPRESSED_FLAG], "kode_kec"])
    for part, whole in FAMILIES:
        for col in (part, "complement"):

            def val(frame, c=col, p=part, w=whole):
                return (
                    (frame[w].astype(float) - frame[p].astype(float))
                    if c == "complement"
                    else frame[c].astype(float)
                )

            t = float(val(total).iloc[0])
            # 1. hidden desa of each published kecamatan: kecamatan total - published desa
            for _, g in groups[~groups[SUPPRESSED_FLAG]].iterrows():
                members = areas[areas["kode_kec"] == g["kode_kec"]]
                pub = members[~members[SUPPRESSED_FLAG]]
                gv = float(val(g.to_frame().T).iloc[0])
                sums.append(gv - float(val(pub).sum()))
            # 2. hidden kecamatan together: total - published kecamatan
            pub_g = groups[~groups[SUPPRESSED_FLAG]]
            sums.append(t - float(val(pub_g).sum()))
            # 3. hidden desa in hidden kecamatan: (2) - their published desa
            inner = areas[areas["kode_kec"].isin(hidden_groups) & ~areas[SUPPRESSED_FLAG]]
            sums.append(t - float(val(pub_g).sum()) - float(val(inner).sum()))
            # 4. each hidden kecamatan whose desa are all published is exactly known
            for kec in hidden_groups:
                members = areas[areas["kode_kec"] == kec]
                if not members[SUPPRESSED_FLAG].any():
                    sums.append(float(val(members).sum()))
    return sums


row = st.tuples(
    st.sampled_from(["K1", "K2", "K3", "K4"]),
    st.integers(0, 60),
    st.integers(0, 30),
    st.integers(0, 80),
    st.integers(0, 40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=14), k=st.sampled_from([3, 5, 10]))
def test_nothing_published_or_recoverable_is_small(rows, k):
    raw = _frame(rows)
    rel = suppress_hierarchy(raw, group="kode_kec", k=k)
    for table in (rel.areas, rel.groups, rel.total):
        bad = [v for v in _published_values(table) if _small(v, k)]
        assert not bad, f"published small values {bad}"
    bad = [v for v in _recoverable_sums(raw, rel) if _small(v, k)]
    assert not bad, f"recoverable small sums {bad}"
    # Published numbers are the true numbers (suppression hides, never alters).
    pub = rel.areas[~rel.areas[SUPPRESSED_FLAG]]
    merged = pub.merge(raw, on="kode_desa", suffixes=("", "_raw"))
    for c in ("n_keluarga", "n_jiwa_ekstrem"):
        assert (merged[c].astype(int) == merged[f"{c}_raw"]).all()
    # Group totals are the sums of their areas.
    truth = raw.groupby("kode_kec")["n_keluarga"].sum()
    for _, g in rel.groups[~rel.groups[SUPPRESSED_FLAG]].iterrows():
        assert int(g["n_keluarga"]) == int(truth[g["kode_kec"]])


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=20))
def test_flat_cells_protected_against_total(rows):
    raw = _frame(rows).drop(columns="kode_kec")
    rel = suppress_flat(raw, k=10)
    assert not [v for v in _published_values(rel.areas) if _small(v, 10)]
    if not rel.total[SUPPRESSED_FLAG].iloc[0]:
        pub = rel.areas[~rel.areas[SUPPRESSED_FLAG]]
        for part, whole in FAMILIES:
            hidden_part = float(rel.total[part].iloc[0]) - float(pub[part].astype(float).sum())
            hidden_comp = (
                float(rel.total[whole].iloc[0])
                - float(rel.total[part].iloc[0])
                - float((pub[whole].astype(float) - pub[part].astype(float)).sum())
            )
            assert not _small(hidden_part, 10) and not _small(hidden_comp, 10)


def test_single_small_desa_gets_a_complementary_partner():
    raw = _frame([("K1", 200, 4, 500, 8), ("K1", 300, 40, 700, 60), ("K1", 250, 30, 600, 50)])
    rel = suppress_hierarchy(raw, group="kode_kec", k=10)
    hidden = rel.areas[SUPPRESSED_FLAG].tolist()
    assert hidden[0] is True or hidden[0] == 1
    assert sum(hidden) == 2, "the small desa and exactly one partner are hidden"
    assert not rel.groups[SUPPRESSED_FLAG].iloc[0]
    assert pd.isna(rel.areas.loc[0, "pct_jiwa_ekstrem"])


def test_large_counts_are_all_published():
    raw = _frame([("K1", 200, 40, 500, 80), ("K2", 300, 40, 700, 60)])
    rel = suppress_hierarchy(raw, group="kode_kec", k=10)
    assert not rel.areas[SUPPRESSED_FLAG].any()
    assert not rel.groups[SUPPRESSED_FLAG].any()
    assert int(rel.total["n_jiwa_ekstrem"].iloc[0]) == 40 + 80 + 40 + 60


def test_zero_extreme_is_published_but_complement_small_is_not():
    raw = _frame([("K1", 200, 0, 500, 0), ("K1", 12, 9, 30, 5), ("K1", 400, 40, 900, 60)])
    rel = suppress_hierarchy(raw, group="kode_kec", k=10)
    flags = rel.areas[SUPPRESSED_FLAG].tolist()
    assert flags[1], "3 non-extreme families (complement) must be hidden"
    assert flags[0] or int(rel.areas.loc[0, "n_keluarga_ekstrem"]) == 0


@pytest.mark.parametrize(
    ("role", "geo", "allowed"),
    [
        ("publik", "desa", True),
        ("publik", "kecamatan", True),
        ("publik", "h3", False),
        ("opd", "h3", False),  # changed on purpose (issue 12): one family for opd too
        ("opd", "desa", True),
        ("analis", "h3", True),
    ],
)
def test_public_role_gets_one_geography_family(role, geo, allowed):
    assert geography_allowed(role, geo, publik_geography="desa") is allowed


def test_public_role_on_h3_family():
    assert geography_allowed("publik", "h3", publik_geography="h3")
    assert not geography_allowed("publik", "desa", publik_geography="h3")


def test_suppressed_roles():
    assert is_suppressed_role("publik") and is_suppressed_role("opd")
    assert not is_suppressed_role("analis") and not is_suppressed_role("admin")


def test_unprotected_counts_dropped():
    raw = _frame([("K1", 200, 40, 500, 80)]).assign(n_keluarga_geotag=3)
    rel = suppress_hierarchy(raw, group="kode_kec")
    assert "n_keluarga_geotag" not in rel.areas.columns
    assert np.isfinite(float(rel.areas["pct_jiwa_ekstrem"].iloc[0]))
