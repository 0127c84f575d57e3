"""The app's charging history: GET /api/v1/sessions filtered by month, year or dates (strictly
validated: 400 naming the parameter), GET /api/v1/history/monthly-totals and
GET /api/v1/history/export.csv; the driver's own only, signed in only."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.billing.conftest import app_client
from tests.billing.factories import (
    InvoiceFactory,
    LocationFactory,
    SessionCostFactory,
    SessionFactory,
)
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def sessions(driver):
    token = TokenFactory(user=driver)
    location = LocationFactory(name="Stationsplein", city="Utrecht")
    made = {
        # 2026-03-01 00:30 in Amsterdam; 2026-02-28 in UTC
        "march-first": SessionFactory(
            token=token, location=location, start_date_time=at(2026, 2, 28, 23, 30)
        ),
        "march-mid": SessionFactory(
            token=token, location=location, start_date_time=at(2026, 3, 15, 12)
        ),
        "april": SessionFactory(token=token, location=location, start_date_time=at(2026, 4, 2, 9)),
    }
    InvoiceFactory(session=made["march-mid"], total_incl_vat=Decimal("9.3200"))
    SessionCostFactory(session=made["april"], total_incl_vat=Decimal("4.0000"))
    return made


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"march-first", "march-mid", "april"}),
        ("?month=2026-03", {"march-first", "march-mid"}),
        ("?month=2026-03&tz=UTC", {"march-mid"}),
        ("?month=2026-02&tz=UTC", {"march-first"}),
        ("?year=2026", {"march-first", "march-mid", "april"}),
        ("?from=2026-03-02", {"march-mid", "april"}),
        ("?to=2026-03-01", {"march-first"}),
        ("?from=2026-03-15&to=2026-03-15", {"march-mid"}),
        ("?month=2025-03", set()),
        ("?month=2026-03&year=2026", {"march-first", "march-mid"}),
        ("?month=2026-03&year=2025", set()),
        ("?month=2026-03&from=2026-03-02", {"march-mid"}),
        ("?from=2026-04-01&to=2026-03-01", set()),
        ("?from=0001-01-01&to=9999-12-31", {"march-first", "march-mid", "april"}),
        ("?year=9999", set()),
        ("?month=9999-12", set()),
        ("?year=1000", set()),
    ],
    ids=[
        "all",
        "month",
        "month-in-utc",
        "previous-month-in-utc",
        "year",
        "from",
        "to-includes-the-day",
        "one-day",
        "empty-month",
        "month-within-year",
        "month-outside-year",
        "month-and-from-narrow",
        "from-after-to-is-empty",
        "earliest-to-latest-date",
        "last-year",
        "last-month",
        "year-1000",
    ],
)
def test_sessions_filtered_by_period(driver, sessions, query, expected):
    response = app_client(driver).get(f"/api/v1/sessions{query}")

    assert ids(response) == {sessions[name].pk for name in expected}


def test_each_session_carries_place_and_price(driver, sessions):
    results = app_client(driver).get("/api/v1/sessions?month=2026-03").json()["results"]
    by_id = {item["id"]: item for item in results}

    mid = by_id[sessions["march-mid"].pk]
    assert mid["location_name"] == "Stationsplein"
    assert mid["location_city"] == "Utrecht"
    assert (mid["price"], mid["price_currency"], mid["price_status"]) == ("9.32", "EUR", "invoiced")
    assert mid["invoice_number"].startswith("INV-TEST-")
    assert mid["duration_seconds"] == 45 * 60
    first = by_id[sessions["march-first"].pk]
    assert (first["price"], first["price_status"], first["invoice_id"]) == (None, "unknown", None)
    detail = app_client(driver).get(f"/api/v1/sessions/{sessions['april'].pk}").json()
    assert (detail["price"], detail["price_status"]) == ("4.00", "estimate")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=2026-13", "month"),
        ("month=2026-3", "month"),
        ("month=march", "month"),
        ("month=2026-03&month=2026-04", "month"),
        ("year=99", "year"),
        ("year=0999", "year"),
        ("month=0000-01", "month"),
        ("from=2026-02-30", "from"),
        ("from=2026-3-1", "from"),
        ("tz=Mars/Olympus", "tz"),
        ("month=", "month"),
        ("tz=", "tz"),
        ("from=%C2%A0", "from"),  # a non-breaking space: blank, not "no filter"
        ("to=%20%20", "to"),
        ("tz=../../etc/passwd", "tz"),
        ("tz=" + "x" * 65, "tz"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "long",
)
def test_bad_parameters_are_refused_with_400_naming_them(driver, sessions, query, field):
    for path in ("/api/v1/sessions", "/api/v1/history/export.csv"):
        response = app_client(driver).get(f"{path}?{query}")

        assert response.status_code == 400, (path, response.content)
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert field in error["fields"]


@pytest.mark.parametrize("query", ["format=xml", "format=csv&format=json"])
def test_the_export_refuses_an_unknown_format_parameter(driver, query):
    response = app_client(driver).get(f"/api/v1/history/export.csv?{query}")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["format"]


def test_an_error_of_the_export_is_json_even_when_csv_is_asked_for(driver):
    response = app_client(driver).get(
        "/api/v1/history/export.csv?month=2026-13", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"]["month"]


def test_monthly_totals(driver, sessions, other_driver):
    # the last twelve months from now: the sessions are moved into the current month
    now = timezone.now()
    other = SessionFactory(
        token=TokenFactory(user=other_driver), start_date_time=now.replace(day=1, hour=12)
    )
    InvoiceFactory(session=other, total_incl_vat=Decimal("99.00"))
    for session in sessions.values():
        session.start_date_time = now.replace(day=1, hour=12)
        session.save()

    body = app_client(driver).get("/api/v1/history/monthly-totals?tz=Europe/Amsterdam").json()

    assert body == {
        "time_zone": "Europe/Amsterdam",
        "results": [
            {
                "month": f"{now:%Y-%m}",
                "currency": "EUR",
                "sessions": 3,
                "sessions_estimated": 1,
                "energy_kwh": "61.500000",
                "amount": "13.32",
            }
        ],
    }
    theirs = app_client(other_driver).get("/api/v1/history/monthly-totals").json()["results"]
    assert [(t["month"], t["sessions"], t["amount"]) for t in theirs] == [
        (f"{now:%Y-%m}", 1, "99.00")
    ]


def test_the_export_is_csv_of_the_filtered_sessions(driver, sessions):
    response = app_client(driver).get(
        "/api/v1/history/export.csv?month=2026-03", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows] == [
        "session_id",
        str(sessions["march-first"].pk),
        str(sessions["march-mid"].pk),
    ]
    assert rows[2][10:13] == ["9.32", "EUR", "invoiced"]


def test_another_drivers_sessions_are_not_found_and_not_listed(driver, sessions, other_driver):
    client = app_client(other_driver)

    assert client.get(f"/api/v1/sessions/{sessions['april'].pk}").status_code == 404
    assert client.get("/api/v1/sessions?year=2026").json()["count"] == 0
    exported = b"".join(client.get("/api/v1/history/export.csv").streaming_content).decode()
    assert exported.strip().splitlines()[1:] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions?month=2026-03",
        "/api/v1/history/monthly-totals",
        "/api/v1/history/export.csv",
    ],
)
def test_signed_out_calls_get_401(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_schema_documents_the_filters_and_the_csv(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    listing = schema["paths"]["/api/v1/sessions"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"month", "year", "from", "to", "tz"}
    export = schema["paths"]["/api/v1/history/export.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
    assert set(export["responses"]) >= {"200", "400", "401", "403", "429"}
    assert "/api/v1/history/monthly-totals" in schema["paths"]
