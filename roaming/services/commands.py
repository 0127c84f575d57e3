"""Commands: recording the CommandResult a CPO posts to the response_url we gave it."""

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from roaming.models import Command, Partner
from roaming.ocpi import commands as ocpi
from roaming.ocpi.enums import CommandResultType, CommandType
from roaming.ocpi.errors import OcpiError
from roaming.services.common import ocpi_validate

RESULT_STATUS = {
    CommandResultType.ACCEPTED: Command.Status.SUCCEEDED,
    CommandResultType.TIMEOUT: Command.Status.TIMEOUT,
    CommandResultType.REJECTED: Command.Status.REJECTED,
    CommandResultType.NOT_SUPPORTED: Command.Status.REJECTED,
}


@transaction.atomic
def command_result_record(
    *, partner: Partner, command_type: str, uid: str, data: dict[str, Any]
) -> Command:
    """Store the Charge Point's result of a command we sent to this partner.

    A later result replaces an earlier one (a CPO may cancel a reservation it accepted); a
    START_SESSION already linked to the Session it started stays succeeded.
    """
    result = ocpi_validate(ocpi.CommandResult, data)
    command = _command_locked(partner, command_type, uid)
    command.result = result.result
    command.result_message = [message.to_json() for message in result.message]
    command.result_at = timezone.now()
    if command.session_id is None or command.kind != CommandType.START_SESSION:
        command.status = RESULT_STATUS.get(result.result, Command.Status.FAILED)
    command.save(update_fields=["result", "result_message", "result_at", "status"])
    return command


def _command_locked(partner: Partner, command_type: str, uid: str) -> Command:
    try:
        kind = CommandType(command_type)
        key = uuid.UUID(uid)
    except ValueError:
        raise OcpiError.not_found(f"Unknown command {command_type}/{uid}.") from None
    command = (
        Command.objects.select_for_update().filter(uid=key, kind=kind, partner=partner).first()
    )
    if command is None:
        raise OcpiError.not_found(f"Unknown command {command_type}/{uid}.")
    return command
