"""Batch analysis per kabupaten on a Dask cluster (a province or all 514 kabupaten).

Each kabupaten is one task: the worker reads only that kabupaten's families and desa,
runs the one analysis run of ``geo-service analyse`` (:mod:`.analysis_run`: same
parameters, same files), writes them under ``out/<kode_kab>/`` and returns one summary row. The client
never holds families; the national summary is built from the returned rows. Memory is
bounded by the largest kabupaten times the tasks running at once.

Families come as one Parquet file per kabupaten (``<kode_kab>.parquet`` or a Hive folder
``kode_kab=<kode_kab>/``); :func:`split_by_kabupaten` makes them from one large file in a
streaming pass. On a real cluster every worker must see the same paths (shared storage).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.fastjoin import (
    boundary_fingerprint,
    build_boundary_index,
    build_join_table,
)
from geo_service.io.boundaries import read_index
from geo_service.io.export import write_csv
from geo_service.services import analysis_run as AR
from geo_service.services.analysis_run import RUN_DEFAULTS, RunParams

UNASSIGNED = "_lainnya"


@dataclass(frozen=True)
class BatchResult:
    """What a batch run wrote and measured."""

    summary: pd.DataFrame  # one row per kabupaten (+ seconds, n_rows)
    out_dir: Path
    seconds: float
    failed: dict[str, str]
    unassigned_rows: int  # rows in no kabupaten file (bad kode_desa), never analysed


def family_files(keluarga_dir: Path) -> dict[str, list[Path]]:
    """Family Parquet files per kabupaten code found in ``keluarga_dir``."""
    keluarga_dir = Path(keluarga_dir)
    found: dict[str, list[Path]] = {}
    for path in sorted(keluarga_dir.glob("*.parquet")):
        found.setdefault(path.stem, []).append(path)
    for folder in sorted(keluarga_dir.glob("kode_kab=*")):
        found.setdefault(folder.name.split("=", 1)[1], []).extend(sorted(folder.glob("*.parquet")))
    return found


def split_by_kabupaten(
    source: Path, out_dir: Path, *, batch_rows: int = 500_000
) -> dict[str, Path]:
    """Split one family Parquet file into ``out_dir/<kode_kab>.parquet`` files, streaming
    ``batch_rows`` rows at a time (never the whole file in memory). Rows whose
    ``kode_desa`` names no kabupaten go to ``_lainnya.parquet`` (reported, not analysed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])
            kode = table["kode_desa"].cast(pa.string())
            kab = pc.if_else(
                pc.match_substring_regex(kode, r"^\d{2}\.\d{2}\."),
                pc.utf8_slice_codeunits(kode, 0, 5),
                pa.scalar(UNASSIGNED),
            )
            for code in pc.unique(kab).to_pylist():
                part = table.filter(pc.equal(kab, code))
                if code not in writers:
                    writers[code] = pq.ParquetWriter(out_dir / f"{code}.parquet", part.schema)
                writers[code].write_table(part)
    finally:
        for w in writers.values():
            w.close()
    return {code: out_dir / f"{code}.parquet" for code in writers}


def read_kabupaten_desa(boundaries: Path, kode_kab: str) -> gpd.GeoDataFrame:
    """Checked desa of one kabupaten from a GeoParquet layer with a ``kode_kab`` column."""
    raw = gpd.read_parquet(boundaries, filters=[("kode_kab", "==", kode_kab)])
    return check_boundaries(raw).desa


def store_index(
    boundaries: Path, kode_kab: str, index_dir: Path, h3_resolution: int | None = 8
) -> dict[str, Any]:
    """One task: build and store the boundary index of one kabupaten with its block table
    (H3 cells at ``h3_resolution``) in ``index_dir/<kode_kab>.npz``, as
    :func:`~geo_service.io.boundaries.prepare_layer` writes it, unless a stored index of
    the same desa (with a block table) is already there: built once per boundary version,
    on the cluster's workers rather than in one process."""
    t0 = time.perf_counter()
    desa = read_kabupaten_desa(boundaries, kode_kab)
    found = read_index(index_dir, kode_kab)
    built = (
        found is None
        or found.fingerprint != boundary_fingerprint(desa)
        or (h3_resolution is not None and found.table is None)  # stored before block tables
    )
    if built:
        path = Path(index_dir) / f"{kode_kab}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{kode_kab}.tmp")
        index = build_join_table(
            build_boundary_index(desa, threads=1), desa, h3_resolution=h3_resolution, threads=1
        )
        tmp.write_bytes(index.to_bytes())
        tmp.replace(path)
    return {"kode_kab": kode_kab, "dibangun": built, "detik": time.perf_counter() - t0}


