"""Deployment files: .env.example documents every setting; docker-compose.yml and the
Dockerfile run the migrations before the API and wait for a healthy PostGIS (Docker itself
does not run on the test machines, so their structure is checked here)."""

from __future__ import annotations

import re

import yaml

from geo_service.api.config import ApiSettings
from geo_service.settings import PROJECT_ROOT, Settings

COMPOSE_ONLY = {"GEO_PORT"}


def test_env_example_documents_every_setting():
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s?(GEO_[A-Z0-9_]+)=", text, re.M))
    fields = {f"GEO_{name.upper()}" for name in [*Settings.model_fields, *ApiSettings.model_fields]}
    assert fields - named == set(), "add these to .env.example"
    assert named - fields == COMPOSE_ONLY
    # it parses, and holds no secret
    Settings(_env_file=PROJECT_ROOT / ".env.example")
    assert not ApiSettings(_env_file=PROJECT_ROOT / ".env.example").secret_key.get_secret_value()
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
