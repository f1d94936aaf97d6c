"""Reference tables from ``data/``: the need -> OPD/programme table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_service.analysis.kebutuhan import check_programme_table
from geo_service.errors import NotFoundError

OPD_PROGRAMMES_FILE = "opd_programmes.csv"


def opd_programmes_path(data_dir: Path) -> Path:
    """Where the need -> OPD/programme table lives in a data folder."""
    return Path(data_dir) / OPD_PROGRAMMES_FILE


def read_opd_programmes(path: Path) -> pd.DataFrame:
    """The need -> OPD/programme table (UTF-8 CSV, with or without BOM), checked.

    Columns: ``kebutuhan`` (a need code of ``analysis.needs.NEEDS``), ``nama_kebutuhan``,
    ``nama_kebutuhan_en``, ``opd``, ``program``, optional ``keterangan``. A need may appear on
    several rows (several OPDs act on it).

    Raises
    ------
    NotFoundError
        The file does not exist.
    InvalidInputError
        A column is missing or a need code is unknown.
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"Tabel OPD/program tidak ditemukan: {path}", f"OPD/programme table not found: {path}"
        )
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    table = table.apply(lambda col: col.str.strip())
    return check_programme_table(table)
