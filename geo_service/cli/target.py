"""``geo-service target``: progress towards the kabupaten targets (BPS figures and DTSEN
indicators per periode); pandas and the analysis are imported when the command runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from geo_service.cli._common import _desa_quiet as _load_desa
from geo_service.cli._common import _domain_errors, _indicators, out
from geo_service.errors import InvalidInputError
from geo_service.settings import get_settings

LangOpt = Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")]


def register(app: typer.Typer) -> None:
    """Add ``target`` to the main CLI."""
    app.command("target")(target)


def target(
    kabupaten: Annotated[str | None, typer.Option(help="Hanya kabupaten ini (kode).")] = None,
    keluarga: Annotated[
        list[Path] | None,
        typer.Option(help="Berkas keluarga per periode untuk indikator DTSEN (ulangi opsi)."),
    ] = None,
    targets_file: Annotated[
        Path | None, typer.Option("--targets", help="Tabel target (bawaan: data/targets.csv).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder keluaran (target_progres.csv, .txt).")
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Capaian target kabupaten: nilai sekarang, target, laju yang diperlukan dan teramati."""
    # lazy: CLI start-up time (`target --help` without pandas and the analysis)
    import pandas as pd

    from geo_service.analysis import target as TG
    from geo_service.io.boundaries import read_bps
    from geo_service.io.export import write_csv

    with _domain_errors(lang):
        data_dir = get_settings().paths.data_dir
        path = targets_file or data_dir / "targets.csv"
        table = pd.read_csv(path, dtype={"kode_kab": str}, encoding="utf-8-sig")
        targets = TG.targets_from_frame(table)
        if kabupaten:
            targets = [x for x in targets if x.kode_kab == kabupaten]
        obs = [TG.observations_from_bps(read_bps(data_dir))]
        runs: dict[str, dict[str, dict]] = {}
        for f in keluarga or []:
            kode = _kode_from_file(f)
            desa = _load_desa(kode, None)
            r = _indicators(f, desa, lang, partial=True)
            periode = ", ".join(sorted(r.keluarga["periode"].astype(str).unique()))
            runs.setdefault(kode, {})[periode] = r.kabupaten.iloc[0].to_dict()
        for per_kab in runs.values():
            obs.append(TG.observations_from_runs(per_kab))
        progress = TG.progress_table(targets, pd.concat(obs, ignore_index=True), lang=lang)
        text = TG.progress_report(progress, lang)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_csv(progress, out_dir / "target_progres.csv")
            (out_dir / "target_progres.txt").write_text(text, encoding="utf-8")
            (out_dir / "target_progres.json").write_text(
                json.dumps(progress.to_dict("records"), ensure_ascii=False, indent=2, default=str),
                encoding="utf-8",
            )
    out.print(text)


def _kode_from_file(path: Path) -> str:
    from geo_service.io.keluarga import read_keluarga  # lazy: CLI start-up time

    codes = read_keluarga(path)["kode_desa"].astype(str).str[:5].value_counts()
    if codes.empty:
        raise InvalidInputError(
            f"{path.name}: tidak ada baris keluarga.", f"{path.name}: no family rows."
        )
    return str(codes.index[0])
