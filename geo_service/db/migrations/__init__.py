"""Alembic migrations of the geo_service schema (run with ``geo-service db upgrade``)."""
