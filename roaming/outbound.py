"""How we call a partner: the OcpiClient for it, and its endpoint URLs."""

from django.conf import settings

from roaming.models import Partner
from roaming.ocpi.client import OcpiClient, Party, RetryPolicy
from roaming.selectors import our_party


class PartnerUnavailable(Exception):
    """We cannot call this partner now (not connected, or it lacks the endpoint)."""


def partner_endpoint_url(*, partner: Partner, identifier: str, role: str) -> str | None:
    """The partner's URL for a module and interface role (SENDER/RECEIVER), if it has one."""
    for endpoint in partner.endpoints.all():
        if endpoint.identifier == identifier and endpoint.role == role:
            return endpoint.url
    return None


def partner_client(
    *,
    partner: Partner,
    party: tuple[str, str] | None = None,
    retry: RetryPolicy | None = None,
) -> OcpiClient:
    """An OcpiClient presenting our token for this partner (`token_b`).

    `party` is the partner's country_code/party_id the call is for (the routing headers'
    OCPI-to); by default its first CPO role. Raises PartnerUnavailable when not connected.
    """
    if partner.status != Partner.Status.CONNECTED or not partner.token_b:
        raise PartnerUnavailable(f"{partner} is not connected ({partner.get_status_display()}).")
    if party is None:
        roles = sorted(partner.roles.all(), key=lambda r: (r.role != "CPO", r.pk))
        party = (roles[0].country_code, roles[0].party_id) if roles else None
    return OcpiClient(
        token=partner.token_b,
        timeout=settings.OCPI_TIMEOUT_SECONDS,
        raw_token=partner.raw_token_header,
        ours=Party(*our_party()),
        theirs=Party(*party) if party else None,
        retry=retry or RetryPolicy(),
    )
