"""Tokens module objects (mod_tokens)."""

from pydantic import Field

from roaming.ocpi.enums import AllowedType, ProfileType, TokenType, WhitelistType
from roaming.ocpi.types import (
    Boolean,
    CiString,
    CountryCode,
    DateTime,
    DisplayText,
    LanguageCode,
    OcpiModel,
    PartyId,
    String,
)


class EnergyContract(OcpiModel):
    supplier_name: String(64)
    contract_id: String(64) | None = None


class Token(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    uid: CiString(36)
    type: TokenType
    contract_id: CiString(36)
    visual_number: String(64) | None = None
    issuer: String(64)
    group_id: CiString(36) | None = None
    valid: Boolean
    whitelist: WhitelistType
    language: LanguageCode | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class LocationReferences(OcpiModel):
    location_id: CiString(36)
    evse_uids: list[CiString(36)] = Field(default_factory=list)


class AuthorizationInfo(OcpiModel):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString(36) | None = None
    info: DisplayText | None = None
