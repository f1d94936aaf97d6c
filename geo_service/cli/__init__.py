"""Command line: ``geo-service generate | analyse | import | report | serve | ...``.

One module per command group; :mod:`geo_service.cli.main` holds the app and the analysis
commands, the shared helpers live in :mod:`geo_service.cli._common`.
"""

from geo_service.cli.main import app, main

__all__ = ["app", "main"]
