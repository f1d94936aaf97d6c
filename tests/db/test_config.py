"""Deployment files: .env.example documents every setting; docker-compose.yml and the
Dockerfile run the migrations before the API and wait for a healthy PostGIS (Docker itself
does not run on the test machines, so their structure is checked here)."""

from __future__ import annotations

import re

import yaml

from geo_service.settings import PROJECT_ROOT, Settings

COMPOSE_ONLY = {"GEO_PORT"}


def test_env_example_documents_every_setting():
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s?(GEO_[A-Z0-9_]+)=", text, re.M))
    fields = Settings.env_names()
    assert fields - named == set(), "add these to .env.example"
    assert named - fields == COMPOSE_ONLY
    # it parses, and holds no secret
    settings = Settings.from_env(PROJECT_ROOT / ".env.example")
    assert not settings.api.secret_key.get_secret_value()
    assert re.search(r"^POSTGRES_PASSWORD=$", text, re.M)


def test_compose_waits_for_postgis_and_migrates_first():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    db, api = compose["services"]["db"], compose["services"]["api"]
    assert db["image"].startswith("postgis/postgis:15")
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert "postgis" in db["healthcheck"]["test"][1]
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["build"]["dockerfile"] == "Dockerfile"
    command = " ".join(api["command"])
    assert command.index("geo-service db upgrade") < command.index("geo-service serve")
    assert api["environment"]["GEO_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "${POSTGRES_PASSWORD:?" in api["environment"]["GEO_DATABASE_URL"]


def test_dockerfile_installs_spatialite_and_migrates_before_serving():
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "libsqlite3-mod-spatialite" in text
    assert re.search(r"^USER geo$", text, re.M)
    cmd = re.search(r"^CMD (.+)$", text, re.M).group(1)
    assert cmd.index("db upgrade") < cmd.index("serve")
    assert "HEALTHCHECK" in text and "/health" in text


def test_settings_read_the_environment_only_through_from_env(monkeypatch, tmp_path):
    """Old variable names keep working; ``Settings()`` itself never reads the environment."""
    monkeypatch.setenv("GEO_DATABASE_URL", "sqlite:///elsewhere.sqlite")
    monkeypatch.setenv("GEO_DB_ECHO", "true")
    monkeypatch.setenv("GEO_IMPORT_CHUNK_ROWS", "5000")
    monkeypatch.setenv("GEO_UPLOAD_MAX_BYTES", "1024")
    monkeypatch.setenv("GEO_CORS_ORIGINS", '["https://peta.example"]')
    monkeypatch.setenv("GEO_RATE_LAPORAN_PER_JAM", "3")
    env_file = tmp_path / ".env"
    env_file.write_text("GEO_MAX_DISTANCE_M=300\nGEO_DB_ECHO=false\n", encoding="utf-8")
    s = Settings.from_env(env_file)
    assert s.database.url == "sqlite:///elsewhere.sqlite"
    assert s.database.echo is True  # the environment wins over the file
    assert s.analysis.max_distance_m == 300.0
    assert (s.imports.chunk_rows, s.imports.upload_max_bytes) == (5000, 1024)
    assert s.api.cors_origins == ["https://peta.example"]
    assert s.rate_limits.laporan() == {3600: 3, 86400: 20}
    assert Settings().database.url is None and Settings().imports.chunk_rows == 100_000
