"""What ``geo-service uji-petik`` prints and draws: its texts (Bahasa Indonesia, English),
the problem and progress tables, and the offline progress map (:mod:`.uji_petik`).
pandas and folium are imported inside the functions (CLI start-up time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from geo_service.cli._common import console, out
from geo_service.i18n import fmt_number, pick, teks

if TYPE_CHECKING:
    import pandas as pd

TEXT = {
    "id": {
        "sample_done": "Sampel uji petik {id}: {n} keluarga ({acak} acak, {bendera} "
        "berbendera; {dipotong} bendera di atas batas tidak dimasukkan).",
        "files": "Berkas lapangan: {n} berkas di {dir}",
        "store": "Folder sampel (untuk impor dan progres): {dir}",
        "imported": "Diimpor {berkas}: {baru} baru, {diperbarui} diperbarui, {sama} sama, "
        "{lama} diabaikan (lebih lama); {kosong} baris belum dikunjungi.",
        "refused": "Tidak ada yang diimpor: {n} masalah pada {rows} baris. Laporan: {report}. "
        "Perbaiki berkas, atau gunakan --partial untuk mengimpor baris yang sah.",
        "progress": "Progres uji petik {id}",
        "errors": "Taksiran persentase data tidak sesuai (bagian acak)",
        "written": "Menulis {dir}/: {files}",
    },
    "en": {
        "sample_done": "Ground-check sample {id}: {n} families ({acak} random, {bendera} "
        "flagged; {dipotong} flagged beyond the cap left out).",
        "files": "Field files: {n} files in {dir}",
        "store": "Sample folder (for import and progress): {dir}",
        "imported": "Imported {berkas}: {baru} new, {diperbarui} updated, {sama} same, "
        "{lama} ignored (older); {kosong} rows not visited yet.",
        "refused": "Nothing imported: {n} problems in {rows} rows. Report: {report}. Fix the "
        "file, or use --partial to import the valid rows.",
        "progress": "Ground-check progress {id}",
        "errors": "Estimated share of wrong records (random part)",
        "written": "Wrote {dir}/: {files}",
    },
}


def print_problems(problems: pd.DataFrame, lang: str, limit: int = 20) -> None:
    import pandas as pd  # lazy: CLI start-up time

    table = Table(
        title=teks(("Masalah", "Problems"), lang)
        + f" ({min(limit, len(problems))}/{len(problems)})"
    )
    for col in ["baris", "id_keluarga", "kolom", "nilai", "kode_alasan", "keterangan"]:
        table.add_column(col)
    for rec in problems.head(limit).itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else str(v) for v in rec])
    console.print(table)


# --- uji-petik progress -----------------------------------------------------------------


def progress_map(shapes, meta: dict, lang: str):
    import folium  # lazy: CLI start-up time (folium, ~0.6 s)

    from geo_service.analysis.boundaries import union_repaired  # lazy: as above
    from geo_service.mapping.folium_map import offline_map  # lazy: as above

    shapes = shapes.to_crs(4326)
    c = union_repaired(shapes.geometry.to_numpy()).centroid  # no traceback on a bad desa
    m = offline_map((c.y, c.x), zoom_start=11)
    edges = [0, 25, 50, 75, 100.01]
    colours = ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"]

    def colour(v):
        for lo, hi, col in zip(edges[:-1], edges[1:], colours, strict=True):
            if lo <= v < hi:
                return col
        return "#999999"

    label = teks(("Selesai", "Done"), lang)
    folium.GeoJson(
        shapes[
            [
                "kode_desa",
                "nama_desa",
                "n_sampel",
                "n_selesai",
                "pct_selesai",
                "n_salah",
                "geometry",
            ]
        ].to_json(),
        name=teks(("Progres uji petik", "Ground-check progress"), lang),
        style_function=lambda f: {
            "fillColor": colour(f["properties"]["pct_selesai"] or 0),
            "color": "#555",
            "weight": 0.6,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["nama_desa", "n_sampel", "n_selesai", "pct_selesai", "n_salah"],
            aliases=[
                "Desa",
                teks(("Sampel", "Sample"), lang),
                label,
                f"% {label.lower()}",
                teks(("Tidak sesuai", "Wrong"), lang),
            ],
        ),
    ).add_to(m)
    legend = "".join(
        f'<div><span style="background:{col};display:inline-block;width:14px;'
        f'height:10px"></span> {lo:.0f}–{min(hi, 100):.0f}%</div>'
        for lo, hi, col in zip(edges[:-1], edges[1:], colours, strict=True)
    )
    title = teks(("Progres uji petik {id}", "Ground-check progress {id}"), lang, id=meta["id"])
    m.get_root().html.add_child(  # type: ignore[attr-defined]  # folium's Figure root
        folium.Element(
            f'<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:white;'
            f'padding:8px;border:1px solid #888;font:13px sans-serif"><b>{title}</b>'
            f"<div>% {label.lower()}</div>{legend}</div>"
        )
    )
    folium.LayerControl().add_to(m)
    return m


def print_progress(prog: pd.DataFrame, est: pd.DataFrame, meta: dict, lang: str) -> None:
    t = pick(TEXT, lang)
    table = Table(title=t["progress"].format(id=meta["id"]))
    for col in ("kode_desa", "nama_desa", "n_sampel", "n_selesai", "pct_selesai", "n_salah"):
        table.add_column(col, justify="right" if col.startswith(("n_", "pct")) else "left")
    for rec in prog.sort_values("pct_selesai").head(30).to_dict("records"):
        table.add_row(
            rec["kode_desa"],
            str(rec.get("nama_desa") or ""),
            str(rec["n_sampel"]),
            str(rec["n_selesai"]),
            fmt_number(rec["pct_selesai"], lang, 1),
            str(rec["n_salah"]),
        )
    total = prog[["n_sampel", "n_selesai", "n_salah"]].sum()
    table.add_row(
        "TOTAL",
        "",
        str(total["n_sampel"]),
        str(total["n_selesai"]),
        fmt_number(100 * total["n_selesai"] / max(total["n_sampel"], 1), lang, 1),
        str(total["n_salah"]),
    )
    out.print(table)
    out.print(f"[bold]{t['errors']}[/]")
    for line in est["teks"]:
        out.print("  " + line)
