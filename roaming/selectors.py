"""Reads of roaming data: partners by credentials token, stored OCPI objects, tokens we serve."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from billing.selectors import charging_eligibility_get
from drivers.models import Token
from roaming.models import CDR, EVSE, Connector, Location, Partner, Session
from roaming.ocpi.auth import credentials_token_candidates, credentials_token_hash
from roaming.ocpi.enums import AllowedType, StatusCode
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import ci_equal, format_datetime


@dataclass(frozen=True)
class Authenticated:
    """Who called: the partner, and whether with its bootstrap token A or its token C."""

    partner: Partner
    token: str
    with_token_a: bool


def partner_authenticate(*, authorization: str | None) -> Authenticated | None:
    """The partner whose credentials token the Authorization header carries, or None.

    Token C of a connected partner, or token A of a partner not registered yet. A token sent
    raw (without Base64) counts only for partners with `raw_token_header`. One query.
    """
    candidates = {
        credentials_token_hash(c.token): c for c in credentials_token_candidates(authorization)
    }
    if not candidates:
        return None
    hashes = list(candidates)
    partner = _partner_by_token_hash(hashes)
    if partner is None:
        return None
    with_token_a = partner.token_c_hash not in candidates
    candidate = candidates[partner.token_a_hash if with_token_a else partner.token_c_hash]
    if candidate.raw and not partner.raw_token_header:
        return None
    if not with_token_a and partner.status != Partner.Status.CONNECTED:
        return None
    return Authenticated(partner=partner, token=candidate.token, with_token_a=with_token_a)


def _partner_by_token_hash(hashes: list[str]) -> Partner | None:
    # Raw SQL: every OCPI request starts here, and building this query with the ORM cost
    # three times what running it does (the EVSE status PATCH benchmark).
    marks = ", ".join(["%s"] * len(hashes))
    query = (
        f"SELECT * FROM {Partner._meta.db_table}"  # noqa: S608 (only placeholders are inserted)
        f" WHERE (token_c_hash IN ({marks}) OR token_a_hash IN ({marks})) AND status <> %s"
        " ORDER BY id LIMIT 1"
    )
    found = Partner.objects.raw(query, [*hashes, *hashes, Partner.Status.SUSPENDED])
    return next(iter(found), None)


def partner_parties(*, partner: Partner) -> frozenset[tuple[str, str]]:
    """The (country_code, party_id) pairs of the partner's roles, upper-cased. One query."""
    return frozenset(partner.roles.values_list("country_code", "party_id"))


def partner_party_check(
    *,
    partner: Partner,
    country_code: str,
    party_id: str,
    parties: Iterable[tuple[str, str]] | None = None,
) -> None:
    """Refuse (HTTP 404, 2001) a country_code/party_id that is not one of the partner's roles."""
    owned = partner_parties(partner=partner) if parties is None else parties
    if (country_code.upper(), party_id.upper()) not in owned:
        raise OcpiError.not_found(
            f"{country_code}/{party_id} is not one of your roles (credentials)."
        )


def ocpi_url(name: str, **kwargs: str) -> str:
    """The absolute URL of one of our OCPI endpoints, under EMSP_PUBLIC_URL."""
    return settings.EMSP_PUBLIC_URL + reverse(f"roaming:{name}", kwargs=kwargs or None)


def our_party() -> tuple[str, str]:
    return settings.OCPI_COUNTRY_CODE.upper(), settings.OCPI_PARTY_ID.upper()


# Stored objects, as OCPI objects.


def location_get(*, country_code: str, party_id: str, location_id: str) -> Location:
    location = Location.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), ocpi_id__iexact=location_id
    ).first()
    if location is None:
        raise OcpiError.not_found(f"Unknown Location {location_id}.", StatusCode.UNKNOWN_LOCATION)
    return location


def evse_get(*, location: Location, evse_uid: str) -> EVSE:
    evse = location.evses.filter(uid__iexact=evse_uid).first()
    if evse is None:
        raise OcpiError.not_found(f"Unknown EVSE {evse_uid} in Location {location.ocpi_id}.")
    return evse


def connector_get(*, evse: EVSE, connector_id: str) -> Connector:
    connector = evse.connectors.filter(ocpi_id__iexact=connector_id).first()
    if connector is None:
        raise OcpiError.not_found(f"Unknown Connector {connector_id} of EVSE {evse.uid}.")
    return connector


def connector_object(connector: Connector) -> dict[str, Any]:
    return {**connector.raw, "last_updated": format_datetime(connector.last_updated)}


def evse_object(evse: EVSE, connectors: Iterable[Connector] | None = None) -> dict[str, Any]:
    if connectors is None:
        connectors = evse.connectors.order_by("pk")
    return {
        **evse.raw,
        "connectors": [connector_object(connector) for connector in connectors],
        "last_updated": format_datetime(evse.last_updated),
    }


def location_object(location: Location) -> dict[str, Any]:
    """The Location as OCPI sends it: stored fields, its EVSEs and Connectors. Two queries."""
    evses = list(location.evses.order_by("pk"))
    connectors: dict[int, list[Connector]] = {evse.pk: [] for evse in evses}
    for connector in Connector.objects.filter(evse__location=location).order_by("pk"):
        connectors[connector.evse_id].append(connector)
    return {
        **location.raw,
        "evses": [evse_object(evse, connectors[evse.pk]) for evse in evses],
        "last_updated": format_datetime(location.last_updated),
    }


