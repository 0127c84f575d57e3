"""Sessions module objects, and the classes the CDRs module shares with it (mod_sessions)."""

from pydantic import Field

from roaming.ocpi.enums import AuthMethod, CdrDimensionType, ProfileType, SessionStatus, TokenType
from roaming.ocpi.types import (
    Boolean,
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    Number,
    OcpiModel,
    PartyId,
    Price,
    String,
)


class CdrToken(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)


class CdrDimension(OcpiModel):
    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    start_date_time: DateTime
    dimensions: list[CdrDimension] = Field(min_length=1)
    tariff_id: CiString(36) | None = None


class Session(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString(36)
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)
    meter_id: String(255) | None = None
    currency: CurrencyCode
    charging_periods: list[ChargingPeriod] = Field(default_factory=list)
    total_cost: Price | None = None
    status: SessionStatus
    last_updated: DateTime


class ChargingPreferences(OcpiModel):
    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    discharge_allowed: Boolean | None = None
