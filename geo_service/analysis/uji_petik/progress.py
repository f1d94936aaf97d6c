"""Progress of a ground check per desa (visited, by status)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.uji_petik.columns import JENIS_ACAK, JENIS_BENDERA, STATUS_SALAH, STATUSES


def sample_progress(daftar: pd.DataFrame, hasil: pd.DataFrame | None) -> pd.DataFrame:
    """How much of the sample is done, per registered desa.

    Returns
    -------
    pandas.DataFrame
        ``kode_desa``, ``n_sampel``, ``n_acak``, ``n_bendera``, ``n_selesai``,
        ``n_selesai_acak``, ``pct_selesai``, one ``n_<status>`` column per status and
        ``n_salah`` (records found wrong), sorted by ``kode_desa``.
    """
    d = daftar[[S.ID, S.KODE_DESA, "jenis"]].copy()
    res = (
        hasil[[S.ID, "status"]]
        if hasil is not None and len(hasil)
        else pd.DataFrame({S.ID: [], "status": []})
    )
    d = d.merge(res.drop_duplicates(S.ID), on=S.ID, how="left")
    d["selesai"] = d["status"].notna()
    g = d.groupby(S.KODE_DESA, sort=True)
    out = pd.DataFrame(
        {
            "n_sampel": g.size(),
            "n_acak": g["jenis"].apply(lambda s: int((s == JENIS_ACAK).sum())),
            "n_bendera": g["jenis"].apply(lambda s: int((s == JENIS_BENDERA).sum())),
            "n_selesai": g["selesai"].sum().astype(np.int64),
        }
    )
    out["n_selesai_acak"] = (
        d[d["jenis"] == JENIS_ACAK]
        .groupby(S.KODE_DESA)["selesai"]
        .sum()
        .reindex(out.index, fill_value=0)
        .astype(np.int64)
    )
    out["pct_selesai"] = (100.0 * out["n_selesai"] / out["n_sampel"]).round(1)
    for st in STATUSES:
        out[f"n_{st}"] = (
            (d["status"] == st)
            .groupby(d[S.KODE_DESA])
            .sum()
            .reindex(out.index, fill_value=0)
            .astype(np.int64)
        )
    out["n_salah"] = out[[f"n_{st}" for st in STATUS_SALAH]].sum(axis=1)
    return out.reset_index()
