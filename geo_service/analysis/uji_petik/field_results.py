"""Field results coming back: row-by-row validation against the sample, and merging with what
is already stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.uji_petik.columns import (
    LOCKED_COLUMNS,
    PROBLEM_COLUMNS,
    RESULT_COLUMNS,
    SAMPLE_COLUMNS,
    STATUSES,
    UPDATABLE_COLUMNS,
    _reason_text,
)


@dataclass(frozen=True)
class FieldResultCheck:
    """Outcome of :func:`validate_field_results`."""

    valid: pd.DataFrame  # RESULT_COLUMNS + kode_desa, for rows without problems
    problems: pd.DataFrame  # baris, id_keluarga, kolom, nilai, kode_alasan, keterangan
    n_kosong: int  # rows without any result yet (not visited), skipped
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems.empty


_KODE_DESA = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def _bool(mask) -> np.ndarray:
    """A boolean array from a mask that may hold NA (NA counts as False)."""
    if isinstance(mask, pd.Series):
        return mask.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def _cell_text(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | date):
        return v.isoformat()[:10]
    if isinstance(v, float) and v == np.floor(v) and abs(v) < 1e15:
        text = repr(v)
        return text[:-2] if text.endswith(".0") else text
    text = str(v).strip()
    return text or None


def _str(s: pd.Series) -> pd.Series:
    """Cells as stripped text (object), None when empty; whole floats lose their ``.0``."""
    return pd.Series([_cell_text(v) for v in s.tolist()], index=s.index, dtype=object)


def _blank(s: pd.Series) -> np.ndarray:
    return _str(s).isna().to_numpy()


def _parse_date(s: pd.Series) -> pd.Series:
    """ISO dates (``YYYY-MM-DD``); Excel/GPKG dates and datetimes too. NaT where unreadable."""
    text = _str(s).map(lambda v: v[:10] if v is not None else None)
    return pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")


def validate_field_results(
    raw: pd.DataFrame,
    daftar: pd.DataFrame,
    *,
    today: date,
    row_offset: int = 0,
    lang: str = "id",
) -> FieldResultCheck:
    """Check field results against the sample; report every problem of every row.

    A row whose ``status``, ``petugas`` and ``tanggal`` are all empty is a family not
    visited yet: skipped, not an error. Changes to contract fields are found by comparing
    with the sample's values; a new geotag by comparing ``lat``/``lon`` with the sample's.

    Parameters
    ----------
    raw
        Rows as read (CSV/XLSX text, or typed from a GeoPackage), at least ``id_keluarga``
        and ``status``; optional ``petugas``, ``tanggal``, ``lat``, ``lon`` (or
        ``lat_baru``/``lon_baru``), ``catatan`` and any of ``UPDATABLE_COLUMNS``.
    daftar
        The sample list (``GroundCheckSample.daftar``).
    today
        Dates after this are refused.
    row_offset
        Added to spreadsheet row numbers (header = row 1).

    Returns
    -------
    FieldResultCheck
        ``valid`` has ``RESULT_COLUMNS`` plus ``kode_desa`` (of the sample); ``perubahan`` is
        a JSON object (sorted keys) of the corrected contract fields.
    """
    raw = raw.reset_index(drop=True)
    baris = np.arange(len(raw)) + 2 + row_offset
    unknown = [c for c in raw.columns if c not in _KNOWN_COLUMNS]
    missing = [
        (1, None, col, None, "kolom_tidak_ada", _reason_text("kolom_tidak_ada", lang))
        for col in (S.ID, "status")
        if col not in raw.columns
    ]
    if missing:
        return FieldResultCheck(
            _empty_results(), pd.DataFrame(missing, columns=PROBLEM_COLUMNS), 0, unknown
        )

    n = len(raw)
    none = pd.Series([None] * n, index=raw.index, dtype=object)
    ids = _str(raw[S.ID])
    report = _Report(baris, ids, lang)
    status = _str(raw["status"]).map(lambda v: v.lower() if v is not None else None)
    petugas = _str(raw["petugas"]) if "petugas" in raw.columns else none
    tanggal_raw = raw["tanggal"] if "tanggal" in raw.columns else none
    has_date = ~_blank(tanggal_raw)
    empty = status.isna().to_numpy() & petugas.isna().to_numpy() & ~has_date
    n_kosong = int(empty.sum())
    todo = ~empty

    sample = daftar.drop_duplicates(S.ID)
    sample = sample.set_index(sample[S.ID].astype(str))
    in_sample = ids.isin(sample.index).to_numpy()
    _check_required(raw, ids, status, petugas, in_sample, todo, report)
    tanggal = _parse_date(tanggal_raw)
    report(todo & ~has_date, "tanggal", tanggal_raw, "kolom_wajib_kosong")
    bad_date = todo & has_date & _bool(tanggal.isna() | (tanggal > pd.Timestamp(today)))
    report(bad_date, "tanggal", tanggal_raw, "tanggal_tidak_valid")

    # Sample values of each row's family (NaN when the family is unknown).
    ref = sample.reindex(ids.where(in_sample, "\x00missing").to_numpy())
    ref.index = raw.index

    lat_new, lon_new = _check_geotag(raw, ref, todo, report)
    _check_locked(raw, ref, todo, in_sample, report)
    changes = _check_updatable(raw, ref, todo, in_sample, report)

    # Status consistency.
    changed_any = np.array([bool(c) for c in changes], dtype=bool) | ~np.isnan(lat_new)
    desa_changed = np.array([S.KODE_DESA in c for c in changes], dtype=bool)
    st = status.to_numpy(dtype=object)
    inconsistent = todo & (((st == "sesuai") & changed_any) | (desa_changed & (st != "pindah")))
    report(inconsistent, "status", raw["status"], "status_tidak_konsisten")

    problem_frame = (
        pd.DataFrame(report.problems, columns=PROBLEM_COLUMNS)
        .sort_values(["baris", "kolom"], kind="stable")
        .reset_index(drop=True)
    )
    keep = todo & ~np.isin(baris, problem_frame["baris"].to_numpy())
    catatan = _str(raw["catatan"]) if "catatan" in raw.columns else none
    valid = pd.DataFrame(
        {
            S.ID: ids[keep].astype(str).to_numpy(),
            "status": status[keep].astype(str).to_numpy(),
            "petugas": petugas[keep].astype(str).to_numpy(),
            "tanggal": tanggal[keep].dt.strftime("%Y-%m-%d").to_numpy(),
            "lat_baru": np.round(lat_new[keep], 6),
            "lon_baru": np.round(lon_new[keep], 6),
            "perubahan": [json.dumps(changes[i], sort_keys=True) for i in np.flatnonzero(keep)],
            "catatan": catatan[keep].to_numpy(dtype=object),
            S.KODE_DESA: ref.loc[keep, S.KODE_DESA].astype(str).to_numpy(),
        }
    )
    return FieldResultCheck(valid, problem_frame, n_kosong, unknown)


_KNOWN_COLUMNS = (
    set(RESULT_COLUMNS)
    | set(UPDATABLE_COLUMNS)
    | set(LOCKED_COLUMNS)
    | set(SAMPLE_COLUMNS)
    | {"lat", "lon", "nama_desa", "fid", "geometry", "ada_geotag", "status_teks", "alasan_teks"}
)


class _Report:
    """Collects problems: one row per (spreadsheet row, column, reason)."""

    def __init__(self, baris: np.ndarray, ids: pd.Series, lang: str) -> None:
        self.baris, self.ids, self.lang = baris, ids, lang
        self.problems: list[tuple] = []

    def __call__(self, mask, col, values, code) -> None:
        for i in np.flatnonzero(_bool(mask)):
            v = values.iloc[i] if values is not None else None
            self.problems.append(
                (
                    int(self.baris[i]),
                    self.ids.iloc[i],
                    col,
                    None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
                    code,
                    _reason_text(code, self.lang),
                )
            )


def _check_required(raw, ids, status, petugas, in_sample, todo, report: _Report) -> None:
    """id_keluarga (present, in the sample, once), status (present, known), petugas."""
    n = len(raw)
    id_ok = ids.notna().to_numpy()
    report(todo & ~id_ok, S.ID, ids, "kolom_wajib_kosong")
    report(todo & id_ok & ~in_sample, S.ID, ids, "keluarga_tidak_dalam_sampel")
    dup = np.zeros(n, dtype=bool)
    dup[todo & id_ok] = ids[todo & id_ok].duplicated(keep=False).to_numpy()
    report(dup, S.ID, ids, "id_keluarga_ganda")
    st_ok = status.notna().to_numpy()
    report(todo & ~st_ok, "status", status, "kolom_wajib_kosong")
    report(
        todo & st_ok & ~status.isin(STATUSES).to_numpy(),
        "status",
        raw["status"],
        "status_tidak_valid",
    )
    report(todo & petugas.isna().to_numpy(), "petugas", petugas, "kolom_wajib_kosong")


def _check_geotag(raw, ref, todo, report: _Report) -> tuple[np.ndarray, np.ndarray]:
    """Geotag: lat_baru/lon_baru, else lat/lon compared with the sample's (NaN = no new one)."""
    n = len(raw)
    lat_col = "lat_baru" if "lat_baru" in raw.columns else ("lat" if "lat" in raw.columns else None)
    lon_col = "lon_baru" if "lon_baru" in raw.columns else ("lon" if "lon" in raw.columns else None)
    if not (lat_col and lon_col):
        return np.full(n, np.nan), np.full(n, np.nan)
    lat_txt, lon_txt = raw[lat_col], raw[lon_col]
    has_lat, has_lon = ~_blank(lat_txt), ~_blank(lon_txt)
    lat_num = pd.to_numeric(_str(lat_txt), errors="coerce").to_numpy(dtype=float)
    lon_num = pd.to_numeric(_str(lon_txt), errors="coerce").to_numpy(dtype=float)
    report(todo & (has_lat ^ has_lon), lat_col, lat_txt, "koordinat_tidak_lengkap")
    not_num = (has_lat & np.isnan(lat_num)) | (has_lon & np.isnan(lon_num))
    report(todo & not_num, lat_col, lat_txt, "koordinat_tidak_valid")
    both = todo & has_lat & has_lon & ~not_num
    swapped = both & (lat_num >= 95) & (lat_num <= 141) & (lon_num >= -11) & (lon_num <= 6)
    report(swapped, lat_col, lat_txt, "koordinat_tertukar")
    inside = (
        (lat_num >= S.LAT_RANGE[0])
        & (lat_num <= S.LAT_RANGE[1])
        & (lon_num >= S.LON_RANGE[0])
        & (lon_num <= S.LON_RANGE[1])
    )
    outside = both & ~swapped & ~inside
    report(outside, lat_col, lat_txt, "koordinat_di_luar_indonesia")
    ok_geo = both & ~swapped & ~outside
    old_lat = pd.to_numeric(ref["lat"], errors="coerce").to_numpy(dtype=float)
    old_lon = pd.to_numeric(ref["lon"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        same = (np.abs(lat_num - old_lat) < 1e-5) & (np.abs(lon_num - old_lon) < 1e-5)
    moved = ok_geo if lat_col == "lat_baru" else ok_geo & ~same
    return np.where(moved, lat_num, np.nan), np.where(moved, lon_num, np.nan)


def _check_locked(raw, ref, todo, in_sample, report: _Report) -> None:
    """Locked columns: must equal the sample when present."""
    for col in LOCKED_COLUMNS:
        if col in raw.columns:
            given = _str(raw[col])
            if col == "desil":
                same = _bool(
                    pd.to_numeric(given, errors="coerce")
                    == pd.to_numeric(ref[col], errors="coerce")
                )
            else:
                same = (given.astype(str) == ref[col].astype(str)).to_numpy()
            report(
                todo & in_sample & given.notna().to_numpy() & ~same,
                col,
                raw[col],
                "kolom_tidak_dapat_diubah",
            )


def _check_updatable(raw, ref, todo, in_sample, report: _Report) -> list[dict]:
    """Updatable contract fields: validate, and collect per row the ones that differ."""
    changes: list[dict] = [{} for _ in range(len(raw))]
    for col in UPDATABLE_COLUMNS:
        if col not in raw.columns:
            continue
        given = _str(raw[col])
        present = todo & given.notna().to_numpy()
        if col == S.KODE_DESA:
            fmt = given.map(lambda v: v is not None and bool(_KODE_DESA.fullmatch(v)))
            bad = present & ~fmt.to_numpy(dtype=bool)
            report(bad, col, raw[col], "kode_desa_salah_format")
            diff = (
                present & ~bad & in_sample & (given.astype(str) != ref[col].astype(str)).to_numpy()
            )
            for i in np.flatnonzero(diff):
                changes[i][col] = str(given.iloc[i])
            continue
        num = pd.to_numeric(given, errors="coerce").to_numpy(dtype=float)
        whole = ~np.isnan(num) & (num == np.floor(num))
        if col in S.FLAG_COLUMNS:
            ok, code = (num == 0) | (num == 1), "nilai_biner_tidak_valid"
        elif col == "jumlah_art":
            ok, code = whole & (num >= 1) & (num <= S.MAX_ART), "jumlah_art_tidak_valid"
        else:  # pengeluaran_kapita
            ok, code = whole & (num >= 0), "pengeluaran_tidak_valid"
        bad = present & ~ok
        report(bad, col, raw[col], code)
        old = pd.to_numeric(ref[col], errors="coerce").to_numpy(dtype=float)
        diff = present & ~bad & in_sample & ~(num == old)
        for i in np.flatnonzero(diff):
            changes[i][col] = int(num[i])
    return changes


def _empty_results() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*RESULT_COLUMNS, S.KODE_DESA)})


