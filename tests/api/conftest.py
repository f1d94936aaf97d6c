"""Fixtures of the API tests, registered once for every module in ``tests/api/``.

``api_db`` (a module's private copy of the template database), ``client`` (a started
TestClient on it) and ``tokens`` (a token and API key per test user) live in
:mod:`tests.api.support` with the data they build.
"""

from tests.api.support import api_db, client, tokens

__all__ = ["api_db", "client", "tokens"]
