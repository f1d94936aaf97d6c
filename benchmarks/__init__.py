"""Benchmarks of geo_service (run through `geo-service bench`)."""
