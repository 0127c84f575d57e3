"""Conventions every /api/v1 operation shares: input in the JSON types the schema states, and every
error status the API can answer with documented in the schema, in our one error shape."""

import pytest
from rest_framework.test import APIClient

from drivers.models import DriverProfile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"marketing_consent": 0}, "marketing_consent"),
        ({"marketing_consent": "yes"}, "marketing_consent"),
        ({"full_name": 42}, "full_name"),
        ({"city": 3.5}, "city"),
        ({"preferred_language": 1}, "preferred_language"),
        ({"country": True}, "country"),
    ],
    ids=[
        "zero-for-false",
        "yes-for-true",
        "number-for-name",
        "float-for-city",
        "number-for-language",
        "boolean-for-country",
    ],
)
def test_input_in_another_json_type_than_documented_is_refused(api_client, driver, body, field):
    api_client.force_authenticate(driver)
    before = DriverProfile.objects.values().get(user=driver)

    response = api_client.patch("/api/v1/me", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert DriverProfile.objects.values().get(user=driver) == before


def test_unknown_fields_are_named_and_refused_with_the_type_errors(api_client, driver):
    api_client.force_authenticate(driver)

    response = api_client.patch(
        "/api/v1/me", {"nickname": "x", "marketing_consent": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "nickname": ["This field is unknown or read-only."],
        "marketing_consent": ["Must be a valid boolean."],
    }


def test_null_characters_are_refused_and_the_schema_says_so(api_client, driver, client):
    api_client.force_authenticate(driver)

    response = api_client.patch("/api/v1/me", {"city": "Ams\x00terdam"}, format="json")

    assert response.status_code == 400
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    city = schema["components"]["schemas"]["PatchedMeUpdateInputRequest"]["properties"]["city"]
    assert city["anyOf"][0]["pattern"] == "^[^\\u0000]*$"


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    error_ref = {"$ref": "#/components/schemas/ApiError"}
    me = schema["paths"]["/api/v1/me"]

    assert set(me["get"]["responses"]) == {"200", "401", "403", "429"}
    assert set(me["patch"]["responses"]) == {"200", "400", "401", "403", "415", "429"}
    for status in ("400", "401", "415"):
        assert me["patch"]["responses"][status]["content"]["application/json"]["schema"] == (
            error_ref
        )
    assert schema["components"]["schemas"]["ApiErrorDetail"]["required"] == ["code", "message"]


def test_input_schemas_refuse_additional_properties(schema):
    request_schema = schema["components"]["schemas"]["PatchedMeUpdateInputRequest"]

    assert request_schema["additionalProperties"] is False
    assert "description" not in request_schema


@pytest.mark.parametrize("method", ["get", "patch"])
def test_the_documented_401_is_what_an_unknown_token_gets(api_client, method):
    response = getattr(api_client, method)("/api/v1/me", HTTP_X_SESSION_TOKEN="not-a-token")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def _error_shape(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    return body["error"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", "/api/v1/sessions?month=2026-13", {}, 400, "invalid"),
        ("get", "/api/v1/invoices?status=nope", {}, 400, "invalid"),
        ("patch", "/api/v1/me", {"data": "{bad", "content_type": "application/json"}, 400, None),
        ("get", "/api/v1/sessions/123456789", {}, 404, "not_found"),
        ("get", "/api/v1/invoices/not-a-uuid", {}, 404, "not_found"),
        ("get", "/api/v1/no-such-endpoint", {}, 404, "not_found"),
        ("get", "/api/v1/sessions/", {}, 404, "not_found"),
        ("delete", "/api/v1/history/monthly-totals", {}, 405, "method_not_allowed"),
        ("post", "/api/v1/history/export.csv", {}, 405, "method_not_allowed"),
        ("patch", "/api/v1/me", {"data": "x", "content_type": "text/plain"}, 415, None),
    ],
    ids=[
        "400-parameter",
        "400-status",
        "400-body",
        "404-object",
        "404-bad-id",
        "404-unknown-path",
        "404-trailing-slash",
        "405-delete",
        "405-post",
        "415",
    ],
)
def test_every_error_has_the_one_body_shape(api_client, driver, method, path, kwargs, status, code):
    api_client.force_authenticate(driver)

    response = getattr(api_client, method)(path, **kwargs)

    assert response.status_code == status
    error = _error_shape(response)
    assert code is None or error["code"] == code


@pytest.mark.parametrize(
    "path", ["/api/v1/me", "/api/v1/history/monthly-totals", "/api/v1/no-such-endpoint"]
)
def test_signed_out_and_bad_token_errors_have_the_one_shape(api_client, path):
    signed_out = api_client.get(path)
    bad_token = api_client.get(path, HTTP_X_SESSION_TOKEN="not-a-token")

    if path.endswith("no-such-endpoint"):
        assert signed_out.status_code == 404
    else:
        assert signed_out.status_code == 401
        assert bad_token.status_code == 401
        assert _error_shape(bad_token)["code"] == "authentication_failed"
    _error_shape(signed_out)


def test_a_missing_csrf_token_on_the_web_session_is_403_in_the_one_shape(driver):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(driver)

    response = client.post("/api/v1/payment-methods/setup", {}, format="json")

    assert response.status_code == 403
    assert _error_shape(response)["code"] == "permission_denied"


def test_too_many_requests_is_429_in_the_one_shape(api_client, driver, settings):
    settings.API_RATE_PER_TOKEN = "1/min"
    api_client.force_authenticate(driver)
    api_client.get("/api/v1/me")

    response = api_client.get("/api/v1/me")

    assert response.status_code == 429
    assert response["Retry-After"]
    assert _error_shape(response)["code"] == "throttled"
