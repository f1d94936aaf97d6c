"""Use cases: one analysis run, imports, uji petik, laporan warga, targets, batch.

The CLI (``geo_service.cli``) and the API (``geo_service.api``) are thin adapters over these
functions; no HTTP and no typer here.
"""
