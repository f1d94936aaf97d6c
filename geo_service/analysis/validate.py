"""Validation of a family table against the household contract: every row, every problem.

Column operations only (Arrow compute kernels and numpy), no Python per row: a typed
column (Parquet) is checked as numbers without a detour through text, a text column (CSV)
is trimmed, matched with RE2 patterns and parsed once. The text of a reported value is
built only for the rows that have a problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_service.analysis import schema as S

PROBLEM_COLUMNS = ["baris", S.ID, "kolom", "nilai", "kode_alasan", "keterangan"]
_KODE_DESA_RE = S.KODE_DESA_PATTERN
_PERIODE_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
# What ``pandas.to_numeric`` reads as a finite number (text already trimmed).
_NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_FLAG_ONE = ["1", "1.0", "true"]
_FLAG_ZERO = ["0", "0.0", "false"]


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


class _Column:
    """One input column seen both ways: as trimmed text (Arrow) and, when typed, as numbers."""

    def __init__(self, df: pd.DataFrame, col: str) -> None:
        self.n = len(df)
        self.series = df[col] if col in df.columns else None
        s = self.series
        self.numeric = s is not None and (
            pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
        )
        self._text: pa.ChunkedArray | None = None

    @property
    def text(self) -> pa.ChunkedArray:
        """Trimmed text, null where missing or empty (as the contract reads a cell)."""
        if self._text is None:
            self._text = _as_text(self.series, self.n)
        return self._text

    def present(self) -> np.ndarray:
        if self.series is None:
            return np.zeros(self.n, dtype=bool)
        if self.numeric:
            return self.series.notna().to_numpy(dtype=bool, na_value=False)
        return _bool(pc.is_valid(self.text))

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Float values (NaN when missing or not a number) and a mask of entries present
        but not a finite number."""
        present = self.present()
        if self.series is None:
            return np.full(self.n, np.nan), present
        if self.numeric:
            v = self.series.to_numpy(dtype="float64", na_value=np.nan)
            bad = present & ~np.isfinite(v)
            return np.where(bad, np.nan, v), bad
        try:  # the common case: every entry parses (Arrow reads what to_numeric reads)
            v = _float(pc.cast(self.text, pa.float64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ok = pc.match_substring_regex(self.text, _NUMBER_RE)
            v = _float(pc.cast(pc.if_else(ok, self.text, None), pa.float64()))
        bad = present & ~np.isfinite(v)
        return np.where(bad, np.nan, v), bad

    def shown(self, rows: np.ndarray) -> pd.Series:
        """The value of ``rows`` as the report shows it (text, ``<NA>`` when empty)."""
        if self.series is None:
            return pd.Series(pd.NA, index=rows, dtype="string")
        if self.numeric:
            return self.series.iloc[rows].astype("string").reset_index(drop=True)
        return pd.Series(self.text.take(pa.array(rows)).to_pandas(), dtype="string")


def _as_text(s: pd.Series | None, n: int) -> pa.ChunkedArray:
    if s is None:
        return pa.chunked_array([pa.nulls(n, pa.large_string())])
    if isinstance(s.dtype, pd.StringDtype) or isinstance(s.dtype, pd.ArrowDtype):
        arr = pa.array(s)
    else:
        arr = pa.array(s.astype("string"))
    if not isinstance(arr, pa.ChunkedArray):
        arr = pa.chunked_array([arr])
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _bool(a) -> np.ndarray:
    """Arrow booleans as a numpy mask, null read as False."""
    a = pc.fill_null(a, False)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _float(a: pa.ChunkedArray) -> np.ndarray:
    a = a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a.to_numpy(zero_copy_only=False).astype("float64", copy=False)


def _strings(a: pa.ChunkedArray, keep: np.ndarray) -> pd.Series:
    """Text of the rows in ``keep`` as a pandas ``str`` column (Arrow-backed, no copy to
    Python objects)."""
    kept = a if keep.all() else a.filter(pa.array(keep))
    return pd.Series(kept.to_pandas(), dtype=str).reset_index(drop=True)


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
    n = len(df)
    baris = np.arange(n, dtype=np.int64) + row_offset + 2
    # mask, column, reason code, how to show the value of the masked rows
    found: list[tuple[np.ndarray, str, str, object]] = []

    def add(mask: np.ndarray, col: str, code: str, shown) -> None:
        if mask.any():
            found.append((mask, col, code, shown))

    missing_cols = [c for c in S.REQUIRED_COLUMNS if c not in df.columns]
    unknown = [c for c in df.columns if c not in S.ALL_COLUMNS and c != "baris"]
    cols = {c: _Column(df, c) for c in S.ALL_COLUMNS}

    ids = cols[S.ID]
    for col in S.REQUIRED_COLUMNS:
        if col not in missing_cols:
            add(~cols[col].present(), col, "kolom_wajib_kosong", cols[col].shown)
    id_text = ids.text
    add(
        _bool(pc.greater(pc.utf8_length(id_text), S.MAX_ID_LENGTH)),
        S.ID,
        "id_keluarga_tidak_valid",
        ids.shown,
    )
    if n:
        enc = pc.dictionary_encode(id_text).combine_chunks()
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)
        has = codes >= 0
        seen = np.bincount(codes[has], minlength=len(enc.dictionary))
        dup = np.zeros(n, dtype=bool)
        dup[has] = seen[codes[has]] > 1
        add(dup, S.ID, "id_keluarga_ganda", ids.shown)

    periode = cols[S.PERIODE]
    add(
        periode.present() & ~_bool(pc.match_substring_regex(periode.text, _PERIODE_RE)),
        S.PERIODE,
        "periode_salah_format",
        periode.shown,
    )

    kode = cols[S.KODE_DESA]
    kode_ok = _bool(pc.match_substring_regex(kode.text, _KODE_DESA_RE))
    add(kode.present() & ~kode_ok, S.KODE_DESA, "kode_desa_salah_format", kode.shown)
    if known_desa is not None:
        known = pa.array(pd.unique(np.asarray(list(known_desa), dtype=object)).astype(str))
        in_known = _bool(pc.is_in(kode.text, value_set=pc.cast(known, kode.text.type)))
        add(kode_ok & ~in_known, S.KODE_DESA, "kode_desa_tidak_dikenal", kode.shown)

    art, art_bad = _whole(cols["jumlah_art"])
    add(
        art_bad | ((art < 1) | (art > S.MAX_ART)),
        "jumlah_art",
        "jumlah_art_tidak_valid",
        cols["jumlah_art"].shown,
    )
    desil, desil_bad = _whole(cols["desil"])
    add(
        desil_bad | ((desil < 1) | (desil > 10)),
        "desil",
        "desil_di_luar_rentang",
        cols["desil"].shown,
    )

    lat, lon = _check_coordinates(cols["lat"], cols["lon"], add)

    flags = _check_flags(cols, add)

    peng, peng_bad = _whole(cols["pengeluaran_kapita"])
    with np.errstate(invalid="ignore"):
        add(
            peng_bad | (peng < 0),
            "pengeluaran_kapita",
            "pengeluaran_tidak_valid",
            cols["pengeluaran_kapita"].shown,
        )

    problems = _problems(found, missing_cols, baris, ids, lang)
    if missing_cols:
        bad_rows = np.ones(n, dtype=bool)
    else:
        bad_rows = np.zeros(n, dtype=bool)
        for mask, *_ in found:
            bad_rows |= mask

    rejected = df.loc[bad_rows].copy()
    rejected.insert(0, "baris", pd.Series(baris[bad_rows], index=rejected.index))
    if missing_cols:
        valid = pd.DataFrame(columns=[*S.ALL_COLUMNS, "baris"])
    else:
        keep = ~bad_rows
        ok = np.flatnonzero(keep)
        texts = {
            S.ID: _strings(id_text, keep),
            S.PERIODE: _strings(periode.text, keep),
            S.KODE_DESA: _strings(kode.text, keep),
        }
        valid = pd.DataFrame(
            {
                **texts,
                "lat": lat[ok],
                "lon": lon[ok],
                "jumlah_art": art[ok].astype("int16"),
                "desil": desil[ok].astype("int8"),
                "pengeluaran_kapita": peng[ok],
                **{c: flags[c][ok] for c in S.FLAG_COLUMNS},
                "baris": baris[ok],
            },
        )
        valid.index = df.index[ok]
    return ValidationResult(
        valid=valid, problems=problems, rejected=rejected, unknown_columns=unknown
    )


def _whole(c: _Column) -> tuple[np.ndarray, np.ndarray]:
    """Values of a column that must hold whole numbers and a mask of entries that do not."""
    v, bad = c.values()
    with np.errstate(invalid="ignore"):
        bad = bad | (~np.isnan(v) & (v != np.floor(v)))
    return np.where(bad, np.nan, v), bad


def _check_coordinates(lat_c: _Column, lon_c: _Column, add) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as floats (NaN when absent or invalid); problems via ``add``:
    half a pair, not a number, swapped, outside Indonesia."""
    lat, lat_bad = lat_c.values()
    lon, lon_bad = lon_c.values()
    lat_in, lon_in = lat_c.present(), lon_c.present()

    def pair(rows: np.ndarray) -> pd.Series:
        return lat_c.shown(rows).fillna("") + ", " + lon_c.shown(rows).fillna("")

    half = lat_in != lon_in
    add(half, "lat,lon", "koordinat_tidak_lengkap", pair)
    not_num = ~half & (lat_bad | lon_bad)
    add(not_num, "lat,lon", "koordinat_tidak_valid", pair)
    both = ~np.isnan(lat) & ~np.isnan(lon) & ~not_num
    with np.errstate(invalid="ignore"):
        in_lat = (lat >= S.LAT_RANGE[0]) & (lat <= S.LAT_RANGE[1])
        in_lon = (lon >= S.LON_RANGE[0]) & (lon <= S.LON_RANGE[1])
        swapped = (
            both
            & (lat >= S.LON_RANGE[0])
            & (lat <= S.LON_RANGE[1])
            & (lon >= S.LAT_RANGE[0])
            & (lon <= S.LAT_RANGE[1])
        )
    add(swapped, "lat,lon", "koordinat_tertukar", pair)
    add(both & ~swapped & ~(in_lat & in_lon), "lat,lon", "koordinat_di_luar_indonesia", pair)
    return lat, lon


def _check_flags(cols: dict[str, _Column], add) -> dict[str, np.ndarray]:
    """The 0/1 flag columns as int8 (empty read as 0); other values reported via ``add``."""
    flags: dict[str, np.ndarray] = {}
    for col in S.FLAG_COLUMNS:
        c = cols[col]
        present = c.present()
        if c.numeric and c.series is not None:
            v = c.series.to_numpy(dtype="float64", na_value=np.nan)
            one, zero = v == 1, v == 0
        else:
            one, zero = _bool(pc.equal(c.text, "1")), _bool(pc.equal(c.text, "0"))
            other = np.flatnonzero(present & ~(one | zero))
            if len(other):  # "true", "1.0", ... and the invalid ones: only these rows
                low = pc.utf8_lower(c.text.take(pa.array(other)))
                one[other] = _bool(pc.is_in(low, value_set=pa.array(_FLAG_ONE, low.type)))
                zero[other] = _bool(pc.is_in(low, value_set=pa.array(_FLAG_ZERO, low.type)))
        add(present & ~(one | zero), col, "nilai_biner_tidak_valid", c.shown)
        flags[col] = one.astype(np.int8)
    return flags


def _problems(found, missing_cols, baris, ids: _Column, lang: str) -> pd.DataFrame:
    parts = []
    for col in missing_cols:
        parts.append(
            pd.DataFrame(
                {
                    "baris": pd.array([1], dtype="Int64"),
                    S.ID: pd.array([pd.NA], dtype="string"),
                    "kolom": [col],
                    "nilai": pd.array([pd.NA], dtype="string"),
                    "kode_alasan": ["kolom_tidak_ada"],
                }
            )
        )
    for mask, col, code, shown in found:
        rows = np.flatnonzero(mask)
        parts.append(
            pd.DataFrame(
                {
                    "baris": pd.array(baris[rows], dtype="Int64"),
                    S.ID: ids.shown(rows).to_numpy(),
                    "kolom": col,
                    "nilai": shown(rows).to_numpy(),
                    "kode_alasan": code,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
    problems = pd.concat(parts, ignore_index=True)
    problems[S.ID] = problems[S.ID].astype("string")
    problems["nilai"] = problems["nilai"].astype("string")
    texts = {c: S.reason_text(c, lang) for c in problems["kode_alasan"].unique()}
    problems["keterangan"] = problems["kode_alasan"].map(texts)
    problems = problems.sort_values(["baris", "kode_alasan"], kind="stable")
    return problems.reset_index(drop=True)[PROBLEM_COLUMNS]
