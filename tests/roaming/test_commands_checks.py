"""What the command services refuse before anything is sent, and UNLOCK_CONNECTOR for staff."""

import pytest

from roaming.commands import (
    CommandRefused,
    command_start_session,
    command_stop_session,
    command_unlock_connector,
)
from roaming.models import EVSE, Command, Session
from roaming.services.pulls import partner_pull
from tests.drivers.factories import DriverFactory
from tests.roaming.cpo import wait_until
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(registered):
    partner_pull(partner=registered, module="locations")
    return registered


def evse_with(*, connectors: int, status: str = "AVAILABLE") -> EVSE:
    for evse in EVSE.objects.filter(status=status).order_by("pk"):
        if evse.connectors.count() == connectors:
            return evse
    raise AssertionError(f"no {status} EVSE with {connectors} connectors")


def test_a_driver_can_only_use_their_own_token(network):
    token, stranger = TokenFactory(), DriverFactory()
    evse = evse_with(connectors=2)

    with pytest.raises(CommandRefused, match="not yours"):
        command_start_session(
            driver=stranger, token=token, location=evse.location, evse_uid=evse.uid
        )
    assert not Command.objects.exists()


def test_an_evse_with_several_connectors_needs_one_chosen(network):
    token = TokenFactory()
    evse = evse_with(connectors=2)
    assert "START_SESSION_CONNECTOR_REQUIRED" in evse.capabilities

    with pytest.raises(CommandRefused, match="connector"):
        command_start_session(
            driver=token.user, token=token, location=evse.location, evse_uid=evse.uid
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda evse: EVSE.objects.filter(pk=evse.pk).update(status="REMOVED"), "does not exist"),
        (lambda evse: evse.location.__class__.objects.filter(pk=evse.location_id).update(
            shown_to_drivers=False), "not available"),
        (lambda evse: EVSE.objects.filter(pk=evse.pk).update(capabilities=["RFID_READER"]),
         "cannot be started from the app"),
    ],
    ids=["removed-evse", "hidden-location", "no-remote-start"],
)  # fmt: skip
def test_chargers_that_cannot_be_started_are_refused(network, change, message):
    token = TokenFactory()
    evse = evse_with(connectors=2)
    change(evse)
    evse.refresh_from_db()

    with pytest.raises(CommandRefused, match=message):
        command_start_session(
            driver=token.user,
            token=token,
            location=evse.location.__class__.objects.get(pk=evse.location_id),
            evse_uid=evse.uid,
            connector_id="1",
        )


def test_unknown_evse_or_connector_is_refused(network):
    token = TokenFactory()
    evse = evse_with(connectors=2)
    for evse_uid, connector_id in (("NOPE", "1"), (evse.uid, "9")):
        with pytest.raises(CommandRefused):
            command_start_session(
                driver=token.user,
                token=token,
                location=evse.location,
                evse_uid=evse_uid,
                connector_id=connector_id,
            )


def test_a_cpo_without_a_commands_endpoint_cannot_be_asked(network):
    token = TokenFactory()
    network.endpoints.filter(identifier="commands").delete()
    evse = evse_with(connectors=1)

    with pytest.raises(CommandRefused, match="does not accept commands"):
        command_start_session(
            driver=token.user, token=token, location=evse.location, evse_uid=evse.uid
        )


def test_a_driver_without_a_usable_card_may_not_start(network):
    token = TokenFactory()
    evse = evse_with(connectors=1)

    with pytest.raises(CommandRefused, match="payment card"):
        command_start_session(
            driver=token.user, token=token, location=evse.location, evse_uid=evse.uid
        )
    assert not Command.objects.exists()


def test_a_blocked_token_may_not_start(network):
    token = TokenFactory(valid=False)
    evse = evse_with(connectors=1)

    with pytest.raises(CommandRefused, match="blocked"):
        command_start_session(
            driver=token.user, token=token, location=evse.location, evse_uid=evse.uid
        )


def test_a_driver_cannot_stop_someone_elses_session_or_an_ended_one(network, support):
    partner_pull(partner=network, module="sessions")
    session = Session.objects.order_by("pk").first()
    token = TokenFactory()
    Session.objects.filter(pk=session.pk).update(token=token, status="ACTIVE")
    session.refresh_from_db()

    with pytest.raises(CommandRefused, match="not your"):
        command_stop_session(driver=DriverFactory(), session=session)
    Session.objects.filter(pk=session.pk).update(status="COMPLETED")
    session.refresh_from_db()
    with pytest.raises(CommandRefused, match="already ended"):
        command_stop_session(driver=token.user, session=session)


def first_evse(wanted) -> EVSE:
    """The first EVSE whose capabilities are `wanted` (in Python: SQLite has no JSON contains)."""
    return next(evse for evse in EVSE.objects.order_by("pk") if wanted(evse.capabilities))


def test_support_staff_unlock_a_connector(network, simulator, support):
    evse = first_evse(lambda capabilities: "UNLOCK_CAPABLE" in capabilities)

    command = command_unlock_connector(
        user=support, location=evse.location, evse_uid=evse.uid, connector_id="1"
    )

    assert command.status == Command.Status.ACCEPTED
    assert command.kind == "UNLOCK_CONNECTOR"
    done = wait_until(lambda: Command.objects.get(pk=command.pk).result and command)
    assert Command.objects.get(pk=done.pk).status == Command.Status.SUCCEEDED
    sent = simulator.state()["commands"][-1]
    assert sent["command"] == "UNLOCK_CONNECTOR"
    assert sent["body"]["connector_id"] == "1"


def test_a_connector_without_a_lock_answers_not_supported(network, simulator, support):
    evse = first_evse(lambda capabilities: "UNLOCK_CAPABLE" not in capabilities)

    command = command_unlock_connector(
        user=support, location=evse.location, evse_uid=evse.uid, connector_id="1"
    )

    done = wait_until(lambda: Command.objects.get(pk=command.pk).result and command)
    assert Command.objects.get(pk=done.pk).result == "NOT_SUPPORTED"


def test_drivers_may_never_unlock(network):
    driver = DriverFactory()
    evse = EVSE.objects.order_by("pk").first()

    with pytest.raises(CommandRefused, match="support staff"):
        command_unlock_connector(
            user=driver, location=evse.location, evse_uid=evse.uid, connector_id="1"
        )
