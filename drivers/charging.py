"""Charging from the web page or the app: the checks a driver sees before a START_SESSION is
sent (connector, charge point, CPO, eligibility, a charge already running), the start and stop
themselves (roaming.commands sends them), and the reads of the driver's own commands.

Services raise ChargingRefused with a stable `code` (the API's error code) and a sentence for
the driver; another driver's connector, command or session is DoesNotExist (callers answer 404).
"""

import uuid
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.selectors import charging_eligibility_get
from billing.selectors_invoicing import session_get
from drivers.models import Token, User
from drivers.services import token_app_get_or_create
from roaming.commands import (
    ONGOING_SESSION,
    OPEN_STATUSES,
    CommandRefused,
    command_start_session,
    command_stop_session,
)
from roaming.models import Command, Connector, Partner, Session
from roaming.ocpi.enums import CommandType

STALE_SESSION_AFTER = timedelta(hours=24)

# Charge points a start cannot succeed at (the CPO would refuse or fail it).
UNAVAILABLE_STATUSES = {
    "OUTOFORDER": gettext_lazy("This charge point is out of order."),
    "INOPERATIVE": gettext_lazy("This charge point is not in operation."),
    "REMOVED": gettext_lazy("This charge point has been removed."),
    "PLANNED": gettext_lazy("This charge point is not in operation yet."),
    "BLOCKED": gettext_lazy("This charge point is blocked (e.g. by a parked car)."),
    "RESERVED": gettext_lazy("This charge point is reserved."),
    "CHARGING": gettext_lazy("This charge point is in use."),
}


