"""Commands end to end against the CPO simulator (a real process) with our server live:
START_SESSION -> CommandResult on our callback -> Session pushed and updated -> STOP_SESSION
-> Session completed -> CDR posted and stored once; timeouts; a START that timed out but
started a session anyway."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from roaming.commands import (
    CommandRefused,
    command_start_session,
    command_stop_session,
    commands_expire,
)
from roaming.models import CDR, EVSE, Command, Session
from roaming.services.pulls import partner_pull, partner_pull_all
from roaming.tasks import expire_commands
from tariffs.pricing import cdr_price, tariff_parse
from tests.roaming.cpo import wait_until
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db(transaction=True)


def usable_card(user):
    """A saved card: what billing's eligibility rule asks for."""
    from billing.models import PaymentMethod

    PaymentMethod.objects.create(
        user=user,
        stripe_id=f"pm_{user.pk}",
        last4="4242",
        exp_month=12,
        exp_year=timezone.now().year + 2,
        is_default=True,
    )


@pytest.fixture
def network(registered, simulator):
    partner_pull(partner=registered, module="tariffs")
    partner_pull(partner=registered, module="locations")
    return registered


@pytest.fixture
def token(db):
    token = TokenFactory()
    usable_card(token.user)
    return token


def free_charger():
    """An available EVSE whose connector must be named (most have two)."""
    evse = (
        EVSE.objects.filter(status="AVAILABLE", location__partner__isnull=False)
        .order_by("pk")
        .first()
    )
    return evse.location, evse, evse.connectors.order_by("pk").first()


def refreshed(command):
    return Command.objects.get(pk=command.pk)


def start(token):
    location, evse, connector = free_charger()
    command = command_start_session(
        driver=token.user,
        token=token,
        location=location,
        evse_uid=evse.uid,
        connector_id=connector.ocpi_id,
    )
    return command, evse


def test_a_session_started_from_the_app_runs_stops_and_is_billed_once(network, simulator, token):
    simulator.configure(duplicate_cdr_posts=True)

    command, evse = start(token)

    assert command.status == Command.Status.ACCEPTED
    assert command.response_result == "ACCEPTED"
    assert command.response_timeout == 30
    assert command.request["token"]["uid"] == token.uid
    assert command.request["response_url"].endswith(f"/commands/START_SESSION/{command.uid}")
    started = wait_until(
        lambda: refreshed(command).session_id and refreshed(command), what="session linked"
    )
    assert started.status == Command.Status.SUCCEEDED
    assert started.result == "ACCEPTED"
    session = Session.objects.get(pk=started.session_id)
    assert session.authorization_reference == command.authorization_reference
    assert session.token == token
    assert session.auth_method == "COMMAND"
    wait_until(lambda: Session.objects.get(pk=session.pk).kwh > 0, what="energy flowing")
    wait_until(lambda: EVSE.objects.get(pk=evse.pk).status == "CHARGING", what="EVSE charging")

    stop = command_stop_session(driver=token.user, session=Session.objects.get(pk=session.pk))

    assert stop.status == Command.Status.ACCEPTED
    wait_until(lambda: refreshed(stop).status == Command.Status.SUCCEEDED, what="stop result")
    ended = wait_until(
        lambda: Session.objects.filter(pk=session.pk, status="COMPLETED").first(),
        what="session completed",
    )
    assert ended.end_date_time is not None
    cdr = wait_until(lambda: CDR.objects.filter(session=session).first(), what="CDR")
    wait_until(lambda: len(simulator.pushes("cdrs")) == 2, what="both CDR POSTs")
    assert [push["http_status"] for push in simulator.pushes("cdrs")] == [201, 200]
    assert CDR.objects.count() == 1
    assert cdr.total_energy == ended.kwh
    assert cdr.token == token
    # The CPO priced it with its tariff as our engine prices it.
    repriced = cdr_price(
        tariff_parse(cdr.raw["tariffs"][0]), cdr.raw, time_zone=cdr.location.time_zone
    ).rounded()
    assert repriced.total_cost.excl_vat == cdr.total_cost_excl_vat
    assert repriced.total_cost.incl_vat == cdr.total_cost_incl_vat
    wait_until(lambda: EVSE.objects.get(pk=evse.pk).status == "AVAILABLE", what="EVSE free")
    # Pulled later, the same CDR is the same CDR (only the 12 older ones are new to us).
    run = partner_pull(partner=network, module="cdrs", full=True)
    assert run.objects_received == 13
    assert run.objects_stored == 12
    assert CDR.objects.filter(ocpi_id=cdr.ocpi_id).count() == 1


