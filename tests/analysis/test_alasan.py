"""Priority reasons as language-free facts: a run made in one language answers in the
other (issue 14), with the one number formatter of each language."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo_service.analysis.alasan import localise_priorities, render_reason
from geo_service.analysis.prioritas import compute_priorities
from tests.analysis.test_prioritas import fixture_result  # noqa: F401


def _priorities(fixture_result, lang, pockets=False):  # noqa: F811
    fam = fixture_result.keluarga
    pid = np.full(len(fam), None, dtype=object)
    in_pocket = np.zeros(len(fam), dtype=bool)
    if pockets:  # families of the first desa in one pocket
        first = fam["kode_desa_lokasi"] == fam["kode_desa_lokasi"].iloc[0]
        pid[first.to_numpy()] = "K-0123456789"
        in_pocket = first.to_numpy()
    import pandas as pd

    table = pd.DataFrame(
        {"kantong_id": ["K-0123456789"], "nomor": [1], "risiko_relatif": [5.24], "p_value": [3e-5]}
    )
    return compute_priorities(
        fam,
        fixture_result.desa,
        in_pocket=in_pocket,
        pocket_of_family=pid,
        bootstrap=50,
        n_teratas=5,
        seed=1,
        lang=lang,
        pockets=table if pockets else None,
    )


@pytest.mark.parametrize("pockets", [False, True])
def test_a_run_in_one_language_answers_in_the_other(fixture_result, pockets):  # noqa: F811
    made_id = _priorities(fixture_result, "id", pockets)
    made_en = _priorities(fixture_result, "en", pockets)
    # The facts do not depend on the run's language.
    assert made_id["alasan_data"].tolist() == made_en["alasan_data"].tolist()
    for lang, same in (("en", made_en), ("id", made_id)):
        for source in (made_id, made_en):
            out = localise_priorities(source, lang)
            assert "alasan_data" not in out.columns
            assert out["alasan"].tolist() == same["alasan"].tolist()
            assert out["status_keterangan"].tolist() == same["status_keterangan"].tolist()
            assert out["kuadran_keterangan"].tolist() == same["kuadran_keterangan"].tolist()
    first = made_id.iloc[0]
    assert "tingkat kemiskinan ekstrem 30,0 %" in first.alasan
    assert "extreme-poverty rate 30.0%" in made_en.iloc[0].alasan
    if pockets:
        cited = made_id["alasan"].str.contains(
            "Kantong 1 (K-0123456789; risiko relatif 5,2x", regex=False
        )
        assert cited.any()
        cited_en = made_en["alasan"].str.contains(
            "Pocket 1 (K-0123456789; relative risk 5.2x", regex=False
        )
        assert cited_en.any()


def test_tables_stored_before_the_facts_keep_their_text(fixture_result):  # noqa: F811
    old = _priorities(fixture_result, "id").drop(columns="alasan_data")
    out = localise_priorities(old, "en")
    assert out["alasan"].tolist() == old["alasan"].tolist()  # no facts: text as stored
    assert out["status_keterangan"].iloc[0] != old["status_keterangan"].iloc[0]  # from codes


def test_render_numbers_per_language():
    facts = [
        ["jumlah", {"n": 6838, "pos": 1, "n_aktif": 286}],
        ["celah", {"pkh": 40.2, "bpnt": 12.0, "pbi": 3.0}],
        ["rasio", {"r": 2.5}],
        ["peringkat", {"rank": 1, "pct": 90, "lo": 1, "hi": 3, "n": 10, "p": 97.0}],
    ]
    id_ = render_reason(json.dumps(facts), "id")
    en = render_reason(facts, "en")
    assert id_ == (
        "6.838 jiwa miskin ekstrem (terbanyak ke-1 dari 286 desa); keluarga miskin ekstrem yang "
        "tidak menerima PKH 40 %, BPNT 12 %, PBI-JK 3 %; tingkat 2,5x kabupaten. Peringkat 1 "
        "(rentang 90 %: 1-3); masuk 10 teratas pada 97 % ulangan bootstrap."
    )
    assert en.startswith("6,838 persons in extreme poverty (rank 1 of 286 villages by number)")
    assert "PKH 40%, BPNT 12%" in en and en.endswith("in 97% of bootstrap replicates.")
    assert render_reason([], "en") == "no families"
