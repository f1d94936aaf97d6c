"""Markdown tables from ``geo-service bench --out`` JSON files (for BENCHMARKS.md).

Usage: ``.venv/bin/python -m benchmarks.report benchmarks/results/*.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def comparison_table(records: list[dict]) -> str:
    """One table per dataset: seconds, families/s, peak MB, ratio to naive, identical."""
    lines = []
    for ds in dict.fromkeys(r["dataset"] for r in records):
        group = [r for r in records if r["dataset"] == ds and r["method"] != "geo_service_dask"]
        if not group:
            continue
        base = next((r["seconds"] for r in group if r["method"] == "naive" and r["seconds"]), None)
        same = all(r["identical"] for r in group if r["identical"] is not None)
        lines += [
            f"**{ds}** ({group[0]['n_families']:,} keluarga)",
            "",
            "| method | seconds | families/s | peak MB | x naive | identical |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in group:
            name = r["method"] + (f" ({r['plan']})" if "plan" in r else "")
            if r["seconds"] is None:
                lines.append(f"| {name} | – | – | – | – | {r.get('note', '')} |")
                continue
            ratio = f"{base / r['seconds']:.1f}" if base and same else "–"
            lines.append(
                f"| {name} | {r['seconds']:.2f} | {r['n_families'] / r['seconds']:,.0f}"
                f" | {r['peak_mb']:.0f} | {ratio} | "
                f"{'yes' if r['identical'] else 'NO'} |"
            )
        lines.append("")
    return "\n".join(lines)


def dask_table(records: list[dict]) -> str:
    """The 1M→10M curve of the Dask batch."""
    rows = [r for r in records if r["method"] == "geo_service_dask"]
    if not rows:
        return ""
    lines = [
        "| families | seconds | families/s | seconds per 1M | peak MB (all processes) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_families']:,} | {r['seconds']:.1f} | "
            f"{r['n_families'] / r['seconds']:,.0f} | "
            f"{r['seconds'] / (r['n_families'] / 1e6):.1f} | {r['peak_mb']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(paths: list[str]) -> None:
    for path in paths:
        if path.endswith(".meta.json"):
            continue
        records = json.loads(Path(path).read_text())
        print(f"<!-- {path} -->")
        print(comparison_table(records))
        print(dask_table(records))


if __name__ == "__main__":
    main(sys.argv[1:])
