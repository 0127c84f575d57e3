"""CDRs receiver: a CDR is stored once per (country_code, party_id, id), whatever the retries."""

import logging
from typing import Any

from django.db import IntegrityError, transaction

from roaming.models import CDR, Location, Partner, Session
from roaming.ocpi import cdrs as ocpi
from roaming.selectors import partner_party_check
from roaming.services.common import StoreResult, ocpi_validate
from roaming.services.sessions import our_token_for
from roaming.signals import cdr_stored

logger = logging.getLogger(__name__)


@transaction.atomic
def cdr_post(*, partner: Partner, data: dict[str, Any], announce: bool = True) -> StoreResult[CDR]:
    """Store a new CDR; a CDR already stored is left unchanged (`created` False).

    Safe under concurrent repeats: the unique key decides, the loser reads the winner's row.
    `announce`: send `cdr_stored` after the commit (False when the caller announces a batch).
    """
    model = ocpi_validate(ocpi.CDR, data)
    partner_party_check(partner=partner, country_code=model.country_code, party_id=model.party_id)
    existing = _cdr_find(model)
    if existing is not None:
        _log_if_changed(existing, data)
        return StoreResult(existing, created=False)
    cdr = _cdr_new(partner, model, data)
    try:
        with transaction.atomic():
            cdr.save()
    except IntegrityError:
        existing = _cdr_find(model)
        if existing is None:
            raise
        return StoreResult(existing, created=False)
    if announce:
        transaction.on_commit(lambda: cdr_stored.send(sender=CDR, cdr_id=cdr.pk))
    return StoreResult(cdr, created=True)


def _cdr_find(model: ocpi.CDR) -> CDR | None:
    return CDR.objects.filter(
        country_code=model.country_code.upper(),
        party_id=model.party_id.upper(),
        ocpi_id__iexact=model.id,
    ).first()


def _cdr_new(partner: Partner, model: ocpi.CDR, data: dict[str, Any]) -> CDR:
    country_code, party_id = model.country_code.upper(), model.party_id.upper()
    place = model.cdr_location
    session = None
    if model.session_id:
        session = Session.objects.filter(
            country_code=country_code, party_id=party_id, ocpi_id__iexact=model.session_id
        ).first()
    return CDR(
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        ocpi_id=model.id,
        start_date_time=model.start_date_time,
        end_date_time=model.end_date_time,
        ocpi_session_id=model.session_id or "",
        session=session,
        token_uid=model.cdr_token.uid,
        token_type=model.cdr_token.type,
        contract_id=model.cdr_token.contract_id,
        token=our_token_for(model.cdr_token),
        auth_method=model.auth_method,
        authorization_reference=model.authorization_reference or "",
        ocpi_location_id=place.id,
        ocpi_evse_uid=place.evse_uid,
        evse_id=place.evse_id,
        ocpi_connector_id=place.connector_id,
        location=Location.objects.filter(
            country_code=country_code, party_id=party_id, ocpi_id__iexact=place.id
        ).first(),
        currency=model.currency,
        total_cost_excl_vat=model.total_cost.excl_vat,
        total_cost_incl_vat=model.total_cost.incl_vat,
        total_energy=model.total_energy,
        total_time=model.total_time,
        total_parking_time=model.total_parking_time,
        credit=bool(model.credit),
        credit_reference_id=model.credit_reference_id or "",
        raw=data,
        last_updated=model.last_updated,
    )


def _log_if_changed(existing: CDR, data: dict[str, Any]) -> None:
    if existing.raw != data:
        logger.warning(
            "CDR %s/%s/%s posted again with other content; the first one is kept (CDRs are "
            "immutable, corrections come as credit CDRs)",
            existing.country_code,
            existing.party_id,
            existing.ocpi_id,
        )
