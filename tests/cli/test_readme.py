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
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]

# The README commands this test runs, in order (each must appear in the README as written).
RUN = [
    "geo-service generate ... --kantong 5",
    "geo-service generate ... --rusak 3",
    "geo-service analyse ... --partial",
    "geo-service generate --kabupaten 33.24 --keluarga 300000 --periode 2025-03 --seed 7 --out keluarga.parquet",
    "geo-service generate ... --lanjut 2025-09",
    "geo-service generate --kabupaten 33.74 --boundaries data/boundaries/desa_33_jawa_tengah.parquet --keluarga 20000 --out semarang.parquet",
    "geo-service analyse --kabupaten 33.24 --keluarga keluarga.parquet --out hasil/",
    "geo-service analyse ... --lang en",
    "geo-service --csv-gaya id analyse --kabupaten 33.24 --keluarga keluarga.parquet --out hasil_id/",
    "geo-service analyse --boundaries batas_desa.gpkg --keluarga keluarga.csv --out hasil/ --h3-res 9",
    "geo-service db upgrade",
    "geo-service import batas batas.zip",
    "geo-service import keluarga keluarga.csv --periode 2025-03",
    "geo-service import keluarga keluarga.csv --periode 2025-03 --partial",
    "geo-service import keluarga baru.csv --periode 2025-03 --replace",
    "geo-service analyse --db --kabupaten 33.24 --periode 2025-03 --out hasil/",
    "geo-service runs list",
    "geo-service user add ani --peran analis --kabupaten 33.24 --password 'ganti-sandi-ini'",
    "geo-service user add budi --peran publik --kabupaten 33.24 --kunci",
    "geo-service report --kabupaten 33.24 --out laporan/",
    "geo-service uji-petik sample --keluarga keluarga.parquet --kabupaten 33.24 --per-desa 10 --seed 1 --out sampel/",
    "geo-service uji-petik import hasil_lapangan.xlsx --sampel sampel/",
    "geo-service uji-petik progress --sampel sampel/",
    "geo-service transisi --keluarga keluarga.parquet --keluarga keluarga_2025-09.parquet --out transisi/",
    "geo-service target --kabupaten 33.24",
    "geo-service --csv-gaya id target --kabupaten 33.24 --out target/",
    "geo-service identitas new-keys --out kunci/",
]  # fmt: skip
# The README's identity block, run by test_readme_identity_commands_run_as_written after the
# demo set-up plus keys and a clean by-name DTSEN export (NOMOR: a KK number of that file).
RUN_IDENTITAS = [
    "geo-service profil check dtsen.xlsx --profil dtsen_nama",
    "geo-service import keluarga dtsen.xlsx --periode 2025-03 --profil dtsen_nama",
    'geo-service identitas field-list --sampel 1 --tujuan "uji petik" --format pdf --out daftar/',
    'geo-service opensid export --sampel 1 --tujuan "operator desa" --out opensid/',
    'geo-service identitas erase --no-kk NOMOR --alasan "permintaan warga"',
]
# README commands not run here, and why (each is run by the test named; grep for it).
ELSEWHERE = {
    "geo-service serve": "a server: tests/cli/test_api.py (starts 'serve' on a free port)",
    "geo-service batch": "a Dask cluster: tests/cli/test_batch_cli.py (invokes 'batch')",
}


def _setup(cmd: str, root: Path) -> None:
    """What ``make demo`` (or the reader) has in place before ``cmd``."""
    if cmd.startswith("geo-service generate --kabupaten 33.74"):
        Path("data").symlink_to(root / "data")
    elif "batas_desa.gpkg" in cmd:
        gpd.read_file(_kendal(root)).to_file("batas_desa.gpkg", driver="GPKG")
        pd.read_parquet("keluarga.parquet").to_csv("keluarga.csv", index=False)
    elif cmd == "geo-service import batas batas.zip":
        Path("shp").mkdir()
        gpd.read_file(_kendal(root)).to_file("shp/batas.shp")
        with zipfile.ZipFile("batas.zip", "w") as zf:
            for f in Path("shp").iterdir():
                zf.write(f, f.name)
    elif "baru.csv" in cmd:
        pd.read_csv("keluarga.csv", dtype=str).head(1000).to_csv("baru.csv", index=False)
    elif cmd.startswith("geo-service uji-petik import"):
        wb = load_workbook(sorted(Path("sampel/lapangan").glob("uji_petik_*.xlsx"))[0])
        ws = wb["daftar"]
        col = {c.value: i + 1 for i, c in enumerate(ws[1])}
        for r in (2, 3):
            ws.cell(r, col["status"], "sesuai")
            ws.cell(r, col["petugas"], "Bu Sari")
            ws.cell(r, col["tanggal"], "2025-06-02")
        wb.save("hasil_lapangan.xlsx")


