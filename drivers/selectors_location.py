"""One charging Location as drivers see it (its EVSEs and connectors, the driver's price at
each connector) and the driver's favourite Locations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from drivers.models import FavouriteLocation
from drivers.selectors_find import LIST_COLUMNS, locations_visible
from roaming.models import EVSE, Connector, Location
from roaming.services.summaries import REMOVED
from tariffs import pricing
from tariffs.pricing_service import DriverPriceError, DriverTariff, driver_tariff_get
from tariffs.selectors import connector_power_kw, power_class_of


def _live_evses() -> Prefetch:
    evses = EVSE.objects.exclude(status=REMOVED).order_by("evse_id", "uid", "pk")
    connectors = Connector.objects.order_by("ocpi_id", "pk")
    return Prefetch(
        "evses",
        queryset=evses.prefetch_related(Prefetch("connectors", queryset=connectors)),
        to_attr="live_evses",
    )


def location_detail_get(*, location_id: int) -> Location:
    """A visible Location with its EVSEs (not removed) and connectors, in `live_evses`.
    Location.DoesNotExist for unknown or hidden ones. Three queries."""
    return (
        locations_visible()
        .select_related("partner")
        .prefetch_related(_live_evses())
        .get(pk=location_id)
    )


@dataclass(frozen=True)
class ConnectorPrice:
    """The driver's price at one connector: the tariff in words, or why there is none."""

    tariff: DriverTariff | None
    description: str
    error: str = ""


def location_prices_get(
    *, user: Any, location: Location, language: str = "en", moment: datetime | None = None
) -> dict[int, ConnectorPrice]:
    """The price `user` (anonymous: the default plan) pays at each connector of `location`
    (loaded by `location_detail_get`), by connector id. Connectors of the same power class and
    tariff ids share their price, so a Location costs one price lookup per kind of connector."""
    moment = moment or timezone.now()
    memo: dict[Any, ConnectorPrice] = {}
    prices: dict[int, ConnectorPrice] = {}
    priced_user = user if getattr(user, "is_authenticated", False) else _Anonymous()
    for evse in getattr(location, "live_evses", []):
        for connector in evse.connectors.all():
            kind = power_class_of(
                power_type=connector.power_type, power_kw=connector_power_kw(connector)
            )
            key = (kind, tuple(connector.tariff_ids or ()))
            if key not in memo:
                memo[key] = _price(priced_user, connector, moment, language)
            prices[connector.pk] = memo[key]
    return prices


class _Anonymous:
    pk = None


def _price(user: Any, connector: Connector, moment: datetime, language: str) -> ConnectorPrice:
    try:
        tariff = driver_tariff_get(user=user, connector=connector, moment=moment)
        return ConnectorPrice(tariff=tariff, description=tariff.describe(language))
    except (DriverPriceError, LookupError, pricing.PricingError) as error:
        # No tariff we can use, our configuration incomplete, or a tariff we cannot read: the
        # page shows "no price" rather than failing.
        return ConnectorPrice(tariff=None, description="", error=str(error))


# Favourites.


def favourite_ids_get(*, user: Any, location_ids: Iterable[int]) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        FavouriteLocation.objects.filter(user=user, location_id__in=list(location_ids)).values_list(
            "location_id", flat=True
        )
    )


def favourite_locations_list(*, user: Any) -> QuerySet[Location]:
    """The driver's favourite Locations that drivers may still see, newest favourite first."""
    return (
        locations_visible()
        .filter(favourited_by__user=user)
        .annotate(favourited_at=Max("favourited_by__created_at"))
        .only(*LIST_COLUMNS)
        .order_by("-favourited_at", "pk")
    )
