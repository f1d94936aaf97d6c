"""schemathesis against the OpenAPI spec with a valid key: no 5xx, responses conform."""
# ruff: noqa: F811  (fixtures imported from tests.api.support)

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from geo_service.api import create_app
from tests.api.support import served, with_limits
from tests.fixtures.settings import make_settings

# The spec does not need a database: build it from an app that is never started.
schema = schemathesis.openapi.from_dict(create_app(make_settings()).openapi())
# Starting real analysis runs (seconds each, queued) is covered by the route tests.
schema = schema.exclude(method="POST", path="/analisis")


@pytest.fixture(scope="module")
def base_url(api_db):
    app = create_app(with_limits(api_db.settings, upload_max_bytes=8 * 1024**2))
    with served(app, join_timeout=30) as port:
        yield f"http://127.0.0.1:{port}"


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, base_url, api_db):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    case.call_and_validate(
        base_url=base_url,
        headers={"X-API-Key": api_db.api_keys["admin_a"]},
        # The meeting-pack routes render a PDF (seconds on a loaded 2-core machine); the
        # default 10 s request timeout once cut one off under load, which is not a defect.
        timeout=60,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
