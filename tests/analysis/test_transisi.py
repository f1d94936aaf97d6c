"""Transitions between periodes: matrix, graduation per desa, rate trends, pocket classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import compute_indicators
from geo_service.analysis import transisi as T
from geo_service.errors import InvalidInputError
from geo_service.io.boundaries import read_bps
from geo_service.synth import calibration_from_bps
from geo_service.synth.panel import PanelParams, generate_panel
from tests.conftest import kendal_kecamatan
from tests.fixtures import DATA

PERIODES = ["2025-03", "2025-09", "2026-03"]


@pytest.fixture(scope="module")
def desa(kendal_desa):
    return kendal_kecamatan(kendal_desa, 3)


@pytest.fixture(scope="module")
def panel(desa):
    calib = calibration_from_bps(read_bps(DATA), "33.24")
    return generate_panel(
        desa,
        calib,
        n_keluarga=4000,
        periodes=PERIODES,
        seed=21,
        params=PanelParams(p_lulus_desil1=0.2, p_pindah=0.03),
    )


def _count(items, key="kode_desa", where=None):
    s = pd.Series([it[key] for it in items if where is None or where(it)], dtype=object)
    return s.value_counts()


def test_panel_is_valid_contract_data_with_unique_ids(panel, desa):
    from geo_service.analysis import validate_keluarga

    for p, snap in panel.snapshots.items():
        check = validate_keluarga(snap, known_desa=desa["kode"])
        assert check.ok, (p, check.counts())
        assert (snap["periode"] == p).all()


def test_transition_counts_equal_the_generator_truth_exactly(panel):
    a, b = PERIODES[0], PERIODES[1]
    step = panel.truth["langkah"][0]
    assert step["jumlah"]["lulus_desil1"] > 20  # the generator really moved families
    g = T.graduation(panel.snapshots[a], panel.snapshots[b]).set_index("unit")
    per_desa = g.drop(index="TOTAL")

    want = {
        "lulus_desil1": _count(step["lulus_desil1"]),
        "turun_ke_desil1": _count(step["jatuh_desil1"]),
        "keluar_desil1": _count(step["meninggal"], where=lambda it: it["desil"] == 1),
        "baru_desil1": _count(step["baru"], where=lambda it: it["desil"] == 1),
        "lulus_desil1_4": pd.concat(
            [
                _count(step["lulus_desil1"], where=lambda it: it["desil_akhir"] >= 5),
                _count(
                    step["geser"], where=lambda it: it["desil_awal"] == 4 and it["desil_akhir"] == 5
                ),
            ]
        )
        .groupby(level=0)
        .sum(),
    }
    for col, truth in want.items():
        got = per_desa[col][per_desa[col] > 0]
        (
            pd.testing.assert_series_equal(
                got.sort_index(),
                truth.sort_index().astype(np.int64),
                check_names=False,
                check_index_type=False,
            ),
            col,
        )
        assert g.loc["TOTAL", col] == truth.sum()

    # The transition matrix equals the generator's own record of desil pairs.
    mat = T.transition_matrix(panel.snapshots[a], panel.snapshots[b])
    for da, row in step["matriks_desil"].items():
        for dz, n in row.items():
            assert mat.loc[str(da), str(dz)] == n
    assert mat.iloc[:10, :10].to_numpy().sum() == sum(
        n for row in step["matriks_desil"].values() for n in row.values()
    )
    assert mat.loc["baru"].sum() == step["jumlah"]["baru"]
    assert mat["keluar"].sum() == step["jumlah"]["meninggal"]
    assert mat.loc["1", "keluar"] == sum(1 for it in step["meninggal"] if it["desil"] == 1)


def test_balance_holds_for_every_desa(panel):
    a, b = PERIODES[1], PERIODES[2]
    g = T.graduation(panel.snapshots[a], panel.snapshots[b])
    for grp in ("desil1", "desil1_4"):
        lhs = g[f"n_{grp}_akhir"]
        rhs = (
            g[f"n_{grp}_awal"]
            - g[f"lulus_{grp}"]
            - g[f"keluar_{grp}"]
            + g[f"turun_ke_{grp}"]
            + g[f"baru_{grp}"]
            + g[f"pindah_masuk_{grp}"]
            - g[f"pindah_keluar_{grp}"]
        )
        assert (lhs == rhs).all(), grp
    total = g.set_index("unit").loc["TOTAL"]
    snap_a, snap_b = panel.snapshots[a], panel.snapshots[b]
    assert total["n_desil1_awal"] == (snap_a["desil"] == 1).sum()
    assert total["n_desil1_akhir"] == (snap_b["desil"] == 1).sum()
    assert total["pindah_masuk_desil1"] == total["pindah_keluar_desil1"]


def test_moves_counted_on_both_sides(panel):
    a, b = PERIODES[0], PERIODES[1]
    step = panel.truth["langkah"][0]
    g = T.graduation(panel.snapshots[a], panel.snapshots[b]).set_index("unit")
    after = panel.snapshots[b].set_index("id_keluarga")["desil"]
    moved_d1 = [it for it in step["pindah"] if after.get(it["id_keluarga"]) == 1]
    out_by = _count(moved_d1, key="kode_desa_awal")
    in_by = _count(moved_d1, key="kode_desa_akhir")
    got_out = g.drop(index="TOTAL")["pindah_keluar_desil1"]
    got_in = g.drop(index="TOTAL")["pindah_masuk_desil1"]
    assert got_out[got_out > 0].sort_index().to_dict() == out_by.sort_index().to_dict()
    assert got_in[got_in > 0].sort_index().to_dict() == in_by.sort_index().to_dict()


def test_matrix_by_hand_with_persons():
    before = pd.DataFrame(
        {
            "id_keluarga": ["a", "b", "c", "d"],
            "desil": [1, 1, 3, 7],
            "jumlah_art": [4, 2, 3, 5],
            "kode_desa": "X",
        }
    )
    after = pd.DataFrame(
        {
            "id_keluarga": ["a", "b", "c", "e"],
            "desil": [1, 2, 1, 1],
            "jumlah_art": [4, 2, 3, 6],
            "kode_desa": "X",
        }
    )
    fam = T.transition_matrix(before, after)
    assert fam.loc["1", "1"] == 1 and fam.loc["1", "2"] == 1 and fam.loc["3", "1"] == 1
    assert fam.loc["7", "keluar"] == 1 and fam.loc["baru", "1"] == 1
    assert fam.to_numpy().sum() == 5
    jiwa = T.transition_matrix(before, after, bobot="jiwa")
    assert jiwa.loc["1", "2"] == 2 and jiwa.loc["baru", "1"] == 6 and jiwa.loc["7", "keluar"] == 5
    g = T.graduation(before, after).set_index("unit").loc["X"]
    assert (
        g["n_desil1_awal"],
        g["lulus_desil1"],
        g["turun_ke_desil1"],
        g["baru_desil1"],
        g["n_desil1_akhir"],
    ) == (2, 1, 1, 1, 3)
    assert g["pct_lulus_desil1"] == 50.0
    assert "1 dari 2 keluarga desil 1 naik desil" in T.graduation_text({"unit": "X", **g.to_dict()})
    with pytest.raises(InvalidInputError):
        T.transition_matrix(pd.concat([before, before.iloc[[0]]]), after)


def test_rate_change_per_desa(panel, desa):
    per = {p: compute_indicators(snap, desa).desa for p, snap in panel.snapshots.items()}
    rc = T.rate_change(per, ambang_pp=1.0)
    assert len(rc) == len(desa)
    first, last = PERIODES[0], PERIODES[-1]
    row = rc.iloc[0]
    assert row["perubahan_pp"] == pytest.approx(row[f"pct_{last}"] - row[f"pct_{first}"], abs=1e-3)
    ok = rc["perubahan_pp"].notna()
    assert ((rc.loc[ok, "tren"] == "turun") == (rc.loc[ok, "perubahan_pp"] <= -1.0)).all()
    # Graduation outpaces falls (p_lulus 0.2 vs p_jatuh 0.02): most desa go down.
    assert (rc["tren"] == "turun").sum() > (rc["tren"] == "naik").sum()
    with pytest.raises(InvalidInputError):
        T.rate_change({first: per[first]})


def _pockets(*specs):
    return pd.DataFrame(
        [{"kantong_id": k, "sel_h3": cells, "n_jiwa_ekstrem": n} for k, cells, n in specs]
    )


def test_pocket_classes_by_hand():
    p1 = _pockets(
        ("K-a1", "c1,c2", 100),
        ("K-b1", "c10", 100),
        ("K-c1", "c20,c21", 200),
        ("K-d1", "c30", 100),
        ("K-f1", "c50", 100),
    )
    p2 = _pockets(
        ("K-a2", "c2,c3", 105),
        ("K-b2", "c10,c11", 150),
        ("K-c2", "c21", 150),
        ("K-d2", "c30", 100),
        ("K-e2", "c40", 80),
    )
    p3 = _pockets(
        ("K-a3", "c3", 110),
        ("K-b3", "c11,c12", 200),
        ("K-c3", "c21,c22", 120),
        ("K-e3", "c40,c41", 90),
        ("K-f3", "c50", 100),
        ("K-g3", "c60", 70),
    )
    out = T.pocket_classes({"2025-03": p1, "2025-09": p2, "2026-03": p3})
    got = {}
    for i, kelas in out["kelas"].items():
        got.setdefault(kelas, []).append(
            out.loc[i, "kantong_2026-03"] or out.loc[i, "kantong_2025-03"]
        )
    assert {k: sorted(v) for k, v in got.items()} == {
        "persisten": ["K-a3"],  # 100 -> 110: +10% only; linked through shared cells c2, c3
        "meluas": ["K-b3"],  # 100 -> 200
        "menyusut": ["K-c3"],  # 200 -> 120
        "baru": ["K-e3", "K-g3"],  # appeared in the 2nd and in the 3rd periode
        "sporadis": ["K-f3"],  # present, absent, present
        "hilang": ["K-d1"],  # gone in the last periode
    }
    by = out.set_index("kantong_2026-03")
    assert by.loc["K-b3", "hadir"] == "1-1-1"
    assert by.loc["K-b3", "perubahan_relatif"] == pytest.approx(1.0)
    assert by.loc["K-f3", "hadir"] == "1-0-1"
    assert by.loc["K-e3", "hadir"] == "0-1-1"
    assert list(out["kelas"]) == sorted(out["kelas"], key=list(T.POCKET_CLASSES).index)
    # Stable ids: same input, same ids; English text on request.
    again = T.pocket_classes({"2025-03": p1, "2025-09": p2, "2026-03": p3}, lang="en")
    assert sorted(again["jejak_id"]) == sorted(out["jejak_id"])
    assert (
        again["keterangan"]
        .str.startswith(("Persistent", "Growing", "Shrinking", "New", "Sporadic", "Gone"))
        .all()
    )
    with pytest.raises(InvalidInputError):
        T.pocket_classes({"a": p1, "b": p2})


def test_pocket_split_and_merge_form_one_track():
    p1 = _pockets(("K-x", "c1,c2,c3", 300))
    p2 = _pockets(("K-y", "c1", 120), ("K-z", "c3", 130))  # split
    p3 = _pockets(("K-w", "c1,c2,c3,c4", 400))  # merged again, larger
    out = T.pocket_classes({"a": p1, "b": p2, "c": p3})
    assert len(out) == 1
    assert out.iloc[0]["n_jiwa_ekstrem_b"] == 250 and out.iloc[0]["kantong_b"] == "K-y;K-z"
    assert out.iloc[0]["kelas"] == "meluas"


def test_cli_transisi(tmp_path, panel, desa):
    from typer.testing import CliRunner

    from geo_service.cli import app
    from geo_service.io.export import write_geojson
    from geo_service.io.panel import write_panel

    files = write_panel(panel, tmp_path / "panel")
    write_geojson(desa, tmp_path / "desa.geojson")
    args = [
        "transisi",
        "--boundaries",
        str(tmp_path / "desa.geojson"),
        "--out",
        str(tmp_path / "out"),
    ]
    for f in files[:-1]:
        args += ["--keluarga", str(f)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    grad = pd.read_csv(out / "graduasi_desa.csv", encoding="utf-8-sig", dtype={"unit": str})
    step = panel.truth["langkah"][0]
    total = grad[(grad["unit"] == "TOTAL") & (grad["dari"] == PERIODES[0])].iloc[0]
    assert total["lulus_desil1"] == step["jumlah"]["lulus_desil1"]
    assert total["turun_ke_desil1"] == step["jumlah"]["jatuh_desil1"]
    mat = pd.read_csv(out / "matriks_transisi.csv", encoding="utf-8-sig", index_col=0)
    assert mat.to_numpy().sum() == len(
        set(panel.snapshots[PERIODES[0]]["id_keluarga"])
        | set(panel.snapshots[PERIODES[-1]]["id_keluarga"])
    )
    assert (out / "tren.html").exists() and (out / "kelas_kantong.csv").exists()
    assert "TOTAL" in r.output
