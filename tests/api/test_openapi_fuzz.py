"""Every operation of the driver API, as /api/schema/ describes it, fuzzed by schemathesis while
signed in as a driver through the app's real login: no server errors, and every status code, body
and header is one the schema documents. New endpoints are covered as soon as they are in the
schema; each operation gets a bounded number of generated requests so the suite stays quick.

Runs in-process (WSGI) inside the test's database transaction, so nothing it writes survives.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from werkzeug.test import Client

from tests.drivers.factories import DEFAULT_PASSWORD

EXAMPLES_PER_OPERATION = 30
# The coverage phase sends every boundary case the schema defines. Its schema-violating cases
# (wrong types, missing or oversized values, unexpected methods) find the crashes; its valid
# cases enumerate every enum value (250 countries alone), which the bounded fuzzing phase samples.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"generation": {"mode": "negative"}}}}
)


@pytest.fixture
def _wsgi_in_test_transaction(db):
    """Django closes the database connection after each WSGI request, which would end the test's
    transaction; its test client prevents that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def session_token(_wsgi_in_test_transaction, driver) -> str:
    """A session token from the app's login, as the mobile app gets it."""
    response = Client(get_wsgi_application()).post(
        "/_allauth/app/v1/auth/login",
        json={"email": driver.email, "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 200, response.text
    return response.json["meta"]["session_token"]


@pytest.fixture
def api_schema(_wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)
    assert schema.raw_schema["paths"], "the schema documents no operation"
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=bool(os.environ.get("CI")),  # CI repeats the same cases; a developer's run varies
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_api_operation_answers_as_documented(case, session_token, fake_stripe):
    case.call_and_validate(headers={"X-Session-Token": session_token})
