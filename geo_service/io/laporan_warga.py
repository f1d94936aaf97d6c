"""Citizen-report stores outside the database: in memory (tests, one process) and a folder
with ``laporan.jsonl`` and ``foto/`` (the CLI without a database). The database store is
:class:`geo_service.db.repo.laporan_warga.DbReportStore`.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from geo_service.analysis.laporan_warga import CitizenReport, reported_families


class MemoryReportStore:
    """Reports in a dict (tests, or a single process without persistence)."""

    def __init__(self) -> None:
        self._reports: dict[str, CitizenReport] = {}
        self.photos: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def add(self, report: CitizenReport) -> None:
        with self._lock:
            self._reports[report.nomor] = report

    def get(self, nomor: str) -> CitizenReport | None:
        return self._reports.get(nomor)

    def update(self, report: CitizenReport) -> None:
        self.add(report)

    def all(self) -> list[CitizenReport]:
        return list(self._reports.values())

    def save_photo(self, sha256: str, kind: str, data: bytes) -> None:
        self.photos[sha256] = data

    def reported_families(self) -> list[str]:
        return reported_families(self.all())


class JsonFileReportStore(MemoryReportStore):
    """Reports in ``<folder>/laporan.jsonl`` (rewritten atomically), photos in ``foto/``."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.path = self.folder / "laporan.jsonl"
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = CitizenReport(**json.loads(line))
                    self._reports[r.nomor] = r

    def _flush(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True)
            for r in sorted(self._reports.values(), key=lambda r: r.nomor)
        ]
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
        os.replace(tmp, self.path)

    def add(self, report: CitizenReport) -> None:
        with self._lock:
            self._reports[report.nomor] = report
            self._flush()

    def update(self, report: CitizenReport) -> None:
        self.add(report)

    def save_photo(self, sha256: str, kind: str, data: bytes) -> None:
        folder = self.folder / "foto"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{sha256}.{'jpg' if kind == 'jpeg' else 'png'}").write_bytes(data)
