"""The driver's running cost: recomputed on every Session update (PUT, PATCH), shown by the API
and the session page (which polls itself), only to the session's driver."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import SessionCost
from billing.services.sessions import session_cost_update
from roaming.models import Session
from roaming.services.sessions import session_patch, session_put
from tests.billing.conftest import app_client
from tests.billing.invoicing import (
    START,
    cpo,
    location,
    our_token,
    period,
    session_data,
    stamp,
    tariff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db, settings):
    settings.BILLING_HOLDS_ENABLED = False  # holds have their own tests
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


@pytest.fixture
def token(driver):
    return our_token(user=driver)


def put(partner, data, capture):
    with capture(execute=True):
        return session_put(partner=partner, data=data).obj


def patch(partner, changes, capture, session_id="S1"):
    with capture(execute=True):
        return session_patch(
            partner=partner,
            patch=changes,
            country_code="NL",
            party_id="CPO",
            session_id=session_id,
        ).obj


def test_the_running_cost_rises_with_each_session_update(
    partner, token, django_capture_on_commit_callbacks
):
    session = put(
        partner,
        session_data(token, periods=[period(0, 2.0, power=11)], kwh=2),
        django_capture_on_commit_callbacks,
    )

    first = SessionCost.objects.get(session=session)
    # 1.00 start fee + 2 kWh * 0.30, 21 % VAT
    assert (first.total_excl_vat, first.total_incl_vat) == (Decimal("1.76"), Decimal("2.13"))
    assert first.power_kw == Decimal("11.000")

    patch(
        partner,
        {
            "kwh": 5,
            "charging_periods": [period(10, 3.0)],
            "last_updated": stamp(START + timedelta(minutes=20)),
        },
        django_capture_on_commit_callbacks,
    )

    second = SessionCost.objects.get(session=session)
    assert (second.total_excl_vat, second.total_incl_vat) == (Decimal("2.75"), Decimal("3.33"))
    assert second.power_kw == Decimal("18.000")  # 3 kWh in 10 minutes


def test_the_cost_update_is_a_few_queries(partner, token, django_assert_max_num_queries):
    session = session_put(partner=partner, data=session_data(token, periods=[period(0, 2.0)])).obj

    with django_assert_max_num_queries(9):  # the first one creates the row
        session_cost_update(session_id=session.pk)
    with django_assert_max_num_queries(6):  # session, plan, rules, CPO tariff, connector, update
        session_cost_update(session_id=session.pk)


def test_an_older_update_does_not_overwrite_a_newer_cost(partner, token):
    session = session_put(
        partner=partner, data=session_data(token, periods=[period(0, 2.0)], kwh=2)
    ).obj
    session_cost_update(session_id=session.pk)
    SessionCost.objects.filter(session=session).update(
        session_last_updated=session.last_updated + timedelta(hours=1)
    )

    session_cost_update(session_id=session.pk)

    assert SessionCost.objects.filter(session=session).count() == 1


def test_sessions_of_other_emsps_drivers_get_no_cost(partner, django_capture_on_commit_callbacks):
    foreign = {
        "country_code": "DE",
        "party_id": "ABC",
        "uid": "X",
        "type": "RFID",
        "contract_id": "DE-ABC-1",
    }

    class Foreign:
        cdr_token = foreign

    session = put(
        partner, session_data(Foreign, periods=[period(0, 2.0)]), django_capture_on_commit_callbacks
    )

    assert session.token is None
    assert not SessionCost.objects.exists()


def test_a_session_that_cannot_be_priced_says_so(
    partner, token, django_capture_on_commit_callbacks
):
    data = session_data(token, periods=[{**period(0, 2.0), "tariff_id": "UNKNOWN"}])
    data["location_id"] = "ELSEWHERE"

    session = put(partner, data, django_capture_on_commit_callbacks)

    cost = SessionCost.objects.get(session=session)
    assert "is unknown" in cost.error
    detail = app_client(session.token.user).get(f"/api/v1/sessions/{session.pk}").json()
    assert detail["running_cost_incl_vat"] is None


def test_the_app_shows_energy_duration_power_and_cost(
    partner, token, driver, django_capture_on_commit_callbacks
):
    session = put(
        partner,
        session_data(token, periods=[period(0, 2.0, power=11)], kwh=2),
        django_capture_on_commit_callbacks,
    )
    client = app_client(driver)

    listed = client.get("/api/v1/sessions").json()
    detail = client.get(f"/api/v1/sessions/{session.pk}").json()

    assert listed["count"] == 1
    assert detail["energy_kwh"] == "2.000000"
    assert detail["duration_seconds"] > 0
    assert detail["power_kw"] == "11.0"
    assert (detail["running_cost_incl_vat"], detail["currency"]) == ("2.13", "EUR")
    assert detail["location_name"] == "Stationsplein"


def test_the_session_page_polls_itself_while_charging(
    partner, token, driver_client, django_capture_on_commit_callbacks
):
    session = put(
        partner,
        session_data(token, periods=[period(0, 2.0)], kwh=2),
        django_capture_on_commit_callbacks,
    )

    page = driver_client.get(f"/account/sessions/{session.pk}/").content.decode()
    fragment = driver_client.get(
        f"/account/sessions/{session.pk}/", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 'hx-trigger="every 2s"' in page
    assert "2.13 EUR" in page
    assert fragment.lstrip().startswith('<section id="session-live"')
    assert "<html" not in fragment
    Session.objects.filter(pk=session.pk).update(status="COMPLETED")
    done = driver_client.get(f"/account/sessions/{session.pk}/").content.decode()
    assert "hx-trigger" not in done


@pytest.mark.parametrize("path", ["/api/v1/sessions/{id}", "/account/sessions/{id}/"])
def test_another_drivers_session_is_not_found(partner, token, other_driver, client, path):
    session = session_put(partner=partner, data=session_data(token, periods=[period(0, 2.0)])).obj
    client.force_login(other_driver)

    response = client.get(path.format(id=session.pk))

    assert response.status_code == 404
    assert app_client(other_driver).get("/api/v1/sessions").json()["count"] == 0


@pytest.mark.parametrize("session_id", ["abc", "-1", "0", "99999999999999999999999", "1.5", "%00"])
def test_bad_session_ids_are_not_found(driver, session_id):
    assert app_client(driver).get(f"/api/v1/sessions/{session_id}").status_code == 404


def test_the_session_list_refuses_bad_paging_and_writes(driver):
    client = app_client(driver)

    assert client.get("/api/v1/sessions?limit=-5").status_code == 400
    assert client.get("/api/v1/sessions?offset=x").status_code == 400
    assert client.post("/api/v1/sessions", {}, format="json").status_code == 405
    assert client.get("/account/sessions/99999999999999999999/").status_code in (302, 404)


def test_the_running_cost_is_rounded_as_the_invoice_will_be(
    partner, token, django_capture_on_commit_callbacks
):
    """Per line, VAT per line: 1.10 start fee (VAT 0.23) + 1.5 kWh * 0.33 = 0.495 -> 0.50 (VAT
    0.11) is 1.94 incl. VAT; rounding the session's total once would show 1.93."""
    session = put(
        partner,
        session_data(token, periods=[period(0, 1.5)], kwh=1.5),
        django_capture_on_commit_callbacks,
    )

    cost = SessionCost.objects.get(session=session)

    assert (cost.total_excl_vat, cost.total_incl_vat) == (Decimal("1.60"), Decimal("1.94"))
    assert (cost.fixed_cost, cost.energy_cost) == (Decimal("1.33"), Decimal("0.61"))
