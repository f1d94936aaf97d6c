"""Transitions (transisi) of families between two periodes of a kabupaten, for a caller."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geo_service.analysis import transisi as T
from geo_service.db import repo as R
from geo_service.errors import InvalidInputError
from geo_service.services.audit import Caller, scope_of
from geo_service.services.runs import latest_run_or_none, run_table, table_or_none


def transitions(
    session: Session, user: Caller, kode_kab: str, periodes: list[str] | None, lang: str
) -> dict[str, Any]:
    """Families of two or more periodes side by side (matched by ``id_keluarga``): desil
    transition matrix first -> last, graduation per desa for each pair, the change of the
    extreme-poverty rate per desa and pocket classes from stored runs when every periode has
    one. Household-level read: the caller records the audit."""

    scope = scope_of(user)
    scope.check(kode_kab)
    if not periodes:
        snaps = R.list_snapshots(session, scope=scope, kode_kab=kode_kab)
        periodes = sorted(snaps["periode"].astype(str))
    periodes = sorted(dict.fromkeys(periodes))
    if len(periodes) < 2:
        raise InvalidInputError(
            "Perlu minimal dua periode data keluarga untuk melihat transisi "
            f"(tersedia: {', '.join(periodes) or '-'}).",
            "At least two periodes of families are needed for transitions "
            f"(available: {', '.join(periodes) or '-'}).",
        )
    snaps = {p: R.keluarga_frame(session, kode_kab, p, scope=scope) for p in periodes}
    first, last = periodes[0], periodes[-1]

    def matrix(bobot: str) -> list[dict[str, Any]]:
        mat = T.transition_matrix(snaps[first], snaps[last], bobot=bobot)
        return [
            {"desil_awal": idx, **{str(c): int(v) for c, v in row.items()}}
            for idx, row in mat.iterrows()
        ]

    grad = T.panel_graduation(snaps)
    grad["teks"] = [T.graduation_text(r, lang) for r in grad.to_dict("records")]
    found = {p: latest_run_or_none(session, user, kode_kab, p) for p in periodes}
    runs = {p: r for p, r in found.items() if r is not None}
    tren = kelas = None
    if len(runs) == len(found):
        desa = {p: run_table(session, user, r, "desa") for p, r in runs.items()}
        tren = T.rate_change(
            {p: pd.DataFrame(d.drop(columns="geometry", errors="ignore")) for p, d in desa.items()}
        )
        pockets = {
            p: x
            for p, r in runs.items()
            if (x := table_or_none(session, user, r, "kantong")) is not None
            and "sel_h3" in x.columns
        }
        if len(periodes) >= 3 and len(pockets) == len(runs):
            kelas = T.pocket_classes(
                {
                    p: pd.DataFrame(x.drop(columns="geometry", errors="ignore"))
                    for p, x in pockets.items()
                },
                lang=lang,
            )
    total = grad[grad["unit"] == "TOTAL"]
    return {
        "kode_kab": kode_kab,
        "periode": periodes,
        "n_keluarga": {p: len(f) for p, f in snaps.items()},
        "matriks": matrix("keluarga"),
        "matriks_jiwa": matrix("jiwa"),
        "graduasi": grad,
        "tren": tren,
        "kelas_kantong": kelas,
        "teks": [f"{r['dari']} → {r['ke']}: {r['teks']}" for r in total.to_dict("records")],
    }
