"""``/health``: public, says whether the service and its database answer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from geo_service import __version__
from geo_service.api.schemas import Health

router = APIRouter(tags=["kesehatan"])


@router.get("/health", response_model=Health, summary="Status layanan (tanpa login)")
def health(request: Request) -> Health:
    engine = request.app.state.engine
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Health(
        versi=__version__,
        basis_data=engine.dialect.name,
        revisi_skema=request.app.state.schema_revision,
    )