def session_get(*, country_code: str, party_id: str, session_id: str) -> Session:
    session = Session.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), ocpi_id__iexact=session_id
    ).first()
    if session is None:
        raise OcpiError.not_found(f"Unknown Session {session_id}.")
    return session


def session_object(session: Session) -> dict[str, Any]:
    """The Session as received and merged (`raw` holds its charging_periods too)."""
    return {**session.raw, "last_updated": format_datetime(session.last_updated)}


def cdr_get(*, country_code: str, party_id: str, cdr_id: str) -> CDR:
    cdr = CDR.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), ocpi_id__iexact=cdr_id
    ).first()
    if cdr is None:
        raise OcpiError.not_found(f"Unknown CDR {cdr_id}.")
    return cdr


def cdr_url(cdr: CDR) -> str:
    """Where we serve a CDR (the Location header of our answer to its POST)."""
    return ocpi_url(
        "ocpi-cdr", country_code=cdr.country_code, party_id=cdr.party_id, cdr_id=cdr.ocpi_id
    )


def location_list_in_box(
    *, south: float, west: float, north: float, east: float, limit: int = 500
) -> QuerySet[Location]:
    """Locations shown to drivers inside a bounding box (the map), using the coordinates index."""
    return Location.objects.filter(
        publish=True,
        shown_to_drivers=True,
        latitude__gte=south,
        latitude__lte=north,
        longitude__gte=west,
        longitude__lte=east,
    ).order_by("pk")[:limit]


# Tokens we issue, as the Tokens Sender interface serves them.


def token_list(
    *, date_from: datetime | None = None, date_to: datetime | None = None
) -> QuerySet[Token]:
    """Our drivers' tokens (all types, valid or not), oldest change first, for paging."""
    tokens = Token.objects.all()
    if date_from is not None:
        tokens = tokens.filter(last_updated__gte=date_from)
    if date_to is not None:
        tokens = tokens.filter(last_updated__lt=date_to)
    return tokens.order_by("last_updated", "pk")


def token_object(token: Token) -> dict[str, Any]:
    """A drivers.Token as an OCPI Token object, under our country_code/party_id."""
    country_code, party_id = our_party()
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
        "issuer": token.issuer,
        "valid": token.valid,
        "whitelist": token.whitelist,
        "last_updated": format_datetime(token.last_updated),
    }
    optional = {
        "visual_number": token.visual_number,
        "group_id": token.group_id,
        "language": token.language,
        "default_profile_type": token.default_profile_type,
        "energy_contract": token.energy_contract,
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def token_by_uid(*, uid: str, token_type: str) -> Token | None:
    """The token with this uid (case-insensitive) and type, with its driver. One query."""
    return Token.objects.select_related("user").filter(uid__iexact=uid, type=token_type).first()


# Real-time authorisation: may this token charge now?


@dataclass(frozen=True)
class Eligibility:
    allowed: AllowedType
    reason: str = ""


def driver_payment_standing(*, user: Any) -> tuple[bool, str]:
    """(may charge, reason code) from billing: a usable card and no unpaid payments over the limit.

    The single call into billing (its one rule for starting a session, web, app or RFID).
    """
    standing = charging_eligibility_get(user=user)
    return standing.allowed, standing.reason


def token_charging_eligibility(
    *, token: Token, location: Location | None = None, now: datetime | None = None
) -> Eligibility:
    """Whether the token may start charging (at the Location, if one is given).

    BLOCKED: token invalidated or account disabled; EXPIRED: past valid_until; NOT_ALLOWED: the
    Location is not published and this token is not in its publish_allowed_to list; NO_CREDIT:
    no usable payment method or unpaid payments (billing); else ALLOWED. Opening hours and EVSE
    status are not checked (mod_tokens says we SHALL NOT).
    """
    now = now or timezone.now()
    if not token.valid:
        return Eligibility(AllowedType.BLOCKED, "token_blocked")
    if not token.user.is_active:
        return Eligibility(AllowedType.BLOCKED, "account_disabled")
    if token.valid_until is not None and token.valid_until <= now:
        return Eligibility(AllowedType.EXPIRED, "token_expired")
    if location is not None and not location_allows_token(location=location, token=token):
        return Eligibility(AllowedType.NOT_ALLOWED, "location_not_published_to_token")
    may_charge, reason = driver_payment_standing(user=token.user)
    if not may_charge:
        return Eligibility(AllowedType.NO_CREDIT, reason or "payment")
    return Eligibility(AllowedType.ALLOWED)


def location_allows_token(*, location: Location, token: Token) -> bool:
    """A published Location allows every token; an unpublished one with a publish_allowed_to
    list only tokens matching all the set fields of one entry (mod_locations)."""
    allowed_to = location.raw.get("publish_allowed_to") or []
    if location.publish or not allowed_to:
        return True
    return any(_publish_token_matches(entry, token) for entry in allowed_to)


def _publish_token_matches(entry: dict[str, Any], token: Token) -> bool:
    checks = {
        "uid": (token.uid, True),
        "type": (token.type, False),
        "visual_number": (token.visual_number, False),
        "issuer": (token.issuer, False),
        "group_id": (token.group_id, True),
    }
    for field, (value, case_insensitive) in checks.items():
        wanted = entry.get(field)
        if wanted is None:
            continue
        if case_insensitive and not ci_equal(str(wanted), value):
            return False
        if not case_insensitive and str(wanted) != value:
            return False
    return True
