"""The ``geo-service`` app: builds the typer app and registers every command group.

One module per group: :mod:`.generate`, :mod:`.analyse`, :mod:`.batch`, :mod:`.bench`,
:mod:`.db` (``db``, ``import``, ``runs``), :mod:`.api` (``serve``, ``report``, ``user``),
:mod:`.uji_petik` (``uji-petik``), :mod:`.transisi`, :mod:`.target`, :mod:`.identitas`
(``profil``, ``identitas``, ``opensid``); shared helpers in
:mod:`._common`. English verbs, Bahasa Indonesia domain nouns.
"""

from __future__ import annotations

import sys

import typer

from geo_service.cli import (
    analyse,
    api,
    batch,
    bench,
    db,
    generate,
    identitas,
    target,
    transisi,
    uji_petik,
)

app = typer.Typer(
    help="geo_service: kantong kemiskinan ekstrem dari data DTSEN (Bahasa Indonesia; --lang en).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

for _group in (
    generate,
    analyse,
    batch,
    db,
    api,
    bench,
    uji_petik,
    transisi,
    target,
    identitas,
):
    _group.register(app)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
