"""Commands module objects (mod_commands)."""

from pydantic import Field

from roaming.ocpi.enums import CommandResponseType, CommandResultType
from roaming.ocpi.tokens import Token
from roaming.ocpi.types import CiString, DateTime, DisplayText, OcpiModel, PositiveInt, Url


class CommandResponse(OcpiModel):
    """The CPO's immediate answer to a command POST."""

    result: CommandResponseType
    timeout: PositiveInt
    message: list[DisplayText] = Field(default_factory=list)


class CommandResult(OcpiModel):
    """The Charge Point's outcome, POSTed later by the CPO to our response_url."""

    result: CommandResultType
    message: list[DisplayText] = Field(default_factory=list)


class CancelReservation(OcpiModel):
    response_url: Url
    reservation_id: CiString(36)


class ReserveNow(OcpiModel):
    response_url: Url
    token: Token
    expiry_date: DateTime
    reservation_id: CiString(36)
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StartSession(OcpiModel):
    response_url: Url
    token: Token
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    connector_id: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StopSession(OcpiModel):
    response_url: Url
    session_id: CiString(36)


class UnlockConnector(OcpiModel):
    response_url: Url
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)
