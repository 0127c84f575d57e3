"""Sessions receiver: PUT replaces a Session, PATCH merges (charging_periods appended)."""

from typing import Any

from django.db import transaction

from drivers.models import Token
from roaming.models import Command, Location, Partner, Session
from roaming.ocpi import sessions as ocpi
from roaming.ocpi.enums import CommandType
from roaming.ocpi.merging import merge_session_patch, patch_last_updated
from roaming.ocpi.sessions import CdrToken
from roaming.ocpi.types import ci_equal, parse_datetime
from roaming.selectors import our_party, partner_party_check, session_get, session_object
from roaming.services.common import StoreResult, ocpi_validate, same_id
from roaming.signals import session_stored


@transaction.atomic
def session_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str | None = None,
    party_id: str | None = None,
    session_id: str | None = None,
) -> StoreResult[Session]:
    """Store a full Session (replacing any stored one, its charging_periods included)."""
    model = ocpi_validate(ocpi.Session, data)
    same_id("country_code", country_code, model.country_code)
    same_id("party_id", party_id, model.party_id)
    same_id("id", session_id, model.id)
    partner_party_check(partner=partner, country_code=model.country_code, party_id=model.party_id)
    session = (
        Session.objects.select_for_update()
        .filter(
            country_code=model.country_code.upper(),
            party_id=model.party_id.upper(),
            ocpi_id__iexact=model.id,
        )
        .first()
    )
    if session is not None and model.last_updated < session.last_updated:
        return StoreResult(session, created=False, stale=True)
    created = session is None
    session = session or Session(
        country_code=model.country_code, party_id=model.party_id, ocpi_id=model.id
    )
    _session_save(session, partner, model, data)
    return StoreResult(session, created=created)


@transaction.atomic
def session_patch(
    *, partner: Partner, patch: dict[str, Any], country_code: str, party_id: str, session_id: str
) -> StoreResult[Session]:
    """Merge a partial Session; charging_periods in the patch are added to the stored ones."""
    moment = parse_datetime(patch_last_updated(patch))
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    for field, value in (
        ("country_code", country_code),
        ("party_id", party_id),
        ("id", session_id),
    ):
        same_id(field, value, patch.get(field))
    session = session_get(country_code=country_code, party_id=party_id, session_id=session_id)
    session = Session.objects.select_for_update().get(pk=session.pk)
    merged = merge_session_patch(session_object(session), patch)
    model = ocpi_validate(ocpi.Session, merged)
    if moment < session.last_updated:
        return StoreResult(session, created=False, stale=True)
    _session_save(session, partner, model, merged)
    return StoreResult(session, created=False)


def _session_save(
    session: Session, partner: Partner, model: ocpi.Session, raw: dict[str, Any]
) -> None:
    created = session.pk is None
    session.partner = partner
    session.start_date_time = model.start_date_time
    session.end_date_time = model.end_date_time
    session.kwh = model.kwh
    session.token_uid = model.cdr_token.uid
    session.token_type = model.cdr_token.type
    session.contract_id = model.cdr_token.contract_id
    session.token = our_token_for(model.cdr_token)
    session.auth_method = model.auth_method
    session.authorization_reference = model.authorization_reference or ""
    session.ocpi_location_id = model.location_id
    session.ocpi_evse_uid = model.evse_uid
    session.ocpi_connector_id = model.connector_id
    session.location = Location.objects.filter(
        country_code=model.country_code.upper(),
        party_id=model.party_id.upper(),
        ocpi_id__iexact=model.location_id,
    ).first()
    session.meter_id = model.meter_id or ""
    session.currency = model.currency
    session.charging_periods = raw.get("charging_periods") or []
    session.total_cost_excl_vat = model.total_cost.excl_vat if model.total_cost else None
    session.total_cost_incl_vat = model.total_cost.incl_vat if model.total_cost else None
    session.status = model.status
    session.raw = raw
    session.last_updated = model.last_updated
    session.save()
    if session.authorization_reference:
        _command_link(session)
    transaction.on_commit(
        lambda: session_stored.send(sender=Session, session_id=session.pk, created=created)
    )


def our_token_for(cdr_token: CdrToken) -> Token | None:
    """Our drivers.Token named by a CdrToken, when we (our country_code/party_id) issued it."""
    country_code, party_id = our_party()
    if not (
        ci_equal(cdr_token.country_code, country_code) and ci_equal(cdr_token.party_id, party_id)
    ):
        return None
    return Token.objects.filter(uid__iexact=cdr_token.uid, type=cdr_token.type).first()


def _command_link(session: Session) -> None:
    """A START_SESSION that gave this authorization_reference led to this Session (even when
    its result timed out or never came)."""
    Command.objects.filter(
        partner=session.partner,
        kind=CommandType.START_SESSION,
        authorization_reference=session.authorization_reference,
        session__isnull=True,
    ).update(session=session, status=Command.Status.SUCCEEDED)
