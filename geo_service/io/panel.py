"""Files of the synthetic DTSEN panel (:mod:`geo_service.synth.panel`): one family file per
snapshot with the truth beside it, and a corrupted register with its reality and truth.

Takes the generator's objects (``PanelData``, ``CorruptedRegister``) by their attributes, so
``io`` does not import ``synth`` (same layer).
"""

from __future__ import annotations

from pathlib import Path

from geo_service.io.export import write_json
from geo_service.io.keluarga import write_keluarga


def write_panel(panel, out_dir, *, suffix: str = ".parquet") -> list:
    """Write ``keluarga_<periode><suffix>`` per snapshot and ``panel.truth.json`` beside them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        write_keluarga(frame, out_dir / f"keluarga_{periode}{suffix}")
        for periode, frame in panel.snapshots.items()
    ]
    files.append(write_json(panel.truth, out_dir / "panel.truth.json"))
    return files


def write_corrupted(corrupted, path) -> list:
    """Write the register (``path``), the reality beside it (``<path>.kenyataan.csv``) and the
    truth summary (``<path>.truth.json``)."""
    path = Path(path)
    reality = path.with_name(path.name + ".kenyataan.csv")
    corrupted.kenyataan.to_csv(reality, index=False, encoding="utf-8")
    return [
        write_keluarga(corrupted.register, path),
        reality,
        write_json(corrupted.truth, path.with_name(path.name + ".truth.json")),
    ]
