"""Tokens sender: real-time authorisation (POST tokens/{uid}/authorize?type=...)."""

import uuid
from typing import Any

from django.db import transaction

from roaming.models import Location, Partner, TokenAuthorization
from roaming.ocpi.enums import AllowedType, StatusCode, TokenType
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.tokens import LocationReferences
from roaming.selectors import token_by_uid, token_charging_eligibility, token_object
from roaming.services.common import ocpi_validate

REASON_TEXT = {
    "token_blocked": "This charging token is blocked.",
    "account_disabled": "This account is disabled.",
    "token_expired": "This charging token has expired.",
    "location_not_published_to_token": "This token may not be used at this location.",
    "no_payment_method": "Add a valid payment card in the app to charge.",
    "unpaid_payments": "Please settle your open payments in the app to charge again.",
}


@transaction.atomic
def token_authorize(
    *, partner: Partner, token_uid: str, token_type: str | None, data: Any
) -> dict[str, Any]:
    """Answer a CPO's real-time authorisation with an AuthorizationInfo (as JSON).

    Unknown token: OcpiError HTTP 404 / 2004. `data` is the optional LocationReferences body.
    Every answer is recorded (TokenAuthorization); an ALLOWED one carries a fresh
    authorization_reference that the Session and CDR will repeat.
    """
    try:
        kind = TokenType(token_type or TokenType.RFID)
    except ValueError:
        raise OcpiError.invalid(
            f"Query parameter type {token_type!r} is not a TokenType."
        ) from None
    references = (
        ocpi_validate(LocationReferences, data, what="LocationReferences") if data else None
    )
    token = token_by_uid(uid=token_uid, token_type=kind)
    if token is None:
        raise OcpiError.not_found(f"Unknown Token {token_uid} ({kind}).", StatusCode.UNKNOWN_TOKEN)
    location = _location_of(partner, references)
    eligibility = token_charging_eligibility(token=token, location=location)
    authorization = TokenAuthorization.objects.create(
        partner=partner,
        token=token,
        allowed=eligibility.allowed,
        authorization_reference=uuid.uuid4().hex,
        ocpi_location_id=references.location_id if references else "",
        evse_uids=list(references.evse_uids) if references else [],
    )
    info: dict[str, Any] = {"allowed": eligibility.allowed, "token": token_object(token)}
    if eligibility.allowed == AllowedType.ALLOWED:
        info["authorization_reference"] = authorization.authorization_reference
        if references is not None:
            info["location"] = _allowed_references(references, location)
    elif eligibility.reason in REASON_TEXT:
        info["info"] = {"language": "en", "text": REASON_TEXT[eligibility.reason]}
    return info


def _location_of(partner: Partner, references: LocationReferences | None) -> Location | None:
    if references is None:
        return None
    return Location.objects.filter(partner=partner, ocpi_id__iexact=references.location_id).first()


def _allowed_references(
    references: LocationReferences, location: Location | None
) -> dict[str, Any]:
    """The Location and those of its EVSEs the driver may use: every EVSE we know there."""
    if location is None or not references.evse_uids:
        return references.to_json()
    known = {uid.upper() for uid in location.evses.values_list("uid", flat=True)}
    evse_uids = [uid for uid in references.evse_uids if uid.upper() in known]
    return {"location_id": references.location_id, "evse_uids": evse_uids}
