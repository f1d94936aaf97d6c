# geo_service API image: FastAPI + uvicorn, PostGIS through GEO_DATABASE_URL (see
# docker-compose.yml), SpatiaLite available as the embedded fallback.
# Build: docker build -t geo_service .     Run: docker compose up (needs .env, see .env.example)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GEO_DATA_DIR=/app/data \
    GEO_MAPS_DIR=/app/maps

# SpatiaLite for the embedded store; GDAL, PROJ, GEOS and H3 come with the Python wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo_service ./geo_service
RUN pip install . && geo-service --help > /dev/null

# Reference data (boundaries with attribution, BPS figures, OPD table); outputs in /app/maps.
COPY data ./data
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin geo \
    && mkdir -p /app/maps \
    && chown -R geo:geo /app/data /app/maps
USER geo

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
    CMD python -c "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"

# Migrations first (refuses to serve an unmigrated database otherwise), then the API.
CMD ["sh", "-c", "geo-service db upgrade && exec geo-service serve --host 0.0.0.0 --port 8000"]
