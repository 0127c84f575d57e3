"""Credentials module objects (credentials.asciidoc)."""

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from roaming.ocpi.enums import Role
from roaming.ocpi.locations import BusinessDetails
from roaming.ocpi.types import CountryCode, OcpiModel, PartyId, Url

# Printable non-whitespace ASCII (U+0021 to U+007E), at most 64 characters.
CredentialsTokenString = Annotated[
    str, Field(strict=True), StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")
]


class CredentialsRole(OcpiModel):
    role: Role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(OcpiModel):
    token: CredentialsTokenString
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)

    @model_validator(mode="after")
    def _roles_unique(self) -> "Credentials":
        keys = [(r.role, r.country_code.upper(), r.party_id.upper()) for r in self.roles]
        if len(keys) != len(set(keys)):
            raise ValueError(
                "every role needs a unique combination of role, party_id, country_code"
            )
        return self
