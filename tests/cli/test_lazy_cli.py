"""Issue 17: `geo-service --help` lists the commands without importing any command module,
and every help text is the one the modules define (the lazy root group of cli/main.py gives
the same output as the app with every module registered up front)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

# the module (the package's `main` is the console entry function)
main = importlib.import_module("geo_service.cli.main")

# The registration order of the app before the lazy group (typer shows commands, then groups).
MODULES = (
    "generate",
    "analyse",
    "batch",
    "db",
    "api",
    "bench",
    "uji_petik",
    "transisi",
    "target",
    "identitas",
)


@pytest.fixture(scope="module")
def eager() -> typer.Typer:
    """The app with every command module imported and registered at once."""
    app = typer.Typer(**main.APP_OPTIONS)
    app.callback()(main._options)
    for module in MODULES:
        importlib.import_module(f"geo_service.cli.{module}").register(app)
    return app


def _paths(group, ctx, prefix=()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name in group.list_commands(ctx) if hasattr(group, "list_commands") else []:
        out += _paths(group.get_command(ctx, name), ctx, (*prefix, name))
    return out


def test_every_help_is_the_one_of_the_modules(eager, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    runner = CliRunner()
    root = typer.main.get_command(eager)
    paths = _paths(root, typer.Context(root))
    assert len(paths) > 40 and ("user", "add") in paths and ("import", "keluarga") in paths
    listed = [p[0] for p in paths if len(p) == 1]
    assert listed == [n for n in main.COMMANDS], "the same commands, in the order shown"
    for path in paths:
        want = runner.invoke(eager, [*path, "--help"])
        got = runner.invoke(main.app, [*path, "--help"])
        assert got.exit_code == want.exit_code == 0, path
        assert got.output == want.output, f"geo-service {' '.join(path)} --help"
    # No arguments: the same help; a typo: the same suggestion.
    assert runner.invoke(main.app, []).output == runner.invoke(eager, []).output
    typo = runner.invoke(main.app, ["analyze"])
    assert typo.exit_code == 2 and "Did you mean 'analyse'" in typo.output


def test_root_help_imports_no_command_module():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from geo_service.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0 and 'uji-petik' in r.output, r.output\n"
        "heavy = [m for m in ('pandas', 'geopandas', 'sqlalchemy', 'geo_service.cli.analyse',"
        " 'geo_service.cli.db', 'geo_service.services.analysis_run') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_command_help_without_the_heavy_layers():
    """`geo-service <command> [<sub>] --help`, every one of them, loads no analysis run, no
    database layer, no pandas, GeoPandas, folium or service: the command modules import them
    inside the commands. All helps in one process, checked after each (the first culprit is
    named)."""
    code = (
        "import sys\n"
        "import typer\n"
        "from typer.testing import CliRunner\n"
        "from geo_service.cli import app\n"
        "HEAVY = ('pandas', 'geopandas', 'shapely', 'sqlalchemy', 'folium', 'pyogrio', 'h3',\n"
        "         'geo_service.services', 'geo_service.db', 'geo_service.analysis',\n"
        "         'geo_service.io', 'geo_service.mapping', 'geo_service.synth')\n"
        "root = typer.main.get_command(app)\n"
        "ctx = typer.Context(root)\n"
        "def paths(group, prefix=()):\n"
        "    out = [prefix]\n"
        "    for name in group.list_commands(ctx) if hasattr(group, 'list_commands') else []:\n"
        "        out += paths(group.get_command(ctx, name), (*prefix, name))\n"
        "    return out\n"
        "done = []\n"
        "for path in paths(root):\n"
        "    r = CliRunner().invoke(app, [*path, '--help'])\n"
        "    assert r.exit_code == 0, (path, r.output)\n"
        "    heavy = [m for m in HEAVY if m in sys.modules]\n"
        "    if heavy:\n"
        "        print(' '.join(path), heavy)\n"
        "        break\n"
        "    done.append(path)\n"
        "print(len(done), 'ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, ok = run.stdout.split()
    assert ok == "ok" and int(n) > 40, run.stdout  # every group and command, subcommands too


def test_help_defaults_are_the_runs():
    """The run options' help texts name the run's defaults without loading the run
    (cli/_run_options.DEFAULTS): every value is RUN_DEFAULTS's, and the help shows them."""
    from geo_service.cli._run_options import DEFAULTS
    from geo_service.services.analysis_run import RUN_DEFAULTS

    assert DEFAULTS._asdict() == {k: getattr(RUN_DEFAULTS, k) for k in DEFAULTS._fields}
    assert all(type(v) is type(getattr(RUN_DEFAULTS, k)) for k, v in DEFAULTS._asdict().items())
    help_text = " ".join(CliRunner().invoke(main.app, ["analyse", "--help"]).output.split())
    d = RUN_DEFAULTS
    for shown in (
        f"bawaan {d.h3_resolution}",
        f"({d.seed})",
        f"({d.alpha})",
        f"({d.permutations};",
        f"({d.min_jiwa_kantong})",
    ):
        assert shown in help_text, shown
