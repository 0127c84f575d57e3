# ruff: noqa: F811  (the CPO simulator fixtures are imported, then used as arguments)
"""Charging from the web page and the app, against the CPO simulator (a real process) with our
server live: the start page (place, price, eligibility, token), the START command's outcome
(accepted, rejected, timeout) on the page and through the API, the session appearing, stop;
the refusals before anything is sent; another driver's ids; bad and hostile input."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Payment
from drivers.services import token_app_get_or_create
from roaming.commands import commands_expire
from roaming.models import EVSE, Command, Connector, Location, Partner, Session
from roaming.services.pulls import partner_pull
from tests.billing.factories import PaymentFactory, PaymentMethodFactory
from tests.drivers.factories import DriverFactory
from tests.roaming.cpo import (  # noqa: F401  (fixtures: the CPO simulator)
    emsp_live,
    registered,
    simulator,
    simulator_process,
    wait_until,
)
from tests.roaming.factories import PartnerFactory, TokenFactory
from tests.tariffs.factories import connector_of, location_store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(registered, simulator, settings):
    settings.BILLING_HOLDS_ENABLED = False  # no Stripe in these tests: the card is a record
    partner_pull(partner=registered, module="tariffs")
    partner_pull(partner=registered, module="locations")
    return registered


@pytest.fixture
def charging_driver(driver):
    PaymentMethodFactory(user=driver)
    return driver


def free_connector() -> Connector:
    """A connector of an available EVSE that can be started remotely and has a price."""
    evse = (
        EVSE.objects.filter(status="AVAILABLE", location__partner__isnull=False)
        .exclude(connectors__tariff_ids=[])
        .order_by("pk")
        .first()
    )
    return evse.connectors.exclude(tariff_ids=[]).order_by("pk").first()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def command_of(response) -> Command:
    path = response["Location"]
    return Command.objects.get(uid=path.rstrip("/").rsplit("/", 1)[-1])


def text(response) -> str:
    return response.content.decode()


# --- the web page ---------------------------------------------------------------------------


def test_a_driver_starts_follows_and_stops_a_charge_on_the_pages(network, client, charging_driver):
    client.force_login(charging_driver)
    connector = free_connector()
    token = token_app_get_or_create(user=charging_driver)

    page = client.get(f"/charge/connectors/{connector.pk}/")

    assert page.status_code == 200
    body = text(page)
    assert connector.evse.location.name in body
    assert connector.evse.evse_id in body
    assert "about " in body
    assert " kWh" in body
    assert token.contract_id in body
    assert 'id="charge-start-button"' in body

    started = client.post(f"/charge/connectors/{connector.pk}/")

    assert started.status_code == 302
    command = command_of(started)
    assert command.driver == charging_driver
    assert command.token == token
    assert command.request["connector_id"] == connector.ocpi_id
    status = client.get(started["Location"])
    assert "Accepted" in text(status) or "Charging has started" in text(status)
    linked = wait_until(
        lambda: Command.objects.filter(pk=command.pk, session__isnull=False).first(),
        what="the session reported",
    )
    polled = client.get(f"{started['Location']}?follow=1", headers={"HX-Request": "true"})
    session_url = f"/account/sessions/{linked.session_id}/"
    assert polled["HX-Redirect"] == session_url
    assert "Charging has started" in text(polled)
    full = client.get(started["Location"])
    assert f'href="{session_url}"' in text(full)
    assert f'content="2;url={session_url}"' in text(full)  # without JavaScript

    live = client.get(session_url)
    assert 'id="session-stop-button"' in text(live)
    stopped = client.post(f"/charge/sessions/{linked.session_id}/stop/")

    assert stopped.status_code == 302
    stop = command_of(stopped)
    assert stop.kind == "STOP_SESSION"
    wait_until(
        lambda: Command.objects.get(pk=stop.pk).status == Command.Status.SUCCEEDED,
        what="the stop result",
    )
    assert "Charging has stopped" in text(client.get(stopped["Location"]))
    wait_until(
        lambda: Session.objects.filter(pk=linked.session_id, status="COMPLETED").exists(),
        what="the session completed",
    )
    ended = text(client.get(session_url))
    assert 'id="session-stop-button"' not in ended
    assert "hx-trigger" not in ended  # no more polling
    # Told once that it started, however many Session updates the CPO sent.
    assert [m.subject for m in mail.outbox if "started" in m.subject] == [
        "[EMSP] Your charge has started"
    ]


def test_a_command_page_polls_while_open_and_refreshes_without_javascript(
    network, client, charging_driver, simulator
):
    simulator.configure(command_result="NONE")
    client.force_login(charging_driver)

    started = client.post(f"/charge/connectors/{free_connector().pk}/")
    page = text(client.get(started["Location"]))

    assert 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


@pytest.mark.parametrize(
    ("result", "status", "words"),
    [
        ("REJECTED", "rejected", "The charge point refused."),
        ("EVSE_OCCUPIED", "failed", "EVSE_OCCUPIED"),
    ],
    ids=["rejected", "occupied"],
)
def test_a_charge_point_saying_no_is_shown_on_the_page_and_in_the_api(
    network, client, charging_driver, simulator, result, status, words
):
    simulator.configure(command_result=result)
    client.force_login(charging_driver)

    started = client.post(f"/charge/connectors/{free_connector().pk}/")
    command = command_of(started)
    wait_until(lambda: Command.objects.get(pk=command.pk).result == result, what="the result")

    page = text(client.get(started["Location"]))
    assert words in page
    assert "hx-trigger" not in page
    answer = api(charging_driver).get(f"/api/v1/charging/commands/{command.uid}").json()
    assert answer["status"] == status
    assert answer["final"] is True
    assert result in answer["detail"]
    assert answer["session_id"] is None
    assert not Session.objects.exists()


def test_a_start_without_an_answer_times_out_on_the_page_and_in_the_api(
    network, client, charging_driver, simulator, settings
):
    simulator.configure(command_result="NONE", command_timeout=1)
    settings.OCPI_COMMAND_GRACE_SECONDS = 0
    client.force_login(charging_driver)

    started = client.post(f"/charge/connectors/{free_connector().pk}/")
    command = command_of(started)
    assert (
        api(charging_driver).get(f"/api/v1/charging/commands/{command.uid}").json()["final"]
        is False
    )
    wait_until(lambda: Command.objects.get(pk=command.pk).expires_at < timezone.now())
    assert commands_expire() == 1

    assert "did not answer in time" in text(client.get(started["Location"]))
    answer = api(charging_driver).get(f"/api/v1/charging/commands/{command.uid}").json()
    assert (answer["status"], answer["final"]) == ("timeout", True)


# --- the API --------------------------------------------------------------------------------


def test_the_app_starts_follows_and_stops_a_charge(network, charging_driver):
    app = api(charging_driver)
    connector = free_connector()

    response = app.post("/api/v1/charging/start", {"connector_id": connector.pk}, format="json")

    assert response.status_code == 202, response.json()
    started = response.json()
    assert started["kind"] == "START_SESSION"
    assert started["status"] == "accepted"
    assert started["final"] is False
    assert started["links"]["self"] == f"/api/v1/charging/commands/{started['id']}"
    assert started["links"]["web"] == f"/charge/commands/{started['id']}/"
    done = wait_until(
        lambda: (
            app.get(started["links"]["self"]).json()["session_id"]
            and app.get(started["links"]["self"]).json()
        ),
        what="the session reported",
    )
    assert done["final"] is True
    assert done["links"]["session"] == f"/api/v1/sessions/{done['session_id']}"
    assert app.get(done["links"]["session"]).json()["status"] in ("PENDING", "ACTIVE")

    again = app.post("/api/v1/charging/start", {"connector_id": connector.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_charging"

    stop = app.post(f"/api/v1/sessions/{done['session_id']}/stop", format="json")

    assert stop.status_code == 202, stop.json()
    assert stop.json()["kind"] == "STOP_SESSION"
    twice = app.post(f"/api/v1/sessions/{done['session_id']}/stop", format="json")
    assert twice.status_code == 202
    assert twice.json()["id"] == stop.json()["id"]  # a double tap sends no second stop
    wait_until(
        lambda: app.get(stop.json()["links"]["self"]).json()["status"] == "succeeded",
        what="the stop result",
    )
    wait_until(
        lambda: app.get(done["links"]["session"]).json()["status"] == "COMPLETED",
        what="the session completed",
    )
    ended = app.post(f"/api/v1/sessions/{done['session_id']}/stop", format="json")
    assert ended.status_code == 409
    assert ended.json()["error"]["code"] == "session_ended"
    assert Command.objects.filter(kind="STOP_SESSION").count() == 1


def test_another_drivers_command_and_session_are_not_found(network, charging_driver, client):
    app = api(charging_driver)
    started = app.post(
        "/api/v1/charging/start", {"connector_id": free_connector().pk}, format="json"
    ).json()
    session_id = wait_until(
        lambda: app.get(started["links"]["self"]).json()["session_id"], what="the session"
    )
    intruder = DriverFactory()
    PaymentMethodFactory(user=intruder)
    other = api(intruder)
    client.force_login(intruder)

    assert other.get(f"/api/v1/charging/commands/{started['id']}").status_code == 404
    assert other.post(f"/api/v1/sessions/{session_id}/stop", format="json").status_code == 404
    assert client.get(f"/charge/commands/{started['id']}/").status_code == 404
    assert client.post(f"/charge/sessions/{session_id}/stop/").status_code == 404
    assert Command.objects.filter(kind="STOP_SESSION").count() == 0


# --- refusals before anything is sent (no CPO needed) -----------------------------------------


@pytest.fixture
def place(db):
    """A connector at a Location of a connected CPO (which takes no commands)."""
    partner = PartnerFactory(parties=["NL/CPO"])
    return connector_of(location_store(partner))


def refused(user, connector_id) -> tuple[int, dict]:
    response = api(user).post(
        "/api/v1/charging/start", {"connector_id": connector_id}, format="json"
    )
    return response.status_code, response.json()


def test_a_driver_without_a_card_is_told_to_add_one(client, driver, place):
    client.force_login(driver)

    page = client.get(f"/charge/connectors/{place.pk}/")

    assert "Add a payment card before you charge." in text(page)
    assert 'href="/account/payment-methods/"' in text(page)
    assert 'id="charge-start-button"' not in text(page)
    posted = client.post(f"/charge/connectors/{place.pk}/")
    assert posted.status_code == 409
    assert "Add a payment card" in text(posted)
    assert refused(driver, place.pk) == (
        409,
        {
            "error": {
                "code": "no_payment_method",
                "message": "Add a payment card before you charge.",
            }
        },
    )
    assert not Command.objects.exists()


def test_a_driver_with_unpaid_payments_is_told_to_pay(client, charging_driver, place, settings):
    settings.BILLING_UNPAID_LIMIT_COUNT = 1
    PaymentFactory(user=charging_driver, state=Payment.State.FAILED)
    client.force_login(charging_driver)

    page = text(client.get(f"/charge/connectors/{place.pk}/"))

    assert "pay your open invoices" in page
    assert 'href="/account/payments/"' in page
    status, body = refused(charging_driver, place.pk)
    assert (status, body["error"]["code"]) == (409, "unpaid_payments")
    assert not Command.objects.exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda c: EVSE.objects.filter(pk=c.evse_id).update(status="OUTOFORDER"),
            "connector_unavailable",
        ),
        (
            lambda c: EVSE.objects.filter(pk=c.evse_id).update(status="CHARGING"),
            "connector_unavailable",
        ),
        (
            lambda c: EVSE.objects.filter(pk=c.evse_id).update(capabilities=["RFID_READER"]),
            "connector_unavailable",
        ),
        (
            lambda c: Partner.objects.filter(pk=c.evse.location.partner_id).update(
                status=Partner.Status.SUSPENDED
            ),
            "partner_unavailable",
        ),
        (lambda c: None, "refused"),  # this CPO takes no commands
    ],
    ids=["out-of-order", "in-use", "no-remote-start", "partner-offline", "no-commands"],
)
def test_a_start_that_cannot_work_is_refused_with_a_reason(
    client, charging_driver, place, change, code
):
    change(place)

    status, body = refused(charging_driver, place.pk)

    assert (status, body["error"]["code"]) == (409, code)
    assert body["error"]["message"]
    client.force_login(charging_driver)
    posted = client.post(f"/charge/connectors/{place.pk}/")
    assert posted.status_code == 409
    assert body["error"]["message"] in text(posted).replace("&#x27;", "'")
    assert not Command.objects.exists()


def test_a_driver_already_charging_is_refused(charging_driver, place):
    from tests.tariffs.factories import session_store

    token = TokenFactory(user=charging_driver)  # charging with their RFID card
    session = session_store(
        place.evse.location.partner, place.evse.location, token, timezone.now(), 10, 1
    )
    Session.objects.filter(pk=session.pk).update(status="ACTIVE")

    status, body = refused(charging_driver, place.pk)

    assert (status, body["error"]["code"]) == (409, "already_charging")
    # A session the CPO stopped reporting a day ago does not keep the driver from charging.
    Session.objects.filter(pk=session.pk).update(last_updated=timezone.now() - timedelta(hours=25))
    assert refused(charging_driver, place.pk)[1]["error"]["code"] == "refused"


@pytest.mark.parametrize(
    "hide",
    [
        lambda loc: Location.objects.filter(pk=loc.pk).update(shown_to_drivers=False),
        lambda loc: Location.objects.filter(pk=loc.pk).update(publish=False),
    ],
    ids=["hidden-by-staff", "not-published"],
)
def test_a_hidden_connector_is_not_found(client, charging_driver, place, hide):
    hide(place.evse.location)
    client.force_login(charging_driver)

    assert client.get(f"/charge/connectors/{place.pk}/").status_code == 404
    assert client.post(f"/charge/connectors/{place.pk}/").status_code == 404
    assert refused(charging_driver, place.pk)[0] == 404


# --- bad input, no sign-in ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"connector_id": "1"},
        {"connector_id": 1.5},
        {"connector_id": True},
        {"connector_id": None},
        {"connector_id": 0},
        {"connector_id": -3},
        {"connector_id": 10**30},
        {"connector_id": 1, "token_id": 2},
        [1],
        "x" * 100_000,
    ],
    ids=[
        "empty",
        "string",
        "float",
        "boolean",
        "null",
        "zero",
        "negative",
        "huge",
        "unknown-field",
        "array",
        "oversized-string",
    ],
)
def test_bad_start_input_is_refused_and_nothing_is_sent(charging_driver, place, body):
    response = api(charging_driver).post("/api/v1/charging/start", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not Command.objects.exists()


def test_unknown_ids_are_not_found(client, charging_driver):
    app = api(charging_driver)
    client.force_login(charging_driver)

    assert refused(charging_driver, 999_999)[0] == 404
    for command_id in (uuid.uuid4(), "not-a-uuid", "1' OR '1'='1", "9" * 400):
        assert app.get(f"/api/v1/charging/commands/{command_id}").status_code == 404
    for session_id in ("999999", "abc", "9" * 40, "-1"):
        assert app.post(f"/api/v1/sessions/{session_id}/stop", format="json").status_code == 404
    assert client.get(f"/charge/connectors/{'9' * 40}/").status_code == 404
    assert client.get(f"/charge/commands/{uuid.uuid4()}/").status_code == 404
    assert client.post(f"/charge/sessions/{'9' * 40}/stop/").status_code == 404


def test_a_stop_takes_no_input(charging_driver, place):
    from tests.tariffs.factories import session_store

    session = session_store(
        place.evse.location.partner,
        place.evse.location,
        TokenFactory(user=charging_driver),
        timezone.now(),
        10,
        1,
    )
    response = api(charging_driver).post(
        f"/api/v1/sessions/{session.pk}/stop", {"force": True}, format="json"
    )

    assert response.status_code == 400
    assert not Command.objects.exists()


def test_without_sign_in_nothing_is_answered(client, api_client, place):
    assert (
        api_client.post(
            "/api/v1/charging/start", {"connector_id": place.pk}, format="json"
        ).status_code
        == 401
    )
    assert api_client.get(f"/api/v1/charging/commands/{uuid.uuid4()}").status_code == 401
    assert api_client.post("/api/v1/sessions/1/stop", format="json").status_code == 401
    page = client.get(f"/charge/connectors/{place.pk}/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert client.post(f"/charge/connectors/{place.pk}/").status_code in (302, 403)
    assert not Command.objects.exists()


def test_the_page_refuses_other_methods(client, charging_driver, place):
    client.force_login(charging_driver)

    assert client.put(f"/charge/connectors/{place.pk}/").status_code == 405
    assert client.get("/charge/sessions/1/stop/").status_code == 405
    assert client.post(f"/charge/commands/{uuid.uuid4()}/").status_code == 405


def test_an_old_start_waiting_no_more_does_not_block_a_new_one(charging_driver, place):
    Command.objects.create(
        kind="START_SESSION",
        partner=place.evse.location.partner,
        driver=charging_driver,
        status=Command.Status.ACCEPTED,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    _status, body = refused(charging_driver, place.pk)

    assert body["error"]["code"] == "refused"  # reaches the CPO check, not already_charging
