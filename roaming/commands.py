"""Commands we send to a CPO (mod_commands): START_SESSION, STOP_SESSION, UNLOCK_CONNECTOR.

Pages, the API and the admin call these services. Each one checks that the command may be
sent, records a Command, POSTs it to the CPO's commands receiver with a response_url naming
the Command, and records the CPO's CommandResponse:
- ACCEPTED: the CPO passed it to the charge point; the CommandResult comes later on our
  response_url (roaming.services.commands.command_result_record stores it);
- REJECTED: the CPO refused (NOT_SUPPORTED, REJECTED, UNKNOWN_SESSION, or an OCPI 2xxx);
- FAILED: the CPO could not be reached or answered nonsense (`error_message` says why).
A Command whose result does not arrive within the CPO's timeout (plus a grace period) is set
to TIMEOUT by the beat sweeper `commands_expire`; a START_SESSION that timed out may still
start a session: the Session that arrives with our authorization_reference is linked to it.
"""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from drivers.models import Token, User
from roaming.models import EVSE, Command, Location, Partner, Session
from roaming.ocpi.client import NO_RETRY
from roaming.ocpi.commands import CommandResponse
from roaming.ocpi.enums import (
    AllowedType,
    CommandResponseType,
    CommandType,
    InterfaceRole,
    SessionStatus,
)
from roaming.ocpi.errors import validation_message
from roaming.ocpi.http import OcpiRequestError
from roaming.outbound import PartnerUnavailable, partner_client, partner_endpoint_url
from roaming.selectors import ocpi_url, token_charging_eligibility, token_object

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Command.Status.PENDING, Command.Status.ACCEPTED)
ONGOING_SESSION = (SessionStatus.PENDING, SessionStatus.ACTIVE, SessionStatus.RESERVATION)
REFUSALS = {
    AllowedType.BLOCKED: "This charging token is blocked.",
    AllowedType.EXPIRED: "This charging token has expired.",
    AllowedType.NOT_ALLOWED: "This charging location is not open to this token.",
    AllowedType.NO_CREDIT: "Add a usable payment card (or settle unpaid sessions) first.",
}


class CommandRefused(Exception):
    """We will not send this command; the message is for the person who asked."""