def test_a_double_tap_does_not_send_a_second_start(network, simulator, token):
    simulator.configure(command_result="NONE")
    command, evse = start(token)

    with pytest.raises(CommandRefused, match="already on its way"):
        command_start_session(
            driver=token.user,
            token=token,
            location=evse.location,
            evse_uid=evse.uid,
            connector_id=command.request["connector_id"],
        )
    assert Command.objects.count() == 1
    assert len(simulator.requests("commands")) == 1


@pytest.mark.parametrize("chargers", [1, 2], ids=["same-charger", "two-chargers"])
def test_two_taps_at_the_same_moment_send_one_start(network, simulator, token, chargers):
    simulator.configure(command_result="NONE")
    places = EVSE.objects.filter(status="AVAILABLE", location__partner__isnull=False)
    evses = list(places.order_by("pk")[:2])[:chargers] * (3 - chargers)
    barrier = threading.Barrier(2)
    outcomes = []

    def tap(evse):
        location, connector = evse.location, evse.connectors.order_by("pk").first()
        barrier.wait()
        try:
            outcomes.append(
                command_start_session(
                    driver=token.user,
                    token=token,
                    location=location,
                    evse_uid=evse.uid,
                    connector_id=connector.ocpi_id,
                ).status
            )
        except CommandRefused as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    taps = [threading.Thread(target=tap, args=(evse,)) for evse in evses]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join()

    assert sorted(outcomes) == sorted(
        [Command.Status.ACCEPTED, "A start is already on its way for this token; wait a moment."]
    )
    assert Command.objects.count() == 1
    assert len(simulator.requests("commands")) == 1


def test_a_result_that_never_comes_times_out(network, simulator, token, settings):
    simulator.configure(command_result="NONE", command_timeout=1)
    settings.OCPI_COMMAND_GRACE_SECONDS = 0

    command, _ = start(token)

    assert command.status == Command.Status.ACCEPTED
    assert commands_expire() == 0  # not overdue yet
    wait_until(lambda: refreshed(command).expires_at < timezone.now(), what="deadline")
    assert expire_commands() == 1
    assert refreshed(command).status == Command.Status.TIMEOUT
    assert "did not arrive" in refreshed(command).error_message
    assert commands_expire() == 0  # safe to run twice


def test_a_start_that_timed_out_but_started_a_session_is_matched_to_it(
    network, simulator, token, settings
):
    simulator.configure(command_result="NONE", start_without_result=True, command_timeout=1)
    settings.OCPI_COMMAND_GRACE_SECONDS = 0
    command, _ = start(token)
    wait_until(lambda: refreshed(command).expires_at < timezone.now(), what="deadline")
    commands_expire()

    linked = wait_until(lambda: refreshed(command).session_id and refreshed(command))

    assert linked.status == Command.Status.SUCCEEDED
    assert linked.session.authorization_reference == command.authorization_reference


def test_a_result_arriving_before_the_answer_is_kept(network, simulator, token):
    simulator.configure(command_result_delay=0)

    command, _ = start(token)

    final = wait_until(
        lambda: refreshed(command).status == Command.Status.SUCCEEDED and refreshed(command)
    )
    assert final.response_result == "ACCEPTED"


@pytest.mark.parametrize(
    ("result", "status"),
    [("EVSE_OCCUPIED", "failed"), ("REJECTED", "rejected"), ("TIMEOUT", "timeout")],
)
def test_a_charge_point_saying_no_is_recorded(network, simulator, token, result, status):
    simulator.configure(command_result=result)

    command, _ = start(token)

    done = wait_until(lambda: refreshed(command).result and refreshed(command))
    assert done.result == result
    assert done.status == status
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        ({"kind": "drop"}, "failed", "network error"),
        ({"kind": "status", "status": 502}, "failed", "HTTP 502"),
        ({"kind": "invalid_json"}, "failed", "not an OCPI envelope"),
    ],
    ids=["dropped", "bad-gateway", "garbage"],
)
def test_a_cpo_that_cannot_take_the_command_fails_it_with_the_reason(
    network, simulator, token, fault, status, message
):
    simulator.faults({**fault, "module": "commands", "times": 0})

    command, _ = start(token)

    assert command.status == status
    assert message in command.error_message
    assert len(simulator.requests("commands")) == 1  # a POST is never repeated blindly


def test_stopping_a_session_the_cpo_does_not_know_is_rejected(network, simulator, support):
    partner_pull_all(partner=network, modules=("sessions",))
    session = Session.objects.order_by("pk").first()
    Session.objects.filter(pk=session.pk).update(status="ACTIVE")
    session.refresh_from_db()

    command = command_stop_session(driver=support, session=session)

    assert command.status == Command.Status.REJECTED
    assert command.response_result == "UNKNOWN_SESSION"
    assert command.expires_at is not None
