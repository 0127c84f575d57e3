"""Reads of CPO tariffs: the current one, the one valid at a moment, a connector's tariffs."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Upper

from roaming.models import Connector
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import format_datetime
from tariffs.models import Tariff, TariffVersion


def tariff_get(*, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """The current, not deleted Tariff; OcpiError 404 otherwise."""
    tariff = Tariff.objects.filter(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        ocpi_id__iexact=tariff_id,
        deleted_at__isnull=True,
    ).first()
    if tariff is None:
        raise OcpiError.not_found(f"Unknown Tariff {tariff_id}.")
    return tariff


def tariff_object(tariff: Tariff) -> dict[str, Any]:
    """The Tariff as OCPI sends it (as received, with its last_updated in our format)."""
    return {**tariff.raw, "last_updated": format_datetime(tariff.last_updated)}


def tariff_version_at(
    *, country_code: str, party_id: str, tariff_id: str, moment: datetime
) -> TariffVersion | None:
    """The version of a Tariff in force at `moment` (the latest published at or before it),
    to price a session with the tariff valid when it started. None if none was known yet."""
    return (
        TariffVersion.objects.filter(
            tariff__country_code=country_code.upper(),
            tariff__party_id=party_id.upper(),
            tariff__ocpi_id__iexact=tariff_id,
            last_updated__lte=moment,
        )
        .order_by("-last_updated")
        .first()
    )


def connector_tariffs(*, connector: Connector) -> QuerySet[Tariff]:
    """The current Tariffs a Connector points to (its tariff_ids, same CPO party)."""
    location = connector.evse.location
    return (
        Tariff.objects.annotate(key=Upper("ocpi_id"))
        .filter(
            country_code=location.country_code,
            party_id=location.party_id,
            key__in=[tariff_id.upper() for tariff_id in connector.tariff_ids],
            deleted_at__isnull=True,
        )
        .order_by("pk")
    )
