"""HTTP API (FastAPI): app factory, dependencies, the error table, routers."""

from .app import create_app

__all__ = ["create_app"]
