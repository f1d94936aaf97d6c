"""Issue 10: imports sit at the top of a module; an import inside a function is allowed only
when it says why, with a ``# lazy: <reason>`` comment on its line or the line above
(optional dependency, start-up time of a CLI command, or an import cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "geo_service"
MARK = "# lazy:"


def unexplained_lazy_imports(source: str) -> list[int]:
    """Line numbers of imports inside functions without a ``# lazy:`` comment on the line of
    the statement (any of its lines) or on the line above it; one comment above a run of
    imports (consecutive, or separated by blank lines only: an import block) covers it."""
    lines = source.splitlines()
    tree = ast.parse(source)
    imports = [s for s in ast.walk(tree) if isinstance(s, ast.Import | ast.ImportFrom)]
    ending_on = {s.end_lineno: s for s in imports}  # an import statement ending on a line

    def explained(stmt: ast.Import | ast.ImportFrom) -> bool:
        own = lines[stmt.lineno - 1 : stmt.end_lineno]
        if any(MARK in line for line in own):
            return True
        above = lines[stmt.lineno - 2] if stmt.lineno >= 2 else ""
        if above.strip().startswith(MARK):
            return True
        up = stmt.lineno - 1  # the run goes on upwards, across blank lines
        while up >= 1 and not lines[up - 1].strip():
            up -= 1
        before = ending_on.get(up)
        return before is not None and before is not stmt and explained(before)

    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for stmt in ast.walk(node):
            if isinstance(stmt, ast.Import | ast.ImportFrom) and not explained(stmt):
                bad.append(stmt.lineno)
    return sorted(set(bad))


def package_files() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "migrations/versions" not in p.as_posix()]


def test_every_function_level_import_says_why_it_is_lazy():
    files = package_files()
    assert len(files) > 50  # the scan really looks at the package
    found = {
        str(p.relative_to(PACKAGE)): lines
        for p in files
        if (lines := unexplained_lazy_imports(p.read_text(encoding="utf-8")))
    }
    assert found == {}, f"imports inside functions without '{MARK} <reason>': {found}"


def test_a_deliberate_violation_is_caught():
    source = (
        "import os\n"
        "\n"
        "def f():\n"
        "    import json\n"  # line 4: no reason given
        "    # lazy: optional dependency\n"
        "    import duckdb\n"
        "    import yaml  # lazy: optional dependency\n"
        "    from collections import (  # lazy: start-up time\n"
        "        OrderedDict,\n"
        "    )\n"
        "    # an ordinary comment is not a reason\n"
        "    from pathlib import Path\n"  # line 12
        "    async def g():\n"
        "        import csv\n"  # line 14: nested functions count too
        "    return json, duckdb, yaml, OrderedDict, Path, g\n"
    )
    assert unexplained_lazy_imports(source) == [4, 12, 14]


def test_module_level_imports_are_not_flagged():
    source = "import json\nfrom os import path\n\nclass C:\n    x = 1\n"
    assert unexplained_lazy_imports(source) == []


def test_one_reason_covers_a_run_of_imports_and_a_gap_ends_it():
    source = (
        "def f():\n"
        "    # lazy: CLI start-up time\n"
        "    import json\n"
        "    from collections import (\n"
        "        OrderedDict,\n"
        "    )\n"
        "    import csv\n"  # line 7: still the run
        "\n"
        "    import yaml\n"  # line 9: a blank line keeps the block (isort sections)
        "    x = 1\n"
        "    import duckdb\n"  # line 11: code in between ends the run
        "    # a comment that is not a reason\n"
        "    import re\n"  # line 13: nor does an ordinary comment continue one
        "    return json, OrderedDict, csv, yaml, x, duckdb, re\n"
    )
    assert unexplained_lazy_imports(source) == [11, 13]