def kabupaten_codes(boundaries: Path, prefix: str | None = None) -> list[str]:
    """Kabupaten codes in a boundary layer, optionally only those starting with ``prefix``
    (a province ``33`` or a kabupaten ``33.24``)."""
    codes = pq.read_table(boundaries, columns=["kode_kab"])["kode_kab"].unique().to_pylist()
    return sorted(c for c in codes if prefix is None or c.startswith(prefix))


def analyse_kabupaten(
    kode_kab: str,
    files: list[Path],
    boundaries: Path,
    out_dir: Path,
    params: RunParams,
    data_dir: Path,
    lang: str = "id",
    index_dir: Path | None = None,
) -> dict[str, Any]:
    """One task: the one analysis run (:func:`~.analysis_run.run_analysis`) of one kabupaten,
    its files under ``out_dir/<kode_kab>/``; returns its summary row. Rejected rows stop the
    kabupaten unless ``params.partial`` (their report is ``<kode_kab>-validation.csv``).
    With ``index_dir`` (see :func:`~geo_service.io.boundaries.prepare_layer`) the
    kabupaten's stored boundary index is used when it belongs to these desa.

    The row also carries the task's wall and CPU seconds (``detik``, ``detik_cpu``: CPU of
    the whole worker process while the task ran) and the worker process's peak resident
    memory so far (``rss_puncak_mb``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    desa = read_kabupaten_desa(boundaries, kode_kab)
    index = read_index(index_dir, kode_kab)
    if index is not None and index.fingerprint != boundary_fingerprint(desa):
        index = None  # built from other boundaries: never used
    raw = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    sources = {
        "keluarga": [{"berkas": f.name, "sha256": AR.sha256_file(f)} for f in files],
        "batas_desa": {"berkas": Path(boundaries).name, "kode_kab": kode_kab},
    }
    inputs = replace(
        AR.inputs_from_frames(raw, desa, sources=sources, data_dir=data_dir), index=index
    )
    target = Path(out_dir) / kode_kab
    try:
        result = AR.run_analysis(inputs, params, lang=lang)
    except AR.RowsRejected as exc:
        AR.write_validation_report(exc.validation, Path(out_dir) / f"{kode_kab}-validation.csv")
        raise
    AR.write_outputs(result, target, lang=lang)
    ind = result.indicators
    row = ind.kabupaten.iloc[0].to_dict()
    row.update(
        {
            "n_baris": len(raw),
            "n_baris_ditolak": len(ind.validation.rejected),
            "n_kantong": 0 if result.planning is None else len(result.planning.pockets),
            "indeks_tersimpan": index is not None,
            "detik": round(time.perf_counter() - t0, 3),
            "detik_cpu": round(time.process_time() - c0, 3),
            "rss_puncak_mb": peak_rss_mb(),
        }
    )
    return row


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux ``ru_maxrss`` is in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_batch(
    keluarga_dir: Path,
    boundaries: Path,
    out_dir: Path,
    *,
    prefix: str | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    processes: bool = True,
    params: RunParams = RUN_DEFAULTS,
    data_dir: Path,
    lang: str = "id",
    client: Any = None,
    on_done: Callable[[str, dict | None], None] | None = None,
    index_dir: Path | None = None,
    on_start: Callable[[int], None] | None = None,
) -> BatchResult:
    """Analyse every kabupaten that has families, one Dask task each.

    Parameters
    ----------
    keluarga_dir
        Folder of per-kabupaten family Parquet files (see :func:`family_files`).
    boundaries
        GeoParquet desa layer with ``kode_kab`` (e.g. ``indonesia_desa.parquet``).
    out_dir
        Receives ``<kode_kab>/*.csv`` and ``ringkasan_nasional.csv``.
    prefix
        Only kabupaten whose code starts with this (a province ``33``); all otherwise.
    scheduler
        Address of a running scheduler (``tcp://host:8786``); a ``LocalCluster`` of
        ``n_workers`` single-threaded workers otherwise.
    processes
        LocalCluster workers as processes (``False``: threads, for tests).
    params
        The run's parameters (the same as ``geo-service analyse``); ``partial=False``
        fails a kabupaten with rejected rows (reported in ``failed``).
    data_dir
        Data folder of the need -> OPD table (``opd_programmes.csv``).
    client
        An existing ``dask.distributed.Client`` to use instead.
    on_done
        Called with each kabupaten code and its row (``None`` when it failed).
    index_dir
        Per-kabupaten boundary indexes written by
        :func:`~geo_service.io.boundaries.prepare_layer` (built once, never by a worker).
    on_start
        Called once with the number of kabupaten to analyse (for a progress bar).

    Besides the kabupaten folders, ``out_dir`` receives ``ringkasan_nasional.csv`` (one row
    per kabupaten with its rejected rows ``n_baris_ditolak`` and pockets, and a total),
    ``kantong_nasional.parquet``/``.geojson`` (every kabupaten's pockets with ``kode_kab``)
    and ``kabupaten_gagal.csv`` when a kabupaten failed.
    """
    # lazy: dask.distributed takes about a second to import; only a batch needs it.
    from dask.distributed import Client, LocalCluster, as_completed

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = family_files(keluarga_dir)
    wanted = kabupaten_codes(boundaries, prefix)
    todo = [k for k in wanted if k in files]
    cluster = own_client = None
    if client is None:
        if scheduler:
            client = own_client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
            client = own_client = Client(cluster)
    rows: list[dict] = []
    failed: dict[str, str] = {}
    if on_start is not None:
        on_start(len(todo))
    try:
        # Largest kabupaten first: better packing of the tasks on the workers.
        todo.sort(key=lambda k: -sum(f.stat().st_size for f in files[k]))
        futures = {
            client.submit(
                analyse_kabupaten,
                k,
                files[k],
                Path(boundaries),
                out_dir,
                params,
                Path(data_dir),
                lang,
                None if index_dir is None else Path(index_dir),
                key=f"kabupaten-{k}",
                pure=False,
            ): k
            for k in todo
        }
        for fut in as_completed(futures):
            k = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - reported per kabupaten, run goes on
                failed[k] = f"{type(exc).__name__}: {exc}"
                row = None
            else:
                rows.append(row)
            fut.release()
            if on_done:
                on_done(k, row)
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
    summary = national_summary(rows)
    write_csv(summary, out_dir / "ringkasan_nasional.csv")
    national_pockets(out_dir, sorted(r["kode_kab"] for r in rows))
    if failed:
        write_csv(
            pd.DataFrame(sorted(failed.items()), columns=["kode_kab", "galat"]),
            out_dir / "kabupaten_gagal.csv",
        )
    unassigned = sum(pq.ParquetFile(f).metadata.num_rows for f in files.get(UNASSIGNED, []))
    return BatchResult(summary, out_dir, time.perf_counter() - t0, failed, unassigned)


def national_pockets(out_dir: Path, kabupaten: list[str]) -> gpd.GeoDataFrame:
    """One layer of every kabupaten's pockets (``<kode_kab>/pockets.geojson``, small) with
    ``kode_kab``, written as ``kantong_nasional.parquet`` and ``kantong_nasional.geojson``."""
    parts = []
    for kab in kabupaten:
        path = Path(out_dir) / kab / "pockets.geojson"
        if path.exists():
            gdf = gpd.read_file(path)
            if len(gdf):
                parts.append(gdf.assign(kode_kab=kab))
    if parts:
        layer = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    else:
        layer = gpd.GeoDataFrame({"kode_kab": pd.Series(dtype=str)}, geometry=[], crs=4326)
    layer = layer[["kode_kab", *[c for c in layer.columns if c != "kode_kab"]]]
    layer.to_parquet(Path(out_dir) / "kantong_nasional.parquet", index=False)
    layer.to_file(Path(out_dir) / "kantong_nasional.geojson", driver="GeoJSON")
    return layer


def national_summary(rows: list[dict]) -> pd.DataFrame:
    """Kabupaten rows sorted by code, with persons' rates recomputed for a total row."""
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows).sort_values("kode_kab").reset_index(drop=True)
    sums = [
        c
        for c in [
            "n_desa",
            "n_keluarga",
            "n_jiwa",
            "n_keluarga_ekstrem",
            "n_jiwa_ekstrem",
            "n_keluarga_geotag",
            "n_lokasi_tidak_sesuai",
            "n_keluarga_di_luar_batas",
            "n_jiwa_di_luar_batas",
            "n_baris",
            "n_baris_ditolak",
            "n_kantong",
        ]
        if c in frame.columns
    ]
    total: dict[str, Any] = {c: int(frame[c].sum()) for c in sums}
    total.update({"kode_kab": "TOTAL", "nama_kab": f"{len(frame)} kabupaten"})
    if total.get("n_jiwa"):
        total["pct_jiwa_ekstrem"] = 100.0 * total["n_jiwa_ekstrem"] / total["n_jiwa"]
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
