"""The layer contract (``[tool.importlinter]`` in pyproject.toml) holds, and it bites: a copy
of the package with one module importing upwards fails the same check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_package_keeps_the_layer_contract():
    result = _lint_imports(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    """The package and its pyproject.toml copied to a temporary folder."""
    root = tmp_path_factory.mktemp("lagen")
    shutil.copytree(
        ROOT / "geo_service",
        root / "geo_service",
        ignore=shutil.ignore_patterns("__pycache__", "static", "*.js", "*.css"),
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "imports", "message"),
    [
        pytest.param(
            "analysis/_pelanggaran.py",
            "from geo_service.db import engine",
            "geo_service.analysis is not allowed to import geo_service.db",
            id="analysis-imports-db",
        ),
        pytest.param(
            "db/_pelanggaran.py",
            "import geo_service.mapping",
            "geo_service.db is not allowed to import geo_service.mapping",
            id="db-imports-mapping-sibling",
        ),
        pytest.param(
            "cli/_pelanggaran.py",
            "from geo_service.api import pages",
            "geo_service.cli is not allowed to import geo_service.api",
            id="cli-imports-api-sibling",
        ),
        pytest.param(
            "settings_pelanggaran.py",
            "from geo_service.services import analysis_run",
            "is not allowed to import geo_service.services",
            id="lowest-layer-imports-services",
        ),
    ],
)
def test_contract_fails_on_a_violating_import(package_copy, module, imports, message):
    bad = package_copy / "geo_service" / module
    if bad.name == "settings_pelanggaran.py":  # a module of the lowest layer: settings
        bad = package_copy / "geo_service" / "settings.py"
        original = bad.read_text(encoding="utf-8")
        bad.write_text(original + f"\n{imports}\n", encoding="utf-8")
    else:
        original = None
        bad.write_text(f"{imports}\n", encoding="utf-8")
    try:
        result = _lint_imports(package_copy, package_copy)
    finally:
        if original is None:
            bad.unlink()
        else:
            bad.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert message in result.stdout


def test_settings_are_read_from_the_environment_only_at_entry_points():
    """``get_settings()`` (environment + .env) only in the CLI, the app factory and the
    migration environment; below them settings are passed in."""
    package = ROOT / "geo_service"
    lower = ["analysis", "db", "io", "mapping", "synth"]
    offenders = [
        str(path.relative_to(ROOT))
        for folder in lower
        for path in (package / folder).rglob("*.py")
        if "get_settings" in path.read_text(encoding="utf-8")
        and path != package / "db" / "migrations" / "env.py"
    ]
    assert offenders == []