class ChargingRefused(Exception):
    """Charging cannot start (or stop); `code` is stable, `message` is for the driver."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def charge_connector_get(*, connector_id: int | str) -> Connector:
    """A connector drivers may see (its Location published and shown to drivers), with its
    EVSE, Location and partner. Connector.DoesNotExist for unknown or hidden ones."""
    try:
        key = int(connector_id)
    except (TypeError, ValueError):
        raise Connector.DoesNotExist from None
    if not 0 < key < 2**63:
        raise Connector.DoesNotExist
    return Connector.objects.select_related("evse__location__partner").get(
        pk=key, evse__location__publish=True, evse__location__shown_to_drivers=True
    )


def charge_start_refusal(*, user: User, connector: Connector) -> ChargingRefused | None:
    """Why this driver cannot start at this connector now, or None: the checks made before a
    command is sent, in the order a driver fixes them. A few indexed queries."""
    if charging_ongoing(user=user):  # first: the charge point "in use" may be theirs
        return ChargingRefused(
            "already_charging",
            _("You are already charging, or a start is on its way. Stop that charge first."),
        )
    status_message = UNAVAILABLE_STATUSES.get(connector.evse.status)
    if status_message:
        return ChargingRefused("connector_unavailable", str(status_message))
    capabilities = connector.evse.capabilities
    if capabilities and "REMOTE_START_STOP_CAPABLE" not in capabilities:
        return ChargingRefused(
            "connector_unavailable", _("This charge point cannot be started from the app.")
        )
    if connector.evse.location.partner.status != Partner.Status.CONNECTED:
        return ChargingRefused(
            "partner_unavailable",
            _("The operator of this charge point cannot be reached now. Try again later."),
        )
    eligibility = charging_eligibility_get(user=user)
    if not eligibility.allowed:
        if eligibility.reason == "no_payment_method":
            message = _("Add a payment card before you charge.")
        else:
            message = _("Please pay your open invoices before you charge again.")
        return ChargingRefused(eligibility.reason, message)
    return None


def charging_ongoing(*, user: User) -> bool:
    """A session of the driver's that has not ended, or a start still waiting for its outcome."""
    # A session the CPO has not updated for a day is stale (its end was lost), not charging.
    recent = timezone.now() - STALE_SESSION_AFTER
    if Session.objects.filter(
        token__user=user, status__in=ONGOING_SESSION, last_updated__gte=recent
    ).exists():
        return True
    return Command.objects.filter(
        driver=user,
        kind=CommandType.START_SESSION,
        status__in=OPEN_STATUSES,
        session__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def charging_start(*, user: User, connector: Connector) -> Command:
    """Send START_SESSION for the driver's app token at `connector` (its outcome is followed
    on the Command). Raises ChargingRefused; the Command may still come back FAILED or
    REJECTED when the CPO cannot take it."""
    refusal = charge_start_refusal(user=user, connector=connector)
    if refusal is not None:
        raise refusal
    token = token_app_get_or_create(user=user)
    try:
        return command_start_session(
            driver=user,
            token=token,
            location=connector.evse.location,
            evse_uid=connector.evse.uid,
            connector_id=connector.ocpi_id,
        )
    except CommandRefused as error:
        raise ChargingRefused("refused", str(error)) from None


def charging_stop(*, user: User, session_id: int | str) -> Command:
    """Send STOP_SESSION for the driver's own session; a stop already on its way is returned
    instead of sending another. Session.DoesNotExist for anyone else's; ChargingRefused when
    it has ended."""
    session = session_get(user=user, session_id=session_id)
    waiting = (
        Command.objects.filter(
            session=session,
            kind=CommandType.STOP_SESSION,
            status__in=OPEN_STATUSES,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if waiting is not None:
        return waiting
    try:
        return command_stop_session(driver=user, session=session)
    except CommandRefused as error:
        raise ChargingRefused("session_ended", str(error)) from None


def charging_command_list(*, user: User) -> QuerySet[Command]:
    """The driver's start and stop commands (those they sent, and stops of their sessions)."""
    return (
        Command.objects.filter(
            Q(driver=user) | Q(session__token__user=user),
            kind__in=(CommandType.START_SESSION, CommandType.STOP_SESSION),
        )
        .select_related("session")
        .distinct()
    )


def charging_command_get(*, user: User, command_id: uuid.UUID | str) -> Command:
    """The driver's own command by its public id (uid). Command.DoesNotExist otherwise."""
    try:
        key = command_id if isinstance(command_id, uuid.UUID) else uuid.UUID(str(command_id))
    except ValueError:
        raise Command.DoesNotExist from None
    return charging_command_list(user=user).get(uid=key)


def command_is_open(command: Command) -> bool:
    """Still waiting for its outcome: no final status, and for a start no session yet."""
    if command.kind == CommandType.START_SESSION and command.session_id:
        return False
    return command.status in OPEN_STATUSES


def command_is_waiting(command: Command) -> bool:
    """Worth asking again: still open, or a start the charge point carried out whose Session
    report follows within seconds."""
    return command_is_open(command) or (
        command.kind == CommandType.START_SESSION
        and not command.session_id
        and command.status == Command.Status.SUCCEEDED
    )


def command_outcome_text(command: Command) -> str:
    """What the driver reads about the command's state."""
    start = command.kind == CommandType.START_SESSION
    if start and command.session_id:
        return _("Charging has started.")
    texts = {
        Command.Status.PENDING: _("Sending your request to the charge point…"),
        Command.Status.ACCEPTED: _(
            "Accepted: the charge point is starting. Plug in your car if you have not yet."
        )
        if start
        else _("Accepted: the charge point is stopping."),
        Command.Status.SUCCEEDED: _("The charge point started charging; waiting for the session…")
        if start
        else _("Charging has stopped."),
        Command.Status.REJECTED: _("The charge point refused."),
        Command.Status.FAILED: _("It did not work: the charge point or its operator failed."),
        Command.Status.TIMEOUT: _("The charge point did not answer in time."),
    }
    return texts.get(command.status, command.get_status_display())


def command_detail_text(command: Command) -> str:
    """The charge point's own word (EVSE_OCCUPIED, ...) or why we could not send it."""
    messages = [m.get("text", "") for m in command.result_message or command.response_message]
    reason = command.result or command.response_result
    parts = [part for part in (reason, *messages, command.error_message) if part]
    return " – ".join(parts)[:300]


def driver_app_token(*, user: User) -> Token:
    """The token a start from the page or app uses (created on first need)."""
    return token_app_get_or_create(user=user)
