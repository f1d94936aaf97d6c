"""CLI verbs in one language: English verbs, Indonesian domain nouns; the old names stay as
hidden aliases so existing scripts keep working."""

import pytest
from typer.testing import CliRunner

from geo_service.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("group", "new", "old"),
    [
        ("import", "batas", "boundaries"),
        ("uji-petik", "sample", "sampel"),
        ("uji-petik", "import", "impor"),
        ("uji-petik", "progress", "progres"),
    ],
    ids=["import-batas", "uji-petik-sample", "uji-petik-import", "uji-petik-progress"],
)
def test_new_verb_listed_old_verb_hidden_but_working(group, new, old):
    listing = runner.invoke(app, [group, "--help"]).output
    assert f"│ {new} " in listing and f"│ {old} " not in listing
    new_help = runner.invoke(app, [group, new, "--help"])
    old_help = runner.invoke(app, [group, old, "--help"])
    assert new_help.exit_code == 0 and old_help.exit_code == 0
    assert _body(old_help.output) == _body(new_help.output)  # the same command


def _body(help_text: str) -> list[str]:
    """Help text without its usage line (which names the verb)."""
    return [line for line in help_text.splitlines() if "Usage:" not in line]
