"""HTTP API (FastAPI): app factory, dependencies, the error table, routers."""

from geo_service.api.app import create_app

__all__ = ["create_app"]
