"""Issue 10: no module over ~500 lines, no function over ~80 statements (migrations aside).

Statements are counted as in a reader's eye: every statement node inside the function,
nested blocks included. A deliberate violation is shown to fail the check.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "geo_service"
MAX_LINES = 500
MAX_STATEMENTS = 80


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "migrations/versions" not in p.as_posix()]


def long_functions(source: str, limit: int = MAX_STATEMENTS) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            count = sum(isinstance(s, ast.stmt) for s in ast.walk(node)) - 1
            if count > limit:
                out.append((node.name, count))
    return out


def test_no_module_over_the_line_limit() -> None:
    too_long = {
        str(p.relative_to(PACKAGE)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_no_function_over_the_statement_limit() -> None:
    found = {
        f"{p.relative_to(PACKAGE)}:{name}": n
        for p in _sources()
        for name, n in long_functions(p.read_text(encoding="utf-8"))
    }
    assert found == {}


def test_the_statement_check_catches_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_STATEMENTS + 1))
    assert long_functions(f"def f():\n{body}\n") == [("f", MAX_STATEMENTS + 1)]
    assert long_functions("def g():\n    return 1\n") == []
