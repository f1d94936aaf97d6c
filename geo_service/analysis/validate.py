"""Validation of a family table against the household contract: every row, every problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S

PROBLEM_COLUMNS = ["baris", S.ID, "kolom", "nilai", "kode_alasan", "keterangan"]
_KODE_DESA_RE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
_PERIODE_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of :func:`validate_keluarga`.

    Attributes
    ----------
    valid
        The rows without any problem, typed (see :func:`validate_keluarga`), with ``baris``.
    problems
        One row per problem: ``baris``, ``id_keluarga``, ``kolom``, ``nilai``, ``kode_alasan``,
        ``keterangan``. ``baris`` is the spreadsheet row (header = 1, first family = 2).
    rejected
        The input rows with at least one problem, untouched, with ``baris``.
    unknown_columns
        Columns outside the contract; they are dropped, never a reason to reject.
    """

    valid: pd.DataFrame
    problems: pd.DataFrame
    rejected: pd.DataFrame
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems.empty

    def counts(self) -> pd.Series:
        """Number of problems per reason code."""
        return self.problems["kode_alasan"].value_counts().sort_index()


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    s = df[col]
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.astype("string").str.strip()
    else:
        s = s.astype("string")
    return s.mask(s == "", pd.NA)


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric value and a mask of entries that are present but not whole numbers."""
    num = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & (num.isna() | (num != np.floor(num)) | ~np.isfinite(num.astype(float)))
    return num, bad


def validate_keluarga(
    df: pd.DataFrame,
    *,
    known_desa: Iterable[str] | None = None,
    row_offset: int = 0,
    lang: str = "id",
) -> ValidationResult:
    """Check every row of a family table against the contract and report every problem.

    Parameters
    ----------
    df
        Family records as read from CSV (strings) or Parquet (typed); extra columns allowed.
    known_desa
        Kemendagri codes of the desa in the boundaries; codes outside it are
        ``kode_desa_tidak_dikenal``. ``None`` skips that check.
    row_offset
        Number of data rows before this frame in its file (for chunked reading).
    lang
        Language of ``keterangan``: "id" or "en".

    Returns
    -------
    ValidationResult
        ``valid`` has ``id_keluarga``, ``periode``, ``kode_desa`` (str), ``lat``, ``lon``
        (float, NaN without geotag), ``jumlah_art``, ``desil`` (int), ``pengeluaran_kapita``
        (float, NaN when unknown), the 0/1 flags (int8, empty read as 0) and ``baris``.
    """
    baris = pd.Series(np.arange(len(df), dtype=np.int64) + row_offset + 2, index=df.index)
    found: list[tuple[pd.Series, str, str, pd.Series]] = []  # mask, column, code, value

    def add(mask: pd.Series, col: str, code: str, value: pd.Series) -> None:
        if mask.any():
            found.append((mask, col, code, value))

    missing_cols = [c for c in S.REQUIRED_COLUMNS if c not in df.columns]
    unknown = [c for c in df.columns if c not in S.ALL_COLUMNS and c != "baris"]

    ids = _text(df, S.ID)
    for col in S.REQUIRED_COLUMNS:
        if col not in missing_cols:
            s = _text(df, col)
            add(s.isna(), col, "kolom_wajib_kosong", s)
    add(ids.str.len() > S.MAX_ID_LENGTH, S.ID, "id_keluarga_tidak_valid", ids)
    add(ids.notna() & ids.duplicated(keep=False), S.ID, "id_keluarga_ganda", ids)

    periode = _text(df, S.PERIODE)
    add(
        periode.notna() & ~periode.str.match(_PERIODE_RE).fillna(False),
        S.PERIODE,
        "periode_salah_format",
        periode,
    )

    kode = _text(df, S.KODE_DESA)
    kode_ok = kode.str.match(_KODE_DESA_RE).fillna(False).astype(bool)
    add(kode.notna() & ~kode_ok, S.KODE_DESA, "kode_desa_salah_format", kode)
    if known_desa is not None:
        known = pd.Index(pd.unique(np.asarray(list(known_desa), dtype=object)))
        add(kode_ok & ~kode.isin(known), S.KODE_DESA, "kode_desa_tidak_dikenal", kode)

    art_raw = _text(df, "jumlah_art")
    art, art_bad = _integer(art_raw)
    add(
        art_bad | (art.notna() & ((art < 1) | (art > S.MAX_ART))),
        "jumlah_art",
        "jumlah_art_tidak_valid",
        art_raw,
    )

    desil_raw = _text(df, "desil")
    desil, desil_bad = _integer(desil_raw)
    add(
        desil_bad | (desil.notna() & ((desil < 1) | (desil > 10))),
        "desil",
        "desil_di_luar_rentang",
        desil_raw,
    )

    lat_raw, lon_raw = _text(df, "lat"), _text(df, "lon")
    lat, lon = pd.to_numeric(lat_raw, errors="coerce"), pd.to_numeric(lon_raw, errors="coerce")
    pair = lat_raw.fillna("") + ", " + lon_raw.fillna("")
    half = lat_raw.isna() != lon_raw.isna()
    add(half, "lat,lon", "koordinat_tidak_lengkap", pair)
    not_num = ~half & ((lat_raw.notna() & lat.isna()) | (lon_raw.notna() & lon.isna()))
    not_num |= ~half & lat.notna() & lon.notna() & ~(np.isfinite(lat) & np.isfinite(lon))
    add(not_num, "lat,lon", "koordinat_tidak_valid", pair)
    both = lat.notna() & lon.notna() & ~not_num
    in_lat = lat.between(*S.LAT_RANGE)
    in_lon = lon.between(*S.LON_RANGE)
    swapped = both & lat.between(*S.LON_RANGE) & lon.between(*S.LAT_RANGE)
    add(swapped, "lat,lon", "koordinat_tertukar", pair)
    add(both & ~swapped & ~(in_lat & in_lon), "lat,lon", "koordinat_di_luar_indonesia", pair)

    flags: dict[str, pd.Series] = {}
    for col in S.FLAG_COLUMNS:
        raw = _text(df, col)
        val = raw.str.lower().map(
            {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "true": 1, "false": 0}, na_action="ignore"
        )
        add(raw.notna() & val.isna(), col, "nilai_biner_tidak_valid", raw)
        flags[col] = val.fillna(0)

    peng_raw = _text(df, "pengeluaran_kapita")
    peng, peng_bad = _integer(peng_raw)
    add(
        peng_bad | (peng < 0).fillna(False),
        "pengeluaran_kapita",
        "pengeluaran_tidak_valid",
        peng_raw,
    )

    parts = []
    if missing_cols:
        for col in missing_cols:
            parts.append(
                pd.DataFrame(
                    {
                        "baris": pd.array([1], dtype="Int64"),
                        S.ID: [pd.NA],
                        "kolom": [col],
                        "nilai": [pd.NA],
                        "kode_alasan": ["kolom_tidak_ada"],
                    }
                )
            )
    for mask, col, code, value in found:
        mask = mask.fillna(False).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "baris": baris[mask].astype("Int64"),
                    S.ID: ids[mask],
                    "kolom": col,
                    "nilai": value[mask].astype("string"),
                    "kode_alasan": code,
                }
            )
        )
    if parts:
        problems = pd.concat(parts, ignore_index=True)
        problems["keterangan"] = problems["kode_alasan"].map(lambda c: S.reason_text(c, lang))
        problems = problems.sort_values(["baris", "kode_alasan"], kind="stable")
        problems = problems.reset_index(drop=True)[PROBLEM_COLUMNS]
    else:
        problems = pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})

    if missing_cols:
        bad_rows = pd.Series(True, index=df.index)
    else:
        bad_rows = pd.Series(False, index=df.index)
        for mask, *_ in found:
            bad_rows |= mask.fillna(False).astype(bool)

    rejected = df.loc[bad_rows].copy()
    rejected.insert(0, "baris", baris[bad_rows])
    ok = ~bad_rows
    valid = (
        pd.DataFrame(
            {
                S.ID: ids[ok].astype(str),
                S.PERIODE: periode[ok].astype(str),
                S.KODE_DESA: kode[ok].astype(str),
                "lat": lat[ok].astype("float64"),
                "lon": lon[ok].astype("float64"),
                "jumlah_art": art[ok].astype("int16"),
                "desil": desil[ok].astype("int8"),
                "pengeluaran_kapita": peng[ok].astype("float64"),
                **{c: flags[c][ok].astype("int8") for c in S.FLAG_COLUMNS},
                "baris": baris[ok],
            }
        )
        if not missing_cols
        else pd.DataFrame(columns=[*S.ALL_COLUMNS, "baris"])
    )
    return ValidationResult(
        valid=valid, problems=problems, rejected=rejected, unknown_columns=unknown
    )