def command_start_session(
    *,
    driver: User,
    token: Token,
    location: Location,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> Command:
    """Ask the CPO to start charging `driver`'s `token` at `location` (EVSE, connector).

    Checked before anything is sent: the token is the driver's and may charge here (valid, not
    expired, the Location published to it, a usable payment method: the rule of
    `token_charging_eligibility`), the Location is shown to drivers, the EVSE exists, is not
    REMOVED and can be started remotely, and the connector is given where the EVSE needs one
    (the only connector is chosen for the driver). Raises CommandRefused.
    """
    if token.user_id != driver.pk:
        raise CommandRefused("This charging token is not yours.")
    if not location.shown_to_drivers:
        raise CommandRefused("This charging location is not available.")
    evse, connector_id = _start_place(location, evse_uid, connector_id)
    _commands_url(location.partner)
    eligibility = token_charging_eligibility(token=token, location=location)
    if eligibility.allowed != AllowedType.ALLOWED:
        raise CommandRefused(REFUSALS.get(eligibility.allowed, "Charging is not allowed."))
    reference = uuid.uuid4().hex
    body: dict[str, Any] = {
        "token": token_object(token),
        "location_id": location.ocpi_id,
        "authorization_reference": reference,
    }
    if evse is not None:
        body["evse_uid"] = evse.uid
    if connector_id:
        body["connector_id"] = connector_id
    with transaction.atomic():
        # Starts of one token are taken one at a time (the token row locked), so of two taps
        # that arrive together the second sees the first's Command and is refused.
        Token.objects.select_for_update().filter(pk=token.pk).exists()
        if _start_on_its_way(token):
            raise CommandRefused("A start is already on its way for this token; wait a moment.")
        command = _command_record(
            CommandType.START_SESSION,
            location.partner,
            body,
            driver=driver,
            token=token,
            authorization_reference=reference,
        )
    return _command_post(command, party=(location.country_code, location.party_id))


def command_stop_session(*, driver: User, session: Session) -> Command:
    """Ask the CPO to stop `session`. `driver` is the session's driver, or staff allowed to
    send commands (support). Raises CommandRefused."""
    own = session.token is not None and session.token.user_id == driver.pk
    if not (own or _may_send_commands(driver)):
        raise CommandRefused("This is not your charging session.")
    if session.status not in ONGOING_SESSION:
        raise CommandRefused("This charging session has already ended.")
    return _command_send(
        CommandType.STOP_SESSION,
        session.partner,
        {"session_id": session.ocpi_id},
        party=(session.country_code, session.party_id),
        driver=session.token.user if session.token else None,
        token=session.token,
        session=session,
    )


def command_unlock_connector(
    *, user: User, location: Location, evse_uid: str, connector_id: str
) -> Command:
    """Ask the CPO to unlock a connector stuck after a session. Support staff only: the spec
    forbids it to drivers. Raises CommandRefused."""
    if not _may_send_commands(user):
        raise CommandRefused("Only support staff may unlock a connector.")
    evse = location.evses.filter(uid__iexact=evse_uid).first()
    if evse is None or not evse.connectors.filter(ocpi_id__iexact=connector_id).exists():
        raise CommandRefused(
            f"Location {location.ocpi_id} has no connector {evse_uid}/{connector_id}."
        )
    body = {"location_id": location.ocpi_id, "evse_uid": evse.uid, "connector_id": connector_id}
    return _command_send(
        CommandType.UNLOCK_CONNECTOR,
        location.partner,
        body,
        party=(location.country_code, location.party_id),
    )


def commands_expire() -> int:
    """Set TIMEOUT on commands whose result is overdue (the beat sweeper). Idempotent."""
    moment = timezone.now()
    overdue = Command.objects.filter(status__in=OPEN_STATUSES, expires_at__lt=moment).exclude(
        kind=CommandType.START_SESSION,
        session__isnull=False,  # it did start a session
    )
    count = overdue.update(
        status=Command.Status.TIMEOUT,
        error_message="The charge point's result did not arrive in time.",
    )
    if count:
        logger.info("%s commands timed out", count)
    return count


def _start_on_its_way(token: Token) -> bool:
    """A START of this token still waiting for its outcome, at any charger: a double tap must
    not start two sessions, nor two taps at two chargers (one token is one car)."""
    return Command.objects.filter(
        kind=CommandType.START_SESSION,
        token=token,
        status__in=OPEN_STATUSES,
        expires_at__gt=timezone.now(),
    ).exists()


def _may_send_commands(user: User) -> bool:
    return user.is_active and user.is_staff and user.has_perm("roaming.add_command")


def _start_place(
    location: Location, evse_uid: str | None, connector_id: str | None
) -> tuple[EVSE | None, str | None]:
    if evse_uid is None:
        if connector_id:
            raise CommandRefused("Choose the charger (EVSE) of that connector.")
        return None, None
    evse = location.evses.filter(uid__iexact=evse_uid).first()
    if evse is None or evse.status == "REMOVED":
        raise CommandRefused("This charger does not exist (any more).")
    if evse.capabilities and "REMOTE_START_STOP_CAPABLE" not in evse.capabilities:
        raise CommandRefused("This charger cannot be started from the app; use your card.")
    connectors = list(evse.connectors.values_list("ocpi_id", flat=True))
    if connector_id is not None:
        match = [c for c in connectors if c.upper() == connector_id.upper()]
        if not match:
            raise CommandRefused("This charger has no such connector.")
        return evse, match[0]
    if "START_SESSION_CONNECTOR_REQUIRED" in evse.capabilities:
        if len(connectors) != 1:
            raise CommandRefused("Choose the connector to charge with.")
        return evse, connectors[0]
    return evse, None


def _commands_url(partner: Partner) -> str:
    url = partner_endpoint_url(partner=partner, identifier="commands", role=InterfaceRole.RECEIVER)
    if url is None:
        raise CommandRefused(f"{partner} does not accept commands.")
    return url


def _command_send(
    kind: CommandType,
    partner: Partner,
    body: dict[str, Any],
    *,
    party: tuple[str, str],
    **fields: Any,
) -> Command:
    return _command_post(_command_record(kind, partner, body, **fields), party=party)


def _command_record(
    kind: CommandType, partner: Partner, body: dict[str, Any], **fields: Any
) -> Command:
    uid = uuid.uuid4()
    body = {"response_url": ocpi_url("ocpi-command-result", command=kind, uid=str(uid)), **body}
    return Command.objects.create(
        uid=uid,
        kind=kind,
        partner=partner,
        request=body,
        expires_at=timezone.now() + timedelta(seconds=settings.OCPI_TIMEOUT_SECONDS * 2),
        **fields,
    )


def _command_post(command: Command, *, party: tuple[str, str]) -> Command:
    """POST a recorded (committed) Command: the CPO may post the result before it answers."""
    partner, kind, body = command.partner, command.kind, command.request
    url = _commands_url(partner)
    try:
        with partner_client(partner=partner, party=party, retry=NO_RETRY) as client:
            response = client.post(f"{url.rstrip('/')}/{kind}", module="commands", json=body)
    except PartnerUnavailable as error:
        return _command_answered(command, status=Command.Status.FAILED, error=str(error))
    except OcpiRequestError as error:
        refused = error.status_code is not None and 2000 <= error.status_code < 3000
        status = Command.Status.REJECTED if refused else Command.Status.FAILED
        return _command_answered(command, status=status, error=error.message)
    try:
        answer = CommandResponse.model_validate(response.data)
    except ValidationError as error:
        message = f"Unreadable CommandResponse: {validation_message(error)}"
        return _command_answered(command, status=Command.Status.FAILED, error=message)
    accepted = answer.result == CommandResponseType.ACCEPTED
    return _command_answered(
        command,
        status=Command.Status.ACCEPTED if accepted else Command.Status.REJECTED,
        answer=answer,
    )


@transaction.atomic
def _command_answered(
    command: Command,
    *,
    status: str,
    answer: CommandResponse | None = None,
    error: str = "",
) -> Command:
    """Record the CPO's answer. A result that came first (or a Session) keeps its status."""
    command = Command.objects.select_for_update().get(pk=command.pk)
    moment = timezone.now()
    if command.status == Command.Status.PENDING:
        command.status = status
    command.responded_at = moment
    command.error_message = error
    if answer is not None:
        command.response_result = answer.result
        command.response_timeout = answer.timeout
        command.response_message = [message.to_json() for message in answer.message]
        grace = settings.OCPI_COMMAND_GRACE_SECONDS
        command.expires_at = moment + timedelta(seconds=answer.timeout + grace)
    command.save()
    logger.info("command %s %s: %s %s", command.kind, command.uid, command.status, error)
    return command
