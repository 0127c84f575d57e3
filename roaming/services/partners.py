"""Partners: token A for a new CPO, the credentials module (server side), sync bookkeeping.

Registration started by the CPO (credentials.asciidoc), with the spec's token names:
1. We issue CREDENTIALS_TOKEN_A (`partner_token_a_issue`) and hand it over out of band.
2. The CPO POSTs its credentials (token B, versions URL, roles) with token A.
3. We GET their versions and version details with token B, pick the highest common version,
   store their endpoints, and answer with our credentials carrying a new token C; token A is
   void from then on. PUT does the same again (new tokens, maybe a new version); DELETE ends it.
The outbound GETs happen before any write, so a failure leaves nothing half-written.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.models import Partner, PartnerEndpoint, PartnerRole
from roaming.ocpi.auth import (
    credentials_token_hash,
    credentials_token_new,
    credentials_token_prefix,
)
from roaming.ocpi.credentials import Credentials
from roaming.ocpi.enums import InterfaceRole, ModuleID, Role, StatusCode
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.http import OcpiRequestError, version_details_get, versions_get
from roaming.ocpi.types import format_datetime
from roaming.ocpi.versions import VersionDetails, highest_common_version
from roaming.selectors import ocpi_url, our_party
from roaming.services.common import ocpi_validate
from roaming.services.schedules import partner_pull_schedule_ensure

logger = logging.getLogger(__name__)

REGISTRATION_TIMEOUT = 10.0
# What we need from a CPO: the credentials module, and Locations to pull (Pull is mandatory).
REQUIRED_ENDPOINTS = ((ModuleID.CREDENTIALS, None), (ModuleID.LOCATIONS, InterfaceRole.SENDER))


@dataclass(frozen=True)
class IssuedTokenA:
    partner: Partner
    token_a: str
    versions_url: str


@transaction.atomic
def partner_token_a_issue(*, name: str, raw_token_header: bool = False) -> IssuedTokenA:
    """A new pending partner and its CREDENTIALS_TOKEN_A (shown once; only its hash is kept)."""
    token_a = credentials_token_new()
    partner = Partner.objects.create(
        name=name,
        status=Partner.Status.PENDING,
        token_a_hash=credentials_token_hash(token_a),
        raw_token_header=raw_token_header,
    )
    if not name:
        partner.name = f"Partner {partner.pk}"  # replaced by the CPO's name at registration
        partner.save(update_fields=["name"])
    return IssuedTokenA(partner, token_a, ocpi_url("ocpi-versions"))


def credentials_ours(*, token: str) -> dict[str, Any]:
    """Our Credentials object, carrying the token the partner uses to call us."""
    country_code, party_id = our_party()
    business = {"name": settings.OCPI_BUSINESS_NAME, "website": settings.EMSP_PUBLIC_URL}
    return {
        "token": token,
        "url": ocpi_url("ocpi-versions"),
        "roles": [
            {
                "role": Role.EMSP,
                "business_details": business,
                "party_id": party_id,
                "country_code": country_code,
            }
        ],
    }


def credentials_register(*, partner: Partner, data: Any) -> dict[str, Any]:
    """POST credentials: register a partner that called with its token A."""
    if partner.status != Partner.Status.PENDING or not partner.token_a_hash:
        raise OcpiError("Already registered: use PUT to update.", http_status=405)
    return _credentials_exchange(partner=partner, data=data, registering=True)


def credentials_update(*, partner: Partner, data: Any) -> dict[str, Any]:
    """PUT credentials: new tokens, fresh endpoints (maybe another version)."""
    if partner.status != Partner.Status.CONNECTED:
        raise OcpiError("Not registered: use POST to register.", http_status=405)
    return _credentials_exchange(partner=partner, data=data, registering=False)


@transaction.atomic
def credentials_unregister(*, partner: Partner) -> None:
    """DELETE credentials: both sides stop calling each other; our tokens for them are void."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.status != Partner.Status.CONNECTED:
        raise OcpiError("Not registered.", http_status=405)
    partner.status = Partner.Status.UNREGISTERED
    partner.token_b = ""
    partner.token_c_hash = None
    partner.token_c_prefix = ""
    partner.save(
        update_fields=["status", "token_b", "token_c_hash", "token_c_prefix", "updated_at"]
    )


