"""README commands run as written after the demo set-up (small N).

The commands are taken from the README's ``bash`` blocks, exactly as printed there; ``X ...``
lines continue the first full ``X`` command of their block (as a reader types them). The
one change: ``--keluarga 300000`` becomes ``--keluarga 3000`` (small N). The set-up mirrors
``make demo``: the shipped Kendal boundaries imported into a fresh SpatiaLite database that
``GEO_DATABASE_URL`` points at (as the demo tells the reader to do), and the generated file
also as CSV for the ``import keluarga keluarga.csv`` lines.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]

# The README commands this test runs, in order (each must appear in the README as written).
RUN = [
    "geo-service generate --kabupaten 33.24 --keluarga 300000 --periode 2025-03 --seed 7 --out keluarga.parquet",
    "geo-service generate ... --lanjut 2025-09",
    "geo-service analyse --kabupaten 33.24 --keluarga keluarga.parquet --out hasil/",
    "geo-service analyse ... --lang en",
    "geo-service db upgrade",
    "geo-service import keluarga keluarga.csv --periode 2025-03",
    "geo-service import keluarga keluarga.csv --periode 2025-03 --partial",
    "geo-service analyse --db --kabupaten 33.24 --periode 2025-03 --out hasil/",
    "geo-service runs list",
    "geo-service report --kabupaten 33.24 --out laporan/",
    "geo-service transisi --keluarga keluarga.parquet --keluarga keluarga_2025-09.parquet --out transisi/",
    "geo-service target --kabupaten 33.24",
]  # fmt: skip


def readme_commands() -> list[str]:
    """Every ``geo-service`` command of the README's bash blocks, continuation lines
    joined, comments dropped, ``X ...`` expanded from the block's first full ``X``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        full: dict[str, str] = {}
        for line in joined.splitlines():
            line = line.split("  #")[0].split(" #")[0].strip()
            if not line.startswith("geo-service "):
                continue
            line = " ".join(line.split())
            words = line.split()
            if len(words) > 2 and words[2] == "...":
                base = full.get(words[1])
                if base:
                    line = base + " " + " ".join(words[3:])
                out.append(" ".join(words))  # as printed
                out.append(line)
                continue
            full.setdefault(words[1], line)
            out.append(line)
    return out


def test_readme_commands_run_as_written(tmp_path, monkeypatch):
    listed = readme_commands()
    for cmd in RUN:
        assert cmd in listed, f"not in the README as written: {cmd}"
    expanded = {c: c for c in RUN}
    base: dict[str, str] = {}
    for c in listed:
        if "..." not in c:
            base.setdefault(c.split()[1], c)
    for cmd in RUN:
        if " ... " in cmd:
            verb = cmd.split()[1]
            expanded[cmd] = base[verb] + " " + cmd.split(" ... ", 1)[1]

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GEO_DATABASE_URL", f"sqlite:///{tmp_path / 'geo_service.sqlite'}")
    monkeypatch.setenv("GEO_DATA_DIR", str(ROOT / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    outputs: dict[str, str] = {}
    try:
        for cmd in RUN:
            args = shlex.split(expanded[cmd].replace("--keluarga 300000", "--keluarga 3000"))[1:]
            if cmd.startswith("geo-service db upgrade"):
                res = runner.invoke(app, args)
                assert res.exit_code == 0, (cmd, res.output)
                # Set-up as `make demo`: the shipped Kendal boundaries, the family file as CSV.
                desa = sorted((ROOT / "data" / "boundaries").glob("desa_33.24_*.geojson"))
                res = runner.invoke(app, ["import", "batas", str(desa[0])])
                assert res.exit_code == 0, res.output
                pd.read_parquet("keluarga.parquet").to_csv("keluarga.csv", index=False)
                continue
            res = runner.invoke(app, args)
            assert res.exit_code == 0, (cmd, res.output)
            outputs[cmd] = res.output
    finally:
        get_settings.cache_clear()
    # What the commands left behind.
    assert Path("keluarga_2025-09.parquet").exists()
    assert Path("keluarga.parquet.panel.truth.json").exists()
    assert (tmp_path / "hasil" / "desa.geojson").exists()
    assert list(Path("laporan").glob("laporan_33.24_2025-03.pdf"))
    assert (tmp_path / "transisi" / "matriks_transisi.csv").exists()
    assert "Wrote" in outputs[RUN[3]] or "Wrote" in outputs[RUN[3]].replace("\n", " ")
    assert "2025-03 → 2025-09" in outputs[RUN[10]]


def test_transisi_warns_when_few_ids_match(tmp_path, monkeypatch):
    """Two independently generated files share no ids: transisi says so."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for seed, periode in ((1, "2025-03"), (2, "2025-09")):
        res = runner.invoke(
            app,
            ["generate", "--kabupaten", "33.24", "--keluarga", "1500", "--seed", str(seed)]
            + ["--periode", periode, "--out", f"k_{periode}.parquet"],
        )
        assert res.exit_code == 0, res.output
    args = ["transisi", "--keluarga", "k_2025-03.parquet", "--keluarga", "k_2025-09.parquet"]
    res = runner.invoke(app, [*args, "--out", "tr", "--lang", "en"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Warning:" in text and "only 0.0% of the families of periode 2025-03" in text
    res = runner.invoke(app, [*args, "--out", "tr2"])
    assert "Peringatan:" in " ".join(res.output.split())


@pytest.mark.parametrize("lang", ["id", "en"])
def test_generate_speaks_the_language_with_its_numbers(tmp_path, lang):
    res = CliRunner().invoke(
        app,
        ["generate", "--kabupaten", "33.24", "--keluarga", "1200", "--seed", "4"]
        + ["--out", str(tmp_path / "k.parquet"), "--lang", lang],
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    if lang == "en":
        assert "Wrote 1,200 family rows" in text and "Menulis" not in text
        assert re.search(r"decile 1: \d+\.\d\d%", text)
    else:
        assert "Menulis 1.200 baris keluarga" in text
        assert re.search(r"desil 1: \d+,\d\d %", text)
