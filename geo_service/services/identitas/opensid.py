"""Exchange with OpenSID: named lists as its import layout, its field results back."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, select

from geo_service.analysis import schema as S
from geo_service.analysis.profil import kode_10, kode_titik
from geo_service.analysis.pseudonim import family_pseudonym
from geo_service.db.models import Desa
from geo_service.errors import InvalidInputError
from geo_service.services.identitas.kunci import pseudonym_key
from geo_service.settings import Settings

# --- OpenSID --------------------------------------------------------------------------


def desa_names(engine: Engine, codes: Iterable[str]) -> dict[str, str]:
    """Desa names by code (for the registered desa column of field lists)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(Desa.kode, Desa.nama).where(Desa.kode.in_(wanted))).all()
    return {k: n for k, n in rows}


def opensid_frame(named: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """A named field list in the columns an OpenSID operator matches on: NIK, no_kk,
    dusun/RT/RW as OpenSID writes them (dusun upper case without "DUSUN", "-" when
    unknown), the 10-digit desa code, plus the result columns to fill."""
    dusun = (
        named["dusun"]
        .astype("string")
        .str.upper()
        .str.replace(r"^DUSUN\s+", "", regex=True)
        .str.replace("_", " ", regex=False)
        .str.strip()
    )
    out = pd.DataFrame(
        {
            "kode_desa": kode_10(named[S.KODE_DESA].astype("string")),
            "nama_desa": named[S.KODE_DESA].astype(str).map(names),
            "dusun": dusun.fillna("-"),
            "rw": named["rw"].astype("string").fillna("-"),
            "rt": named["rt"].astype("string").fillna("-"),
            "no_kk": named["no_kk"].astype("string"),
            "nik": named["nik"].astype("string"),
            "nama": named["nama_kk"].astype("string"),
            "alamat": named["alamat"].astype("string"),
            "id_keluarga": named[S.ID].astype(str),
            "status": None,
            "petugas": None,
            "tanggal": None,
            "catatan": None,
        }
    )
    return out.sort_values(["kode_desa", "dusun", "rw", "rt", "nama"], kind="stable").reset_index(
        drop=True
    )


def opensid_results(raw: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Field results returned in OpenSID's terms -> the field-result layout: ``no_kk``
    (or ``nik`` of the head) hashed to ``id_keluarga`` with the pseudonym key, 10-digit
    ``kode_desa`` made dotted; NIK and KK columns dropped before anything is stored."""
    cols = {c.strip().lower(): c for c in raw.columns}
    if "id_keluarga" not in cols and "no_kk" not in cols and "nik" not in cols:
        raise InvalidInputError(
            "Berkas hasil OpenSID perlu kolom no_kk, nik atau id_keluarga.",
            "An OpenSID result file needs a no_kk, nik or id_keluarga column.",
        )
    frame = raw.rename(columns={v: k for k, v in cols.items()})
    key = pseudonym_key(settings)
    ids = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "no_kk" in frame:
        ids = family_pseudonym(
            frame["no_kk"].astype("string"),
            frame["nik"].astype("string") if "nik" in frame else None,
            key,
        )
    elif "nik" in frame:
        ids = family_pseudonym(pd.Series(pd.NA, index=frame.index), frame["nik"], key)
    if "id_keluarga" in frame:
        ids = ids.fillna(frame["id_keluarga"].astype("string"))
    out = frame.drop(
        columns=[
            c
            for c in ("no_kk", "nik", "nama", "alamat", "dusun", "rt", "rw", "nama_desa")
            if c in frame
        ]
    )
    out[S.ID] = ids
    if S.KODE_DESA in out:
        out[S.KODE_DESA] = kode_titik(out[S.KODE_DESA].astype("string"))
    return out
