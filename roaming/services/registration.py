"""Registrations WE start with a CPO (we are the credentials Sender), and their update and end.

The CPO gave us, out of band, its versions URL and a CREDENTIALS_TOKEN_A. With token A we GET
its versions, choose the highest common version, GET its endpoints, then POST our credentials
with a new token for it to call us (the spec's token B; kept hashed in `token_c_hash`: we only
check it). It answers with the token we call it with (the spec's token C; kept in `token_b`,
which always holds what we present). Token A is not stored.

During the POST the CPO calls our versions endpoint with the token we just gave it, so that
token is committed (partner connected) before the POST and put back if the POST fails.

`partner_register` is idempotent: a partner that is connected and whose token still works is
left alone; one that the CPO forgot (our token refused) is registered again with token A.
"""

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from roaming.models import Partner
from roaming.ocpi.auth import (
    credentials_token_hash,
    credentials_token_new,
    credentials_token_prefix,
)
from roaming.ocpi.client import NO_RETRY, OcpiClient
from roaming.ocpi.credentials import Credentials
from roaming.ocpi.enums import ModuleID, Role
from roaming.ocpi.errors import OcpiError, validation_message
from roaming.ocpi.http import OcpiRequestError
from roaming.ocpi.versions import VersionDetails
from roaming.outbound import partner_client
from roaming.services.partners import (
    REGISTRATION_TIMEOUT,
    credentials_ours,
    credentials_unregister,
    partner_endpoints_fetch,
    partner_endpoints_replace,
    partner_roles_free_check,
    partner_roles_replace,
)
from roaming.services.schedules import partner_pull_schedule_ensure

logger = logging.getLogger(__name__)
TOKEN = re.compile(r"^[!-~]{1,64}$")
URL = re.compile(r"^https?://[^\s/]+(/\S*)?$", re.IGNORECASE)


class RegistrationError(Exception):
    """The handshake did not complete; the message says why, for staff. `retryable`: the
    same call may succeed later (network, CPO server error)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Registration:
    partner: Partner
    created: bool  # a new Partner row
    changed: bool  # a handshake happened (False: already registered, token still works)


def partner_register(
    *, versions_url: str, token_a: str, name: str = "", raw_token_header: bool = False
) -> Registration:
    """Register with the CPO at `versions_url` using its token A (POST credentials).

    Idempotent (see the module). Raises RegistrationError; nothing is half-written. Call it
    outside a transaction: the CPO calls us back with the new token before it answers.
    """
    if not TOKEN.match(token_a or ""):
        raise RegistrationError("Token A must be 1 to 64 printable ASCII characters, no spaces.")
    if not URL.match(versions_url or "") or len(versions_url) > 255:
        raise RegistrationError("The versions URL must be an http(s) URL (255 characters at most).")
    known = list(Partner.objects.filter(versions_url=versions_url).order_by("-pk"))
    connected = [p for p in known if p.status == Partner.Status.CONNECTED]
    partner = connected[0] if connected else (known[0] if known else None)
    if partner is not None and partner.status == Partner.Status.SUSPENDED:
        raise RegistrationError(f"{partner} is suspended: reconnect it in the admin first.")
    if partner is not None and partner.status == Partner.Status.CONNECTED:
        if _token_works(partner):
            return Registration(partner, created=False, changed=False)
        logger.info("partner %s refuses our token: registering again", partner.pk)
    created = partner is None
    if partner is None:
        partner = Partner(name=name, versions_url=versions_url, raw_token_header=raw_token_header)
    version_url, details = _endpoints(versions_url, token_a, partner.raw_token_header)
    credentials_url = _credentials_url(details)
    token_for_them = credentials_token_new()
    previous = _token_install(partner, token_for_them)
    try:
        with OcpiClient(
            token=token_a,
            timeout=REGISTRATION_TIMEOUT,
            raw_token=partner.raw_token_header,
            retry=NO_RETRY,
        ) as client:
            answer = client.post(
                credentials_url, module="credentials", json=credentials_ours(token=token_for_them)
            ).data
        credentials = _their_credentials(answer)
        with transaction.atomic():
            partner_roles_free_check(partner=partner, credentials=credentials)
            _connected(partner, credentials, versions_url, version_url, details, name)
    except OcpiRequestError as error:
        _token_restore(partner, previous, delete=created)
        if error.http_status == 405:
            raise RegistrationError(
                "The CPO says we are registered already, but refuses our token: ask it to "
                "unregister us (or to give a new token A).",
            ) from error
        raise RegistrationError(
            f"The CPO refused our credentials: {error.message}", retryable=error.retryable
        ) from error
    except (RegistrationError, OcpiError) as error:
        _token_restore(partner, previous, delete=created)
        message = error.message if isinstance(error, OcpiError) else str(error)
        raise RegistrationError(message) from error
    transaction.on_commit(lambda: partner_pull_schedule_ensure(partner=partner))
    logger.info("registered with partner %s (%s) on OCPI %s", partner.pk, partner, details.version)
    return Registration(partner, created=created, changed=True)


def partner_credentials_update(*, partner: Partner) -> Partner:
    """PUT credentials: new tokens both ways, the CPO's endpoints (and version) read again."""
    if partner.status != Partner.Status.CONNECTED:
        raise RegistrationError(f"{partner} is not connected.")
    credentials_url = _partner_credentials_url(partner)
    token_for_them = credentials_token_new()
    previous = _token_install(partner, token_for_them)
    try:
        with partner_client(partner=partner, retry=NO_RETRY) as client:
            answer = client.put(
                credentials_url, module="credentials", json=credentials_ours(token=token_for_them)
            ).data
        credentials = _their_credentials(answer)
        version_url, details = _endpoints(
            partner.versions_url, credentials.token, partner.raw_token_header
        )
        with transaction.atomic():
            partner_roles_free_check(partner=partner, credentials=credentials)
            _connected(partner, credentials, partner.versions_url, version_url, details, "")
    except OcpiRequestError as error:
        _token_restore(partner, previous, delete=False)
        raise RegistrationError(
            f"The CPO refused the update: {error.message}", retryable=error.retryable
        ) from error
    except (RegistrationError, OcpiError) as error:
        _token_restore(partner, previous, delete=False)
        raise RegistrationError(str(getattr(error, "message", error))) from error
    return partner


