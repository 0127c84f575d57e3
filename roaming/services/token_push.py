"""Pushing our tokens to the CPOs (mod_tokens, we are the Sender): a PUT of the whole Token to
each connected CPO's tokens receiver, so a blocked (or unblocked) token takes effect at their
charge points without waiting for their next pull of our token list."""

import logging
from dataclasses import dataclass

from drivers.models import Token
from roaming.models import Partner
from roaming.ocpi.enums import InterfaceRole
from roaming.ocpi.http import OcpiRequestError
from roaming.outbound import PartnerUnavailable, partner_client, partner_endpoint_url
from roaming.selectors import our_party, token_object

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPushResult:
    partner_id: int
    ok: bool
    retryable: bool = False
    message: str = ""


def token_push(*, token: Token) -> list[TokenPushResult]:
    """PUT the token to every connected partner that has a tokens RECEIVER endpoint (at
    `{url}/{our country_code}/{our party_id}/{uid}?type=...`). One result per partner; a
    partner that cannot be reached is reported `retryable`, never raised."""
    country_code, party_id = our_party()
    body = token_object(token)
    results = []
    partners = Partner.objects.filter(status=Partner.Status.CONNECTED).prefetch_related(
        "endpoints", "roles"
    )
    for partner in partners:
        url = partner_endpoint_url(
            partner=partner, identifier="tokens", role=InterfaceRole.RECEIVER
        )
        if url is None:
            continue
        target = f"{url.rstrip('/')}/{country_code}/{party_id}/{token.uid}"
        try:
            with partner_client(partner=partner) as client:
                client.put(target, module="tokens", json=body, params={"type": token.type})
        except PartnerUnavailable as error:
            results.append(TokenPushResult(partner.pk, ok=False, message=str(error)))
        except OcpiRequestError as error:
            logger.warning("token %s not pushed to %s: %s", token.pk, partner, error.message)
            results.append(
                TokenPushResult(
                    partner.pk, ok=False, retryable=error.retryable, message=error.message
                )
            )
        else:
            results.append(TokenPushResult(partner.pk, ok=True))
    return results
