"""Reading and writing family tables (CSV or Parquet, by extension)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_service.errors import InvalidInputError, NotFoundError

SUFFIXES = (".csv", ".parquet")


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInputError(
            f"Format berkas tidak dikenal: {path.name} (gunakan .csv atau .parquet)",
            f"Unknown file format: {path.name} (use .csv or .parquet)",
        )


def read_keluarga(path: str | Path) -> pd.DataFrame:
    """Read a family file as raw values (CSV: every column as text, for exact reports)."""
    path = Path(path)
    _check_suffix(path)
    if not path.exists():
        raise NotFoundError(
            f"Berkas keluarga tidak ditemukan: {path}", f"Family file not found: {path}"
        )
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return pd.read_parquet(path)
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        raise InvalidInputError(
            f"Berkas keluarga tidak dapat dibaca: {path.name}",
            f"Family file cannot be read: {path.name}",
            detail=str(exc),
        ) from exc


def write_keluarga(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a family table; CSV is plain UTF-8 (machine input), Parquet keeps types."""
    path = Path(path)
    _check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        out = frame.copy()
        for col in [c for c in out.columns if pd.api.types.is_object_dtype(out[c])]:
            out[col] = out[col].astype("string")
        out.to_parquet(path, index=False)
    return path