def partner_unregister(*, partner: Partner) -> Partner:
    """DELETE credentials at the CPO, then end the partnership here: tokens void, no pulls.

    A CPO that already forgot us (401/405) is unregistered here all the same; a CPO that
    cannot be reached keeps us registered (RegistrationError, retryable).
    """
    if partner.status != Partner.Status.CONNECTED:
        raise RegistrationError(f"{partner} is not connected.")
    try:
        with partner_client(partner=partner, retry=NO_RETRY) as client:
            client.delete(_partner_credentials_url(partner), module="credentials")
    except OcpiRequestError as error:
        if error.http_status not in (401, 403, 405):
            raise RegistrationError(
                f"The CPO did not confirm: {error.message}", retryable=error.retryable
            ) from error
        logger.info("partner %s had already forgotten us (%s)", partner.pk, error.http_status)
    with transaction.atomic():
        credentials_unregister(partner=partner)
        partner.refresh_from_db()
        partner_pull_schedule_ensure(partner=partner)
    return partner


def _token_works(partner: Partner) -> bool:
    """Whether the CPO still accepts the token we present (GET its version details)."""
    try:
        with partner_client(partner=partner, retry=NO_RETRY) as client:
            client.get(partner.version_details_url or partner.versions_url, module="versions")
    except OcpiRequestError as error:
        if error.http_status in (401, 403):
            return False
        raise RegistrationError(
            f"The CPO cannot be reached: {error.message}", retryable=error.retryable
        ) from error
    return True


def _endpoints(versions_url: str, token: str, raw_token: bool) -> tuple[str, VersionDetails]:
    try:
        return partner_endpoints_fetch(versions_url=versions_url, token=token, raw_token=raw_token)
    except OcpiError as error:
        raise RegistrationError(
            f"Cannot use the CPO's versions and endpoints: {error.message}",
            retryable=error.status_code == 3001,
        ) from error


def _credentials_url(details: VersionDetails) -> str:
    for endpoint in details.endpoints:
        if endpoint.identifier == ModuleID.CREDENTIALS:
            return endpoint.url
    raise RegistrationError("The CPO has no credentials endpoint.")


def _partner_credentials_url(partner: Partner) -> str:
    for endpoint in partner.endpoints.all():
        if endpoint.identifier == ModuleID.CREDENTIALS:
            return endpoint.url
    raise RegistrationError(f"{partner} has no credentials endpoint on record.")


def _their_credentials(answer: Any) -> Credentials:
    try:
        credentials = Credentials.model_validate(answer)
    except ValidationError as error:
        raise RegistrationError(
            f"The CPO answered unusable credentials: {validation_message(error)}"
        ) from error
    if not any(role.role == Role.CPO for role in credentials.roles):
        raise RegistrationError("The CPO's credentials have no CPO role.")
    return credentials


@transaction.atomic
def _token_install(partner: Partner, token: str) -> dict[str, Any]:
    """Commit the token the CPO will call us with (it does so during the handshake)."""
    if partner.pk is not None:
        Partner.objects.select_for_update().get(pk=partner.pk)
    previous = {
        "status": partner.status,
        "token_c_hash": partner.token_c_hash,
        "token_c_prefix": partner.token_c_prefix,
    }
    partner.token_c_hash = credentials_token_hash(token)
    partner.token_c_prefix = credentials_token_prefix(token)
    partner.status = Partner.Status.CONNECTED
    partner.name = partner.name or partner.versions_url
    partner.save()
    return previous


@transaction.atomic
def _token_restore(partner: Partner, previous: dict[str, Any], *, delete: bool) -> None:
    if delete:
        partner.delete()
        partner.pk = None
        return
    for field, value in previous.items():
        setattr(partner, field, value)
    partner.save(update_fields=[*previous, "updated_at"])


def _connected(
    partner: Partner,
    credentials: Credentials,
    versions_url: str,
    version_url: str,
    details: VersionDetails,
    name: str,
) -> None:
    cpo = next(role for role in credentials.roles if role.role == Role.CPO)
    partner.token_b = credentials.token
    partner.token_a_hash = None
    partner.versions_url = versions_url
    partner.version = details.version
    partner.version_details_url = version_url
    partner.status = Partner.Status.CONNECTED
    partner.connected_at = partner.connected_at or timezone.now()
    if name:
        partner.name = name
    elif not partner.name or partner.name == versions_url:
        partner.name = cpo.business_details.name
    partner.save()
    partner_roles_replace(partner=partner, credentials=credentials)
    partner_endpoints_replace(partner=partner, details=details)