def _kendal(root: Path) -> Path:
    return sorted((root / "data" / "boundaries").glob("desa_33.24_*.geojson"))[0]


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
    # Every README command is run here or by the test ELSEWHERE names.
    ran = {_expand(c, listed) for c in RUN} | set(RUN_IDENTITAS)
    for cmd in listed:
        if "..." in cmd:
            continue  # the printed form; its expansion is listed too
        assert cmd in ran or cmd.startswith(tuple(ELSEWHERE)), f"README command not run: {cmd}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GEO_DATABASE_URL", f"sqlite:///{tmp_path / 'geo_service.sqlite'}")
    monkeypatch.setenv("GEO_DATA_DIR", str(ROOT / "data"))
    monkeypatch.delenv("GEO_CSV_GAYA", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    outputs: dict[str, str] = {}
    try:
        for cmd in RUN:
            _setup(cmd, ROOT)
            args = shlex.split(_expand(cmd, listed).replace("--keluarga 300000", "--keluarga 3000"))
            res = runner.invoke(app, args[1:])
            assert res.exit_code == 0, (cmd, res.output)
            outputs[cmd] = res.output
    finally:
        get_settings.cache_clear()
    # What the commands left behind.
    assert Path("keluarga_2025-09.parquet").exists()
    assert Path("keluarga.parquet.panel.truth.json").exists()
    assert Path("semarang.parquet").exists()
    assert (tmp_path / "hasil" / "desa.geojson").exists()
    assert list(Path("laporan").glob("laporan_33.24_2025-03.pdf"))
    assert (tmp_path / "transisi" / "matriks_transisi.csv").exists()
    assert "Wrote" in " ".join(outputs["geo-service analyse ... --lang en"].split())
    assert "2025-03 → 2025-09" in outputs[RUN[23]]
    assert Path("hasil_id/desa.csv").read_text(encoding="utf-8-sig").splitlines()[0].count(";") > 3
    assert Path("target/target_progres.csv").read_text(encoding="utf-8-sig").count(";") > 3
    assert len(list(Path("kunci").iterdir())) == 2


def _expand(cmd: str, listed: list[str]) -> str:
    """``geo-service X ... opts`` as the reader types it: the block's first full ``X``."""
    if " ... " not in cmd:
        return cmd
    verb = cmd.split()[1]
    base = next(c for c in listed if "..." not in c and c.split()[1] == verb)
    return base + " " + cmd.split(" ... ", 1)[1]


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


def test_readme_identity_commands_run_as_written(
    tmp_path, monkeypatch, kendal_keluarga, kendal_desa
):
    """The README's identity block as written, after the demo set-up (boundaries imported)
    and ``identitas new-keys`` with the key files pointed at, on a clean by-name export;
    sample 1 is drawn as ``POST /kabupaten/33.24/uji-petik`` draws it (the service)."""
    from datetime import UTC, datetime

    from openpyxl import load_workbook as load

    from geo_service.analysis import uji_petik as G
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.services import uji_petik as uji_petik_service
    from geo_service.services.security import Principal
    from tests.fixtures.by_name import make_by_name

    listed = readme_commands()
    for cmd in RUN_IDENTITAS:
        assert cmd in listed, f"not in the README as written: {cmd}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GEO_DATABASE_URL", f"sqlite:///{tmp_path / 'geo_service.sqlite'}")
    monkeypatch.setenv("GEO_DATA_DIR", str(ROOT / "data"))
    for var in ("GEO_PSEUDONYM_KEY", "GEO_VAULT_KEY", "GEO_CSV_GAYA"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(cmd: str) -> str:
        res = runner.invoke(app, shlex.split(cmd)[1:])
        assert res.exit_code == 0, (cmd, res.output)
        return " ".join(res.output.split())

    try:
        out = run("geo-service identitas new-keys --out kunci/")
        # as the command says: point GEO_PSEUDONYM_KEY_FILE / GEO_VAULT_KEY_FILE at the files
        for var, name in (
            ("GEO_PSEUDONYM_KEY_FILE", "pseudonim.key"),
            ("GEO_VAULT_KEY_FILE", "brankas.key"),
        ):
            assert f"{var}=" in out, out
            monkeypatch.setenv(var, str(tmp_path / "kunci" / name))
        get_settings.cache_clear()
        run("geo-service db upgrade")
        run(f"geo-service import batas {_kendal(ROOT)}")
        # A by-name DTSEN export of 60 families, without the fixture's three bad rows.
        fam = kendal_keluarga["frame"].sample(60, random_state=2)
        desa = pd.DataFrame(kendal_desa[["kode", "nama", "nama_kec"]])
        (tmp_path / "dtsen").mkdir()
        by_name = make_by_name(fam, desa, tmp_path / "dtsen", b"kunci-fixture-".ljust(40, b"q"))
        wb = load(by_name.xlsx)
        ws = wb.active
        ws.delete_rows(ws.max_row - 2, 3)
        wb.save("dtsen.xlsx")
        outputs = {}
        for cmd in RUN_IDENTITAS[:2]:
            outputs[cmd] = run(cmd)
        assert f"{by_name.n_good} sah" in outputs[RUN_IDENTITAS[0]], outputs[RUN_IDENTITAS[0]]
        # sample 1, drawn by the README's analyst ``ani`` as POST .../uji-petik draws it
        run(
            "geo-service user add ani --peran analis --kabupaten 33.24 --password 'ganti-sandi-ini'"
        )
        engine = make_engine(settings=get_settings())
        try:
            with make_session_factory(engine)() as session:
                info = uji_petik_service.build_sample(
                    session,
                    Principal(1, "ani", "analis", ("33.24",)),
                    "33.24",
                    periode="2025-03",
                    params=G.SampleParams(seed=1),
                    now=datetime.now(UTC),
                )
        finally:
            engine.dispose()
        assert info.id == 1
        for cmd in RUN_IDENTITAS[2:4]:
            outputs[cmd] = run(cmd)
        erase = RUN_IDENTITAS[4].replace("NOMOR", by_name.kk[1])
        outputs[erase] = run(erase)
    finally:
        get_settings.cache_clear()
    assert list(Path("daftar").glob("*.pdf")) and list(Path("opensid").glob("*.xlsx"))
    assert outputs[erase].startswith("1 identitas dihapus"), outputs[erase]
    # no NIK or KK number in anything the commands printed
    printed = " ".join(outputs.values())
    assert not [n for n in by_name.nik + by_name.kk if n in printed]
