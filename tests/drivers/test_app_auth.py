"""The mobile app's account flows through allauth's headless API, and the API's own auth."""

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from drivers.models import User
from tests.conftest import last_email_code
from tests.drivers.factories import DEFAULT_PASSWORD, DriverFactory

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"


def app_post(api_client, path, body, token=None):
    headers = {"HTTP_X_SESSION_TOKEN": token} if token else {}
    return api_client.post(f"{APP}{path}", body, format="json", **headers)


def test_app_sign_up_verify_then_use_the_api_and_log_out(api_client):
    response = app_post(
        api_client,
        "/auth/signup",
        {"email": "app.driver@example.org", "password": "my-app-pass-2026"},
    )
    assert response.status_code == 401
    body = response.json()
    pending = [flow["id"] for flow in body["data"]["flows"] if flow.get("is_pending")]
    assert pending == ["verify_email"]
    token = body["meta"]["session_token"]

    response = app_post(api_client, "/auth/email/verify", {"key": last_email_code()}, token)
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]

    me = api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["email"] == "app.driver@example.org"

    changed = api_client.patch(
        "/api/v1/me",
        {"full_name": "App Driver", "city": "Utrecht", "country": "NL"},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert changed.status_code == 200
    assert changed.json()["full_name"] == "App Driver"

    logout = api_client.delete(f"{APP}/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert logout.status_code == 401  # allauth answers "not authenticated any more"
    assert api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_app_log_in_with_password(api_client):
    driver = DriverFactory()

    response = app_post(
        api_client, "/auth/login", {"email": driver.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    assert api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).json()["email"] == driver.email


def test_app_log_in_with_a_wrong_password_is_refused(api_client):
    driver = DriverFactory()

    response = app_post(
        api_client, "/auth/login", {"email": driver.email, "password": "nope-nope-1"}
    )

    assert response.status_code == 400
    assert "meta" not in response.json() or "session_token" not in response.json()["meta"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": "my-app-pass-2026"}, "email"),
        ({"email": "x@example.org", "password": "short"}, "password"),
        ({"password": "my-app-pass-2026"}, "email"),
        ({"email": "x@example.org"}, "password"),
    ],
    ids=["bad-email", "weak-password", "missing-email", "missing-password"],
)
def test_app_sign_up_with_bad_input_names_the_field(api_client, body, field):
    response = app_post(api_client, "/auth/signup", body)

    assert response.status_code == 400
    assert field in {error.get("param") for error in response.json()["errors"]}
    assert User.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_X_SESSION_TOKEN": "made-up-token"}, {"HTTP_X_SESSION_TOKEN": ""}],
    ids=["no-token", "unknown-token", "empty-token"],
)
def test_the_api_refuses_requests_without_a_valid_session_token(api_client, headers):
    response = api_client.get("/api/v1/me", **headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}
    assert "X-Session-Token" in response.headers["WWW-Authenticate"]


def test_an_expired_session_token_is_refused(api_client):
    driver = DriverFactory()
    credentials = {"email": driver.email, "password": DEFAULT_PASSWORD}
    login = app_post(api_client, "/auth/login", credentials)
    token = login.json()["meta"]["session_token"]
    assert api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200

    Session.objects.filter(session_key=token).update(expire_date=timezone.now())

    response = api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_api_call_reads_its_session_once(api_client):
    driver = DriverFactory()
    credentials = {"email": driver.email, "password": DEFAULT_PASSWORD}
    token = app_post(api_client, "/auth/login", credentials).json()["meta"]["session_token"]

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)

    assert response.status_code == 200
    assert len([q for q in queries if "django_session" in q["sql"]]) == 1
