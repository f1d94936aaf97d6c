"""The ``geo-service`` app: builds the typer app and registers every command group.

One module per group: :mod:`.generate`, :mod:`.analyse`, :mod:`.batch`, :mod:`.bench`,
:mod:`.db` (``db``, ``import``, ``runs``), :mod:`.api` (``serve``, ``report``, ``user``),
:mod:`.uji_petik` (``uji-petik``), :mod:`.transisi`, :mod:`.target`, :mod:`.identitas`
(``profil``, ``identitas``, ``opensid``); shared helpers in
:mod:`._common`. English verbs, Bahasa Indonesia domain nouns.
"""

from __future__ import annotations

import os
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
from geo_service.io.export import CSV_ENV, csv_convention

app = typer.Typer(
    help="geo_service: kantong kemiskinan ekstrem dari data DTSEN (Bahasa Indonesia; --lang en).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _options(
    ctx: typer.Context,
    csv_gaya: str = typer.Option(
        None,
        "--csv-gaya",
        envvar="GEO_CSV_GAYA",
        help="CSV yang ditulis: 'standar' (alias 'intl': pemisah , dan desimal .) atau 'id' "
        "(pemisah ; dan desimal ,, untuk lembar kerja berbahasa Indonesia).",
    ),
) -> None:
    """Options for every command (``geo-service --csv-gaya id analyse ...``)."""
    if csv_gaya:
        try:
            conv = csv_convention(csv_gaya)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--csv-gaya") from exc
        before = os.environ.get(CSV_ENV)
        os.environ[CSV_ENV] = conv  # read by io.export.write_csv, threads included

        def restore() -> None:
            if before is None:
                os.environ.pop(CSV_ENV, None)
            else:
                os.environ[CSV_ENV] = before

        ctx.call_on_close(restore)


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
