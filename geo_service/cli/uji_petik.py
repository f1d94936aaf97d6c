"""CLI for ground checks: ``geo-service uji-petik sample | import | progress``. Registered on
the main app by :func:`register` (``transisi`` and ``target`` have their own modules).

A thin layer: files in (``io``), pure analysis (``analysis.groundcheck``, ``.transitions``,
``.targets``), files out. Samples and their results live in a sample folder
(:class:`~geo_service.io.uji_petik.SampleStore`). pandas, the analysis and ``io`` are
imported when a command runs (``--help`` stays light: CLI start-up time).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_service.cli._common import _desa_quiet as _load_desa
from geo_service.cli._common import _domain_errors, _indicators, console, out
from geo_service.cli.uji_petik_tampil import TEXT, print_problems, print_progress, progress_map
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int, pick

if TYPE_CHECKING:
    import pandas as pd

uji_app = typer.Typer(
    help="Uji petik (pemeriksaan lapangan) data keluarga DTSEN.", no_args_is_help=True
)

LangOpt = Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")]


def register(app: typer.Typer) -> None:
    """Add ``uji-petik`` (sample, import, progress) to ``app``."""
    # Old verbs kept hidden so existing scripts keep working (issue 10: one language).
    for old, command in (("sampel", sampel), ("impor", impor), ("progres", progres)):
        uji_app.command(old, hidden=True)(command)
    app.add_typer(uji_app, name="uji-petik")


def _kode_kab(desa) -> str:
    return (
        str(desa["kode_kab"].iloc[0])
        if "kode_kab" in desa.columns
        else str(desa["kode"].iloc[0])[:5]
    )


# --- uji-petik sample --------------------------------------------------------------------


@uji_app.command("sample")
def sampel(
    keluarga: Annotated[Path, typer.Option(help="Berkas keluarga (.csv atau .parquet).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder sampel (dibuat).")],
    seed: Annotated[int, typer.Option(help="Benih acak bagian acak (wajib, dicatat).")],
    kabupaten: Annotated[
        str | None, typer.Option(help="Kode kabupaten dengan batas bawaan.")
    ] = None,
    boundaries: Annotated[Path | None, typer.Option(help="Atau: berkas batas desa.")] = None,
    per_desa: Annotated[
        int, typer.Option("--per-desa", min=0, help="Ukuran sampel acak per desa.")
    ] = 10,
    alokasi: Annotated[
        str, typer.Option(help="Alokasi ke strata desil: proporsional atau sama.")
    ] = "proporsional",
    min_per_strata: Annotated[
        int, typer.Option(min=0, help="Minimal keluarga per strata tak kosong.")
    ] = 2,
    maks_bendera: Annotated[
        int | None, typer.Option(help="Batas jumlah keluarga berbendera.")
    ] = 2000,
    maks_bendera_per_desa: Annotated[
        int | None, typer.Option(help="Batas keluarga berbendera per desa.")
    ] = None,
    prioritas: Annotated[
        bool,
        typer.Option(
            "--prioritas/--tanpa-prioritas",
            help="Hitung kantong dan peringkat desa untuk urutan bendera.",
        ),
    ] = True,
    hasil: Annotated[
        Path | None,
        typer.Option(
            help="Folder hasil `geo-service analyse` (pockets.geojson, priorities.csv): dipakai alih-alih menghitung ulang."
        ),
    ] = None,
    petugas: Annotated[
        Path | None, typer.Option(help="CSV kode_desa,petugas (pendamping per desa).")
    ] = None,
    laporan_warga: Annotated[
        Path | None,
        typer.Option(help="Folder laporan warga; keluarga yang dilaporkan diberi bendera."),
    ] = None,
    per: Annotated[str, typer.Option(help="Berkas lapangan per desa atau per petugas.")] = "desa",
    format_: Annotated[
        str, typer.Option("--format", help="Format dipisah koma: xlsx,csv,gpkg.")
    ] = "xlsx,csv,gpkg",
    partial: Annotated[
        bool, typer.Option("--partial", help="Pakai baris sah saja bila ada baris ditolak.")
    ] = False,
    lang: LangOpt = "id",
) -> None:
    """Buat daftar uji petik: keluarga berbendera + sampel acak berstrata per desa."""
    # lazy: CLI start-up time (`uji-petik sample --help` without pandas and the analysis)
    import pandas as pd

    from geo_service.analysis import uji_petik as G
    from geo_service.io.uji_petik import SampleStore, export_sample
    from geo_service.services.laporan_warga import CitizenReportService, JsonFileReportStore

    t = pick(TEXT, lang)
    with _domain_errors(lang):
        desa = _load_desa(kabupaten, boundaries)
        result = _indicators(keluarga, desa, lang, partial)
        fam = result.keluarga
        kantong = nomor = peringkat = None
        if hasil is not None:
            kantong, nomor, peringkat = _pockets_and_ranks_from(hasil, fam)
        elif prioritas:
            kantong, nomor, peringkat = _pockets_and_ranks(result, seed)
        reported = _reported_families(laporan_warga) if laporan_warga else None
        params = G.SampleParams(
            seed=seed,
            n_per_desa=per_desa,
            alokasi=alokasi,
            min_per_strata=min_per_strata,
            maks_bendera=maks_bendera,
            maks_bendera_per_desa=maks_bendera_per_desa,
        )
        sample = G.build_sample(
            fam,
            params,
            kantong=kantong,
            nomor_kantong=nomor,
            peringkat_desa=peringkat,
            laporan_warga=reported,
        )
        if petugas is not None:
            officers = pd.read_csv(petugas, dtype=str, encoding="utf-8-sig")
            sample = G.GroundCheckSample(
                daftar=G.assign_officers(sample.daftar, officers),
                design=sample.design,
                params=sample.params,
                n_bendera=sample.n_bendera,
                n_bendera_dipotong=sample.n_bendera_dipotong,
            )
        periode = ", ".join(sorted(fam["periode"].astype(str).unique()))
        store = SampleStore.create(out_dir, sample, kode_kab=_kode_kab(desa), periode=periode)
        meta = store.meta
        if laporan_warga is not None:  # reports whose family is in the list are now queued
            CitizenReportService(JsonFileReportStore(laporan_warga)).mark_queued(
                sample.daftar["id_keluarga"].astype(str), meta["id"]
            )
        info = {
            "id": meta["id"],
            "kabupaten": meta["kode_kab"],
            "periode": periode,
            "seed": seed,
            "dibuat": meta["dibuat"],
            "parameter": meta["parameter"],
        }
        files = export_sample(
            sample.daftar,
            desa,
            out_dir / "lapangan",
            per=per,
            formats=[f.strip() for f in format_.split(",") if f.strip()],
            info=info,
            lang=lang,
        )
    out.print(
        t["sample_done"].format(
            id=meta["id"],
            n=fmt_int(len(sample.daftar), lang),
            acak=fmt_int(len(sample.acak), lang),
            bendera=fmt_int(int((sample.daftar["jenis"] == "bendera").sum()), lang),
            dipotong=fmt_int(sample.n_bendera_dipotong, lang),
        )
    )
    out.print(t["files"].format(n=len(files), dir=out_dir / "lapangan"))
    out.print(t["store"].format(dir=out_dir))


def _pockets_and_ranks(result, seed: int):
    """Pocket id per family, pocket numbers and desa ranks from the planning stage."""
    # lazy: CLI start-up time
    import numpy as np
    import pandas as pd

    from geo_service.analysis.kantong import family_cell_rows
    from geo_service.analysis.planning import compute_planning
    from geo_service.services.analysis_run import RUN_DEFAULTS

    # The run's planning parameters; no rank bootstrap (only pockets and ranks are needed).
    params = replace(RUN_DEFAULTS.planning_params(), bootstrap=0)
    plan = compute_planning(result, params, seed=seed)
    fam = result.keluarga
    cell_pocket = plan.h3["kantong_id"].to_numpy(dtype=object)

    sel = family_cell_rows(plan.h3, fam)
    pocket = np.full(len(fam), None, dtype=object)
    pocket[sel >= 0] = cell_pocket[sel[sel >= 0]]
    nomor = dict(zip(plan.pockets["kantong_id"], plan.pockets["nomor"], strict=True))
    ranks = plan.priorities.set_index("kode_desa")["peringkat"]
    return pd.Series(pocket, index=fam.index), nomor, ranks


def _pockets_and_ranks_from(folder: Path, fam: pd.DataFrame):
    """The same from the files of an analysis run (``pockets.geojson``, ``priorities.csv``)."""
    # lazy: CLI start-up time
    import numpy as np
    import pandas as pd
    import pyogrio

    from geo_service.analysis.locate import cell_to_parent, cells_to_str

    pockets_file, ranks_file = folder / "pockets.geojson", folder / "priorities.csv"
    for f in (pockets_file, ranks_file):
        if not f.exists():
            raise InvalidInputError(
                f"Berkas hasil analisis tidak ada: {f}", f"Analysis output missing: {f}"
            )
    pockets = pyogrio.read_dataframe(pockets_file, read_geometry=False)
    ranks = pd.read_csv(ranks_file, dtype={"kode_desa": str}, encoding="utf-8-sig")
    cell_of: dict[str, str] = {}
    for pid, cells in zip(pockets.get("kantong_id", []), pockets.get("sel_h3", []), strict=True):
        for c in str(cells).split(","):
            if c.strip():
                cell_of[c.strip()] = str(pid)
    pocket = pd.Series([None] * len(fam), index=fam.index, dtype=object)
    if cell_of:
        res = int((int(next(iter(cell_of)), 16) >> 52) & 0xF)
        cells = fam["h3"].to_numpy(dtype=np.uint64)
        has = cells != 0
        names = np.full(len(fam), None, dtype=object)
        names[has] = cells_to_str(cell_to_parent(cells[has], res))
        pocket[:] = [cell_of.get(c) if c is not None else None for c in names]
    nomor = (
        dict(zip(pockets["kantong_id"].astype(str), pockets["nomor"].astype(int), strict=True))
        if len(pockets)
        else {}
    )
    return pocket, nomor, ranks.set_index("kode_desa")["peringkat"]


def _reported_families(folder: Path) -> list[str]:
    from geo_service.services.laporan_warga import JsonFileReportStore  # lazy: start-up time

    return JsonFileReportStore(folder).reported_families()


# --- uji-petik import --------------------------------------------------------------------


@uji_app.command("import")
def impor(
    berkas: Annotated[Path, typer.Argument(help="Hasil lapangan: .csv, .xlsx atau .gpkg.")],
    sampel_dir: Annotated[
        Path, typer.Option("--sampel", help="Folder sampel (dari `uji-petik sample`).")
    ],
    partial: Annotated[
        bool, typer.Option("--partial", help="Impor baris sah walau ada baris bermasalah.")
    ] = False,
    tanggal_hari_ini: Annotated[
        str | None, typer.Option(help="Tanggal hari ini YYYY-MM-DD (untuk uji; bawaan: hari ini).")
    ] = None,
    laporan_warga: Annotated[
        Path | None,
        typer.Option(
            help="Folder laporan warga; laporan atas keluarga yang sudah diperiksa ditandai 'diverifikasi'."
        ),
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Impor hasil uji petik; semua baris diperiksa, tidak ada yang diimpor bila ada masalah."""
    # lazy: CLI start-up time
    from geo_service.io.uji_petik import SampleStore, import_field_results
    from geo_service.services.laporan_warga import CitizenReportService, JsonFileReportStore

    t = pick(TEXT, lang)
    with _domain_errors(lang):
        store = SampleStore(sampel_dir)
        today = date.fromisoformat(tanggal_hari_ini) if tanggal_hari_ini else None
        outcome = import_field_results(berkas, store, partial=partial, today=today, lang=lang)
    problems = outcome.check.problems
    if len(problems):
        report = sampel_dir / f"masalah_{berkas.stem}.csv"
        problems.to_csv(report, index=False, encoding="utf-8-sig")
        print_problems(problems, lang)
    if not outcome.diimpor:
        console.print(
            "[bold red]"
            + t["refused"].format(
                n=len(problems),
                rows=problems["baris"].nunique(),
                report=sampel_dir / f"masalah_{berkas.stem}.csv",
            )
            + "[/]"
        )
        raise typer.Exit(2)
    if laporan_warga is not None and store.results() is not None:
        CitizenReportService(JsonFileReportStore(laporan_warga)).close_from_results(store.results())
    s = outcome.summary
    assert s is not None and outcome.check is not None  # set whenever the rows were imported
    out.print(
        t["imported"].format(
            berkas=berkas.name,
            baru=s.baru,
            diperbarui=s.diperbarui,
            sama=s.sama,
            lama=s.diabaikan_lebih_lama,
            kosong=outcome.check.n_kosong,
        )
    )


