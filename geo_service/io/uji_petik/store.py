"""Returned field results (CSV, XLSX or the GeoPackage) and the file-based sample store of
the CLI: one sample per folder, every write atomic, every import logged.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from geo_service import __version__
from geo_service.analysis import uji_petik as G
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.io.gpkg_lapangan import read_field_points
from geo_service.io.hashing import sha256_file
from geo_service.io.uji_petik.field_files import LAYER_POINTS


def read_field_results(path: str | Path) -> pd.DataFrame:
    """Rows of a returned result file (CSV, XLSX sheet ``daftar``, or the GeoPackage).

    CSV cells are read as text, XLSX cells as typed by Excel (dates, numbers), both turned
    into text by the checks for exact problem reports; a GeoPackage's point positions become
    ``lat``/``lon`` (so a moved or newly captured point is a new geotag).
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"Berkas hasil tidak ditemukan: {path}", f"Result file not found: {path}"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix == ".xlsx":
            return pd.read_excel(path, sheet_name="daftar", dtype=object)
        if suffix == ".gpkg":
            # Moved or captured points are new geotags; placeholders left alone are not.
            return read_field_points(path, LAYER_POINTS)
    except (ValueError, OSError, KeyError, pyogrio.errors.DataSourceError) as exc:
        raise InvalidInputError(
            f"Berkas hasil tidak dapat dibaca: {path.name}",
            f"Result file cannot be read: {path.name}",
            detail=str(exc),
        ) from exc
    raise InvalidInputError(
        f"Format berkas hasil tidak dikenal: {path.name} (gunakan .csv, .xlsx atau .gpkg)",
        f"Unknown result file format: {path.name} (use .csv, .xlsx or .gpkg)",
    )


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return out


class SampleStore:
    """One ground-check sample and its results in a folder (see the module docstring)."""

    META = "sampel.json"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def create(
        cls,
        folder: Path,
        sample: G.GroundCheckSample,
        *,
        kode_kab: str,
        periode: str,
        sample_id: str | None = None,
    ) -> SampleStore:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        store = cls(folder)
        meta = {
            "id": sample_id or G.sample_id(kode_kab, periode, sample.params),
            "kode_kab": kode_kab,
            "periode": periode,
            "dibuat": datetime.now(UTC).isoformat(timespec="seconds"),
            "geo_service": __version__,
            "parameter": sample.params.to_dict(),
            "n_keluarga": len(sample.daftar),
            "n_acak": len(sample.acak),
            "n_bendera": sample.n_bendera,
            "n_bendera_dipotong": sample.n_bendera_dipotong,
        }
        _atomic_write(
            folder / "daftar.parquet",
            lambda p: _parquet_safe(sample.daftar).to_parquet(p, index=False),
        )
        _atomic_write(folder / "design.parquet", lambda p: sample.design.to_parquet(p, index=False))
        _atomic_write(
            folder / cls.META,
            lambda p: p.write_text(
                json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
            ),
        )
        return store

    @property
    def meta(self) -> dict:
        path = self.folder / self.META
        if not path.exists():
            raise NotFoundError(
                f"Bukan folder sampel uji petik: {self.folder}",
                f"Not a ground-check sample folder: {self.folder}",
            )
        return json.loads(path.read_text(encoding="utf-8"))

    def sample(self) -> G.GroundCheckSample:
        meta = self.meta
        daftar = pd.read_parquet(self.folder / "daftar.parquet")
        design = pd.read_parquet(self.folder / "design.parquet")
        return G.GroundCheckSample(
            daftar=daftar,
            design=design,
            params=G.SampleParams.from_dict(meta["parameter"]),
            n_bendera=meta["n_bendera"],
            n_bendera_dipotong=meta["n_bendera_dipotong"],
        )

    def results(self) -> pd.DataFrame | None:
        path = self.folder / "hasil.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def save_results(self, frame: pd.DataFrame) -> None:
        _atomic_write(
            self.folder / "hasil.parquet", lambda p: _parquet_safe(frame).to_parquet(p, index=False)
        )

    def imports(self) -> list[dict]:
        path = self.folder / "impor.jsonl"
        if not path.exists():
            return []
        return [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def log_import(self, entry: dict) -> None:
        lines = [json.dumps(e, ensure_ascii=False) for e in self.imports()]
        lines.append(json.dumps(entry, ensure_ascii=False))
        _atomic_write(
            self.folder / "impor.jsonl",
            lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"),
        )


@dataclass
class ImportOutcome:
    """What an import of field results did."""

    berkas: str
    sha256: str
    check: G.FieldResultCheck
    summary: G.MergeSummary | None
    diimpor: bool
    alasan: str = ""
    entry: dict = field(default_factory=dict)


def import_field_results(
    path: str | Path,
    store: SampleStore,
    *,
    partial: bool = False,
    today: date | None = None,
    lang: str = "id",
) -> ImportOutcome:
    """Check a result file against the stored sample and merge it into the results.

    By default nothing is imported when any row has a problem (``diimpor`` False, the
    report in ``check.problems``); ``partial=True`` imports the valid rows. Every import
    attempt is logged in ``impor.jsonl`` with its file hash and counts.
    """
    path = Path(path)
    raw = read_field_results(path)
    sample = store.sample()
    check = G.validate_field_results(raw, sample.daftar, today=today or date.today(), lang=lang)
    digest = sha256_file(path)
    entry = {
        "waktu": datetime.now(UTC).isoformat(timespec="seconds"),
        "berkas": path.name,
        "sha256": digest,
        "baris": len(raw),
        "baris_kosong": check.n_kosong,
        "masalah": len(check.problems),
        "baris_sah": len(check.valid),
        "partial": partial,
    }
    if not check.ok and not partial:
        entry |= {"diimpor": False, "alasan": "ada_masalah"}
        store.log_import(entry)
        return ImportOutcome(path.name, digest, check, None, False, "ada_masalah", entry)
    merged, summary = G.merge_results(store.results(), check.valid)
    if summary.berubah:
        store.save_results(merged)
    entry |= {
        "diimpor": True,
        "baru": summary.baru,
        "diperbarui": summary.diperbarui,
        "sama": summary.sama,
        "diabaikan_lebih_lama": summary.diabaikan_lebih_lama,
    }
    store.log_import(entry)
    return ImportOutcome(path.name, digest, check, summary, True, "", entry)
