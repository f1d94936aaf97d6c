"""``geo-service transisi``: compare several periodes (decile transitions, graduation per
desa, trends, pocket classes). The analysis, pandas and folium are imported when the
command runs (CLI start-up time)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from geo_service.cli._common import _desa_quiet as _load_desa
from geo_service.cli._common import _domain_errors, _indicators, console, out
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_percent, pick, teks

#: Below this share of ids found again, ``transisi`` warns that the files may not match.
MIN_ID_MATCH = 0.5

LangOpt = Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")]

TEXT = {
    "id": {
        "written": "Menulis {dir}/: {files}",
        "need_two": "Berikan minimal dua berkas --keluarga (periode berbeda).",
        "warning": "Peringatan",
        "few_match": (
            "hanya {share} keluarga periode {first} ditemukan lagi pada {last} (ID sama). "
            "Apakah kedua berkas memakai ID keluarga yang sama? Keluarga 'baru' dan 'keluar' "
            "di bawah ini kemungkinan besar hanya ID yang berbeda."
        ),
        "kabupaten_from_file": "Kabupaten {kab} (dari kode desa berkas pertama).",
    },
    "en": {
        "written": "Wrote {dir}/: {files}",
        "need_two": "Give at least two --keluarga files (different periodes).",
        "warning": "Warning",
        "few_match": (
            "only {share} of the families of periode {first} are found again in {last} (same "
            "id). Do both files use the same family ids? 'New' and 'leaving' families below are "
            "most likely just different ids."
        ),
        "kabupaten_from_file": "Kabupaten {kab} (from the desa codes of the first file).",
    },
}


def register(app: typer.Typer) -> None:
    """Add ``transisi`` to the main CLI."""
    app.command("transisi")(transisi)


def transisi(
    keluarga: Annotated[
        list[Path], typer.Option(help="Berkas keluarga per periode (ulangi opsi, urut waktu).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    kabupaten: Annotated[
        str | None, typer.Option(help="Kode kabupaten dengan batas bawaan.")
    ] = None,
    boundaries: Annotated[Path | None, typer.Option(help="Atau: berkas batas desa.")] = None,
    kantong: Annotated[
        bool,
        typer.Option(
            "--kantong/--tanpa-kantong", help="Kelas kantong lintas periode (perlu >= 3 periode)."
        ),
    ] = True,
    seed: Annotated[int, typer.Option(help="Benih permutasi deteksi kantong.")] = 7,
    ambang_pp: Annotated[
        float, typer.Option(help="Perubahan minimal (poin persen) untuk tren naik/turun desa.")
    ] = 1.0,
    partial: Annotated[bool, typer.Option("--partial", help="Pakai baris sah saja.")] = False,
    lang: LangOpt = "id",
) -> None:
    """Bandingkan beberapa periode: matriks transisi desil, graduasi per desa, tren, kelas kantong."""
    # lazy: CLI start-up time (`transisi --help` without pandas, GeoPandas and the analysis)
    from geo_service.analysis import transisi as T
    from geo_service.analysis.planning import PlanningParams, detect_pockets
    from geo_service.io.export import output_dir, write_csv, write_geojson, write_json

    t = pick(TEXT, lang)
    with _domain_errors(lang):
        if len(keluarga) < 2:
            raise InvalidInputError(TEXT["id"]["need_two"], TEXT["en"]["need_two"])
        if kabupaten is None and boundaries is None:
            kabupaten = _kabupaten_of(keluarga[0])
            console.print(t["kabupaten_from_file"].format(kab=kabupaten))
        desa = _load_desa(kabupaten, boundaries)
        results = {}
        for path in keluarga:
            r = _indicators(path, desa, lang, partial)
            periode = ", ".join(sorted(r.keluarga["periode"].astype(str).unique()))
            if periode in results:
                raise InvalidInputError(
                    f"Periode {periode} diberikan dua kali.", f"Periode {periode} given twice."
                )
            results[periode] = r
        names = list(results)
        snaps = {p: r.keluarga for p, r in results.items()}
        share = id_match(snaps[names[0]]["id_keluarga"], snaps[names[-1]]["id_keluarga"])
        if share < MIN_ID_MATCH:
            console.print(
                f"[yellow]{t['warning']}:[/] "
                + t["few_match"].format(
                    share=fmt_percent(100 * share, lang), first=names[0], last=names[-1]
                )
            )
        with output_dir(out_dir) as tmp:
            first, last = names[0], names[-1]
            mat = T.transition_matrix(snaps[first], snaps[last])
            mat.to_csv(tmp / "matriks_transisi.csv", encoding="utf-8-sig")
            T.transition_matrix(snaps[first], snaps[last], bobot="jiwa").to_csv(
                tmp / "matriks_transisi_jiwa.csv", encoding="utf-8-sig"
            )
            grad = T.panel_graduation(snaps)
            grad["teks"] = [T.graduation_text(r, lang) for r in grad.to_dict("records")]
            write_csv(grad, tmp / "graduasi_desa.csv")
            rc = T.rate_change({p: r.desa for p, r in results.items()}, ambang_pp=ambang_pp)
            write_csv(rc, tmp / "tren_desa.csv")
            shapes = desa.rename(columns={"kode": "kode_desa"})[["kode_desa", "geometry"]].merge(
                rc.drop(columns=["nama_desa"], errors="ignore"), on="kode_desa", how="left"
            )
            write_geojson(shapes, tmp / "tren_desa.geojson")
            _trend_map(
                shapes.merge(
                    desa[["kode", "nama"]].rename(
                        columns={"kode": "kode_desa", "nama": "nama_desa"}
                    ),
                    on="kode_desa",
                ),
                first,
                last,
                lang,
            ).save(str(tmp / "tren.html"))
            record = {"periode": names, "ambang_pp": ambang_pp, "seed": seed}
            if kantong and len(names) >= 3:
                pockets = {
                    p: detect_pockets(r, PlanningParams(), seed=seed).pockets
                    for p, r in results.items()
                }
                classes = T.pocket_classes(pockets, lang=lang)
                write_csv(classes, tmp / "kelas_kantong.csv")
                record["kelas_kantong"] = (
                    classes["kelas"].value_counts().to_dict() if len(classes) else {}
                )
            write_json(record, tmp / "transisi.json")
    total = grad[grad["unit"] == "TOTAL"]
    for rec in total.to_dict("records"):
        out.print(f"{rec['dari']} → {rec['ke']}: {rec['teks']}")
    out.print(
        t["written"].format(
            dir=out_dir,
            files=", ".join(
                sorted(p.name for p in out_dir.iterdir() if not p.name.startswith("."))
            ),
        )
    )


def id_match(first, last) -> float:
    """Share of the ids of ``first`` found again in ``last``."""
    a = set(first.astype(str))
    return len(a & set(last.astype(str))) / len(a) if a else 0.0


def _kabupaten_of(path: Path) -> str:
    """The kabupaten of a family file: the most common ``kode_desa`` prefix (``33.24``)."""
    from geo_service.io.keluarga import read_keluarga  # lazy: CLI start-up time

    fam = read_keluarga(path)
    codes = fam["kode_desa"].dropna().astype(str).str[:5]
    if codes.empty:
        raise InvalidInputError(
            f"{path.name}: tidak ada kode_desa; berikan --kabupaten.",
            f"{path.name}: no kode_desa; give --kabupaten.",
        )
    return str(codes.mode().iloc[0])


def _trend_map(shapes, first: str, last: str, lang: str):
    # lazy: CLI start-up time (folium, ~0.6 s)
    import folium
    from branca.element import Figure

    from geo_service.analysis.boundaries import union_repaired
    from geo_service.mapping.folium_map import offline_map

    shapes = shapes.to_crs(4326)
    c = union_repaired(shapes.geometry.to_numpy()).centroid  # no traceback on a bad desa
    m = offline_map((c.y, c.x), zoom_start=11)
    edges = [-1e9, -3, -1, 1, 3, 1e9]
    colours = ["#1a9641", "#a6d96a", "#f7f7f7", "#fdae61", "#d7191c"]

    def colour(v):
        if v is None:
            return "#bbbbbb"
        for lo, hi, col in zip(edges[:-1], edges[1:], colours, strict=True):
            if lo <= v < hi:
                return col
        return "#bbbbbb"

    cols = ["kode_desa", "nama_desa", "perubahan_pp", "tren", f"pct_{first}", f"pct_{last}"]
    folium.GeoJson(
        shapes[cols + ["geometry"]].to_json(na="null"),
        name=teks(("Perubahan % jiwa miskin ekstrem", "Change in extreme-poor %"), lang),
        style_function=lambda f: {
            "fillColor": colour(f["properties"]["perubahan_pp"]),
            "color": "#555",
            "weight": 0.6,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=cols[1:],
            aliases=[
                "Desa",
                teks(("Δ poin", "Δ points"), lang),
                teks(("Tren", "Trend"), lang),
                f"% {first}",
                f"% {last}",
            ],
        ),
    ).add_to(m)
    labels = ["≤ -3", "-3 – -1", "-1 – 1", "1 – 3", "≥ 3"]
    legend = "".join(
        f'<div><span style="background:{col};display:inline-block;width:14px;'
        f'height:10px;border:1px solid #999"></span> {lab}</div>'
        for col, lab in zip(colours, labels, strict=True)
    )
    title = teks(
        (
            f"Perubahan % jiwa miskin ekstrem {first} → {last} (poin)",
            f"Change in % extreme-poor persons {first} → {last} (points)",
        ),
        lang,
    )
    cast(Figure, m.get_root()).html.add_child(
        folium.Element(
            f'<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:white;'
            f'padding:8px;border:1px solid #888;font:13px sans-serif"><b>{title}</b>{legend}</div>'
        )
    )
    folium.LayerControl().add_to(m)
    return m