def _credentials_exchange(*, partner: Partner, data: Any, registering: bool) -> dict[str, Any]:
    credentials = ocpi_validate(Credentials, data, what="Credentials")
    cpo_roles = [role for role in credentials.roles if role.role == Role.CPO]
    if not cpo_roles:
        raise OcpiError.invalid("Invalid or missing fields: roles: no CPO role; we are an EMSP.")
    partner_roles_free_check(partner=partner, credentials=credentials)
    version_url, details = partner_endpoints_fetch(
        versions_url=credentials.url, token=credentials.token, raw_token=partner.raw_token_header
    )
    token_c = credentials_token_new()
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        expected = Partner.Status.PENDING if registering else Partner.Status.CONNECTED
        if locked.status != expected:
            raise OcpiError("Registration changed meanwhile; try again.", http_status=405)
        locked.versions_url = credentials.url
        locked.version = details.version
        locked.version_details_url = version_url
        locked.token_b = credentials.token
        locked.token_a_hash = None
        locked.token_c_hash = credentials_token_hash(token_c)
        locked.token_c_prefix = credentials_token_prefix(token_c)
        locked.status = Partner.Status.CONNECTED
        locked.connected_at = locked.connected_at or timezone.now()
        if not locked.name or locked.name.startswith("Partner "):
            locked.name = cpo_roles[0].business_details.name
        locked.save()
        partner_roles_replace(partner=locked, credentials=credentials)
        partner_endpoints_replace(partner=locked, details=details)
        transaction.on_commit(lambda: partner_pull_schedule_ensure(partner=locked))
    logger.info(
        "partner %s %s on OCPI %s",
        locked.pk,
        "registered" if registering else "updated",
        details.version,
    )
    return credentials_ours(token=token_c)


def partner_roles_free_check(*, partner: Partner, credentials: Credentials) -> None:
    """Refuse roles another partner already holds (OcpiError 2001)."""
    for role in credentials.roles:
        taken = (
            PartnerRole.objects.filter(
                country_code=role.country_code.upper(), party_id=role.party_id.upper()
            )
            .exclude(partner=partner)
            .exists()
        )
        if taken:
            raise OcpiError.invalid(
                f"Invalid or missing fields: roles: {role.country_code}/{role.party_id} is "
                "registered by another partner."
            )


def partner_endpoints_fetch(
    *, versions_url: str, token: str, raw_token: bool = False
) -> tuple[str, VersionDetails]:
    """GET their versions and the details of the highest common version, with their token.

    Used by both registrations (theirs with their token B, ours with their token A). Raises
    OcpiError with 3001 (their API unusable), 3002 (no common version) or 3003 (endpoints we
    need are missing).
    """
    raw = raw_token
    try:
        versions = versions_get(
            versions_url, token=token, raw_token=raw, timeout=REGISTRATION_TIMEOUT
        )
        chosen = highest_common_version(versions)
        if chosen is None:
            offered = ", ".join(version.version for version in versions) or "none"
            raise OcpiError(
                f"No common OCPI version: you offer {offered}; we speak 2.2.1.",
                status_code=StatusCode.UNSUPPORTED_VERSION,
                http_status=200,
            )
        details = version_details_get(
            chosen.url, token=token, raw_token=raw, timeout=REGISTRATION_TIMEOUT
        )
    except OcpiRequestError as error:
        raise OcpiError(
            f"Unable to use your API at {error.url}: {error.message}",
            status_code=StatusCode.UNABLE_TO_USE_CLIENT_API,
            http_status=200,
        ) from error
    missing = [
        f"{identifier}" + (f" ({role})" if role else "")
        for identifier, role in REQUIRED_ENDPOINTS
        if not any(
            endpoint.identifier == identifier and (role is None or endpoint.role == role)
            for endpoint in details.endpoints
        )
    ]
    if missing:
        raise OcpiError(
            f"Your version {details.version} lacks endpoints we need: {', '.join(missing)}.",
            status_code=StatusCode.NO_MATCHING_ENDPOINTS,
            http_status=200,
        )
    return chosen.url, details


def partner_roles_replace(*, partner: Partner, credentials: Credentials) -> None:
    partner.roles.all().delete()
    PartnerRole.objects.bulk_create(
        PartnerRole(
            partner=partner,
            role=role.role,
            country_code=role.country_code.upper(),
            party_id=role.party_id.upper(),
            name=role.business_details.name,
            business_details=role.business_details.to_json(),
        )
        for role in credentials.roles
    )


def partner_endpoints_replace(*, partner: Partner, details: VersionDetails) -> None:
    partner.endpoints.all().delete()
    unique = {(endpoint.identifier, endpoint.role): endpoint for endpoint in details.endpoints}
    PartnerEndpoint.objects.bulk_create(
        PartnerEndpoint(partner=partner, identifier=identifier, role=role, url=endpoint.url)
        for (identifier, role), endpoint in unique.items()
    )


@transaction.atomic
def partner_sync_mark(*, partner: Partner, module: str, synced_until: datetime) -> None:
    """Record that `module` is pulled up to `synced_until` (the frozen date_to of a full crawl)."""
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    locked.last_synced = {**locked.last_synced, str(module): format_datetime(synced_until)}
    locked.save(update_fields=["last_synced", "updated_at"])
    partner.last_synced = locked.last_synced


@transaction.atomic
def partner_status_set(*, partner: Partner, status: str) -> Partner:
    """Suspend a partner (its token stops working at once) or reconnect a suspended one."""
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    allowed = {Partner.Status.SUSPENDED, Partner.Status.CONNECTED}
    if status not in allowed or (status == Partner.Status.CONNECTED and not locked.token_c_hash):
        raise ValueError(f"Cannot set status {status} on a partner that is {locked.status}.")
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked
