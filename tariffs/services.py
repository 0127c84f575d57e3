"""Writes of CPO tariffs (the OCPI Tariffs receiver and the pulls): versioned, never regressed."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from roaming.models import Partner
from roaming.ocpi import tariffs as ocpi
from roaming.ocpi.errors import OcpiError
from roaming.selectors import partner_party_check
from roaming.services.common import StoreResult, ocpi_validate, same_id
from tariffs.models import Tariff, TariffVersion
from tariffs.pricing import TariffError, tariff_parse


def tariff_validate(data: Any) -> ocpi.Tariff:
    """The one place a received Tariff is validated before we store it: the OCPI schema (types,
    required fields), then the pricing engine, so a tariff we could not price is refused on
    arrival (HTTP 400, OCPI 2001, naming the field) rather than when a CDR needs it."""
    model = ocpi_validate(ocpi.Tariff, data)
    try:
        tariff_parse(data)
    except TariffError as error:
        raise OcpiError.invalid(f"Invalid tariff: {error}") from None
    return model


@transaction.atomic
def tariff_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str | None = None,
    party_id: str | None = None,
    tariff_id: str | None = None,
) -> StoreResult[Tariff]:
    """Store a new version of a Tariff. An older last_updated than the stored one is ignored
    (`stale`); every accepted version is kept in TariffVersion; a deleted Tariff comes back."""
    model = tariff_validate(data)
    same_id("country_code", country_code, model.country_code)
    same_id("party_id", party_id, model.party_id)
    same_id("id", tariff_id, model.id)
    partner_party_check(partner=partner, country_code=model.country_code, party_id=model.party_id)
    tariff = (
        Tariff.objects.select_for_update()
        .filter(
            country_code=model.country_code.upper(),
            party_id=model.party_id.upper(),
            ocpi_id__iexact=model.id,
        )
        .first()
    )
    if tariff is not None and model.last_updated < tariff.last_updated:
        return StoreResult(tariff, created=False, stale=True)
    created = tariff is None or tariff.deleted_at is not None
    tariff = tariff or Tariff(
        country_code=model.country_code, party_id=model.party_id, ocpi_id=model.id
    )
    tariff.partner = partner
    tariff.currency = model.currency
    tariff.tariff_type = model.type or ""
    tariff.start_date_time = model.start_date_time
    tariff.end_date_time = model.end_date_time
    tariff.raw = data
    tariff.last_updated = model.last_updated
    tariff.deleted_at = None
    tariff.save()
    TariffVersion.objects.update_or_create(
        tariff=tariff, last_updated=model.last_updated, defaults={"raw": data}
    )
    return StoreResult(tariff, created=created)


@transaction.atomic
def tariff_delete(*, partner: Partner, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """The CPO no longer uses this Tariff: it is served no more, its history stays."""
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    tariff = (
        Tariff.objects.select_for_update()
        .filter(
            country_code=country_code.upper(),
            party_id=party_id.upper(),
            ocpi_id__iexact=tariff_id,
            deleted_at__isnull=True,
        )
        .first()
    )
    if tariff is None:
        raise OcpiError.not_found(f"Unknown Tariff {tariff_id}.")
    tariff.deleted_at = timezone.now()
    tariff.save(update_fields=["deleted_at", "updated_at"])
    return tariff