@dataclass(frozen=True)
class MergeSummary:
    baru: int
    diperbarui: int
    sama: int
    diabaikan_lebih_lama: int

    @property
    def berubah(self) -> bool:
        return bool(self.baru or self.diperbarui)


def merge_results(
    existing: pd.DataFrame | None, incoming: pd.DataFrame
) -> tuple[pd.DataFrame, MergeSummary]:
    """Merge checked results into the stored ones (one row per family).

    A family not stored yet is added; an identical row changes nothing; a different row
    replaces the stored one when its date is the same or later, and is ignored when older.
    Merging the same rows twice gives the same table (idempotent); the output is sorted by
    ``id_keluarga`` so equal contents give equal tables.
    """
    cols = [*RESULT_COLUMNS, S.KODE_DESA]
    existing = _empty_results() if existing is None else existing[cols]
    old = existing.set_index(S.ID, drop=False)
    new_rows, baru, diperbarui, sama, lama = [], 0, 0, 0, 0
    replace: dict[str, dict] = {}
    for rec in incoming[cols].to_dict("records"):
        key = rec[S.ID]
        if key not in old.index:
            new_rows.append(rec)
            baru += 1
            continue
        cur = old.loc[key].to_dict()
        if _same(cur, rec):
            sama += 1
        elif str(rec["tanggal"]) >= str(cur["tanggal"]):
            replace[key] = rec
            diperbarui += 1
        else:
            lama += 1
    rows = [replace.get(r[S.ID], r) for r in existing.to_dict("records")] + new_rows
    merged = pd.DataFrame(rows, columns=cols) if rows else _empty_results()
    merged = merged.sort_values(S.ID, kind="stable").reset_index(drop=True)
    for c in ("lat_baru", "lon_baru"):
        merged[c] = pd.to_numeric(merged[c], errors="coerce").astype("float64")
    return merged, MergeSummary(baru, diperbarui, sama, lama)


def _same(a: Mapping, b: Mapping) -> bool:
    for k in (*RESULT_COLUMNS, S.KODE_DESA):
        x, y = a.get(k), b.get(k)
        xn = x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA
        yn = y is None or (isinstance(y, float) and np.isnan(y)) or y is pd.NA
        if xn or yn:
            if xn != yn:
                return False
        elif isinstance(x, float) or isinstance(y, float):
            assert x is not None and y is not None  # both present here
            if abs(float(x) - float(y)) > 1e-9:
                return False
        elif str(x) != str(y):
            return False
    return True