@uji_app.command("progress")
def progres(
    sampel_dir: Annotated[Path, typer.Option("--sampel", help="Folder sampel.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder keluaran (bawaan: folder sampel/progres).")
    ] = None,
    kelompok: Annotated[
        str, typer.Option(help="Kelompok desa untuk taksiran galat: kecamatan atau desa.")
    ] = "kecamatan",
    boundaries: Annotated[
        Path | None, typer.Option(help="Batas desa untuk peta (bawaan: batas kabupaten sampel).")
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Progres per desa (tabel dan peta) dan taksiran persentase data tidak sesuai."""
    # lazy: CLI start-up time (`uji-petik progress --help` without pandas and the analysis)
    import pandas as pd

    from geo_service.analysis import uji_petik as G
    from geo_service.io.export import output_dir, write_csv, write_geojson
    from geo_service.io.uji_petik import SampleStore

    t = pick(TEXT, lang)
    with _domain_errors(lang):
        store = SampleStore(sampel_dir)
        meta = store.meta
        sample = store.sample()
        hasil = store.results()
        hasil = hasil if hasil is not None else pd.DataFrame({"id_keluarga": [], "status": []})
        prog = G.sample_progress(sample.daftar, hasil)
        desa = _load_desa(meta["kode_kab"], boundaries)
        names = desa.set_index("kode")[["nama", "kode_kec", "nama_kec"]].rename(
            columns={"nama": "nama_desa"}
        )
        prog = prog.join(names, on="kode_desa")
        if kelompok == "kecamatan":
            groups = {k: str(names["nama_kec"].get(k, k[:8])) for k in prog["kode_desa"]}
        elif kelompok == "desa":
            groups = {k: str(names["nama_desa"].get(k, k)) for k in prog["kode_desa"]}
        else:
            raise InvalidInputError(
                "--kelompok harus kecamatan atau desa", "--kelompok must be kecamatan or desa"
            )
        est = G.estimate_error_rate(sample.daftar, sample.design, hasil, kelompok=groups)
        est["teks"] = [G.error_rate_text(r, lang) for r in est.to_dict("records")]
        target_dir = out_dir or sampel_dir / "progres"
        with output_dir(target_dir) as tmp:
            write_csv(prog, tmp / "progres_desa.csv")
            write_csv(est, tmp / "taksiran_galat.csv")
            shapes = desa.rename(columns={"kode": "kode_desa"})[["kode_desa", "geometry"]].merge(
                prog, on="kode_desa", how="inner"
            )
            write_geojson(shapes, tmp / "progres_desa.geojson")
            progress_map(shapes, meta, lang).save(str(tmp / "progres.html"))
    print_progress(prog, est, meta, lang)
    out.print(
        t["written"].format(
            dir=target_dir,
            files=", ".join(
                sorted(p.name for p in target_dir.iterdir() if not p.name.startswith("."))
            ),
        )
    )
