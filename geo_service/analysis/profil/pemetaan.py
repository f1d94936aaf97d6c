"""The mapping of a raw source frame to the contract (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.profil.definisi import IDENTITY_FIELDS, Profil, reason_text
from geo_service.analysis.profil.kolom import match_columns
from geo_service.analysis.profil.nama_desa import resolve_desa_names
from geo_service.analysis.profil.nilai import (
    as_text,
    coordinate_text,
    desil_text,
    flag_text,
    kode_titik,
    periode_text,
)
from geo_service.analysis.pseudonim import family_pseudonym, nomor_16
from geo_service.analysis.validate import PROBLEM_COLUMNS
from geo_service.errors import InvalidInputError


@dataclass(frozen=True)
class Pemetaan:
    """Outcome of :func:`apply_profil` (see the module docstring)."""

    kontrak: pd.DataFrame
    identitas: pd.DataFrame
    masalah: pd.DataFrame
    kolom: dict[str, str]  # target -> source header
    tidak_dipakai: list[str]  # source headers the profile does not map
    cara_desa: dict[str, int]  # how desa were resolved: tepat/ejaan/mirip/... counts

    def summary(self) -> dict[str, Any]:
        """Counts only (no values): safe to log, print and store."""
        return {
            "n_baris": len(self.kontrak),
            "kolom": dict(self.kolom),
            "tidak_dipakai": list(self.tidak_dipakai),
            "cara_desa": dict(self.cara_desa),
            "masalah_per_kode": self.masalah["kode_alasan"].value_counts().sort_index().to_dict()
            if len(self.masalah)
            else {},
            "n_identitas": len(self.identitas),
        }


def apply_profil(
    raw: pd.DataFrame,
    profil: Profil,
    *,
    desa: pd.DataFrame | None = None,
    kunci: bytes | None = None,
    periode: str | None = None,
    row_offset: int = 0,
    lang: str = "id",
) -> Pemetaan:
    """Map a raw source frame to the contract with ``profil``.

    Parameters
    ----------
    raw
        The source as read (object cells: text, numbers, dates).
    desa
        The boundaries' desa (``kode``, ``nama``, optional ``nama_kec``): needed when the
        desa is given by name.
    kunci
        The pseudonym key; required for a by-name profile (``id_dari`` kk/kk_atau_nik).
    periode
        Fills ``periode`` when the source has no such column.
    row_offset
        Spreadsheet row of the first data row minus 2 (so ``baris`` matches the sheet:
        for a header on row 3 it is 2).

    Returns
    -------
    Pemetaan
        The contract frame has exactly the contract columns (text) and the same index
        as ``raw``; identities hold ``id_keluarga`` and the mapped identity fields of rows
        with an id.
    """
    cols = match_columns(profil, list(raw.columns), periode_given=periode is not None)
    out = pd.DataFrame(index=raw.index)
    baris = pd.Series(np.arange(len(raw), dtype=np.int64) + row_offset + 2, index=raw.index)
    problems: list[pd.DataFrame] = []

    def problem(mask: pd.Series, kolom: str, code: str, nilai: pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "baris": baris[mask].astype("Int64"),
                        S.ID: out.get(S.ID, pd.Series(pd.NA, index=raw.index))[mask],
                        "kolom": kolom,
                        "nilai": nilai[mask].astype("string"),
                        "kode_alasan": code,
                    }
                )
            )

    # id_keluarga: as given, or the keyed hash of the KK (or the head's NIK).
    nik = no_kk = None
    if profil.id_dari == "id_keluarga":
        out[S.ID] = as_text(raw[cols[S.ID]])
    else:
        no_kk = nomor_16(as_text(raw[cols["no_kk"]]))
        nik = nomor_16(as_text(raw[cols["nik"]])) if "nik" in cols else None
        # Raises KunciError when the key is missing: never a clear-text or unkeyed id.
        ids = family_pseudonym(no_kk, nik if profil.id_dari == "kk_atau_nik" else None, kunci)
        out[S.ID] = ids
        n_digits = as_text(raw[cols["no_kk"]]).str.replace(r"\D", "", regex=True).str.len()
        shown = n_digits.map(lambda n: f"{n} angka" if n is not pd.NA else "kosong")
        problem(ids.isna(), "no_kk", "nomor_kk_nik_tidak_valid", shown.astype("string"))

    out[S.PERIODE] = (
        periode_text(raw[cols[S.PERIODE]])
        if S.PERIODE in cols
        else pd.Series(periode, index=raw.index, dtype="string")
    )

    # kode_desa from a code (dotted or 10 digits) or a name.
    cara = pd.Series("kode", index=raw.index, dtype="string")
    if S.KODE_DESA in cols:
        kode = as_text(raw[cols[S.KODE_DESA]])
        digits = kode.str.replace(r"[\s']", "", regex=True)
        if profil.desa.format in ("kode10", "otomatis"):
            kode = kode_titik(digits)
        if profil.desa.format == "kode10":
            bad = digits.notna() & ~digits.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
            problem(bad, S.KODE_DESA, "kode_desa_10_salah", digits)
            kode = kode.mask(bad, pd.NA)
    else:
        kode = pd.Series(pd.NA, index=raw.index, dtype="string")
    by_name = profil.desa.format == "nama" or (
        profil.desa.format == "otomatis" and "nama_desa" in cols
    )
    if by_name and "nama_desa" in cols:
        need = kode.isna() | ~kode.str.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}").fillna(False)
        if profil.desa.format == "nama":
            need = pd.Series(True, index=raw.index)
        if need.any():
            if desa is None:
                raise InvalidInputError(
                    "Desa diberikan sebagai nama: perlu batas desa untuk mencocokkannya.",
                    "Desa given by name: boundaries are needed to match them.",
                )
            names = as_text(raw[cols["nama_desa"]])
            kec = as_text(raw[cols["nama_kecamatan"]]) if "nama_kecamatan" in cols else None
            m = resolve_desa_names(
                names[need],
                desa,
                kecamatan=kec[need] if kec is not None else None,
                rule=profil.desa,
            )
            kode = kode.copy()
            kode[need] = m.kode
            cara[need] = m.cara
            shown = names[need] + m.kandidat.map(lambda k: f" ({k})" if k else "")
            problem(
                (m.cara == "tidak_dikenal").reindex(raw.index, fill_value=False),
                "nama_desa",
                "nama_desa_tidak_dikenal",
                shown.reindex(raw.index),
            )
            problem(
                (m.cara == "ambigu").reindex(raw.index, fill_value=False),
                "nama_desa",
                "nama_desa_ambigu",
                shown.reindex(raw.index),
            )
    out[S.KODE_DESA] = kode

    for col in ("lat", "lon"):
        out[col] = coordinate_text(raw[cols[col]]) if col in cols else pd.NA
    for col in ("jumlah_art", "pengeluaran_kapita"):
        out[col] = (
            as_text(raw[cols[col]]).str.replace(r"\.0+$", "", regex=True) if col in cols else pd.NA
        )
    out["desil"] = desil_text(raw[cols["desil"]], profil) if "desil" in cols else pd.NA
    for col in S.FLAG_COLUMNS:
        out[col] = flag_text(raw[cols[col]], profil) if col in cols else pd.NA
    kontrak = out[list(S.ALL_COLUMNS)].astype("string")

    ident_cols = [f for f in IDENTITY_FIELDS if f in cols]
    if profil.by_name and ident_cols:
        ident = pd.DataFrame({S.ID: kontrak[S.ID], S.KODE_DESA: kontrak[S.KODE_DESA]})
        for f in ident_cols:
            if f == "no_kk":
                ident[f] = no_kk
            elif f == "nik":
                ident[f] = nik
            else:
                ident[f] = as_text(raw[cols[f]])
        ident = ident[ident[S.ID].notna()]
    else:
        ident = pd.DataFrame(columns=[S.ID, S.KODE_DESA, *IDENTITY_FIELDS])

    if problems:
        masalah = pd.concat(problems, ignore_index=True)
        masalah["keterangan"] = masalah["kode_alasan"].map(lambda c: reason_text(c, lang))
        masalah = masalah.sort_values(["baris", "kode_alasan"], kind="stable")
        masalah = masalah.reset_index(drop=True)[PROBLEM_COLUMNS]
    else:
        masalah = pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
    mapped_headers = set(cols.values())
    return Pemetaan(
        kontrak=kontrak,
        identitas=ident.reset_index(drop=True),
        masalah=masalah,
        kolom=cols,
        tidak_dipakai=[str(h) for h in raw.columns if h not in mapped_headers],
        cara_desa=cara.value_counts().sort_index().to_dict(),
    )
