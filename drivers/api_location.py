"""One charging Location in the app (mounted under /api/v1/), with the driver's prices, and the
driver's favourite Locations."""

from datetime import datetime
from typing import Any

from django.http import Http404
from django.utils import timezone, translation
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drivers.api_find import PAGING, LocationListItemSerializer, list_item
from drivers.forms_find import STANDARDS
from drivers.selectors_location import (
    ConnectorPrice,
    favourite_ids_get,
    favourite_locations_list,
    location_detail_get,
    location_prices_get,
)
from drivers.services import favourite_location_add, favourite_location_remove
from emsp.api import PAGINATION_PARAMETERS, paginated, paginated_response
from roaming.models import Location
from tariffs.selectors import connector_power_kw


class _Page:
    """The search as the paginator takes it: the count already known, rows as list items."""

    def __init__(self, locations: Any, count: int, moment: datetime) -> None:
        self.locations, self.total, self.moment = locations, count, moment

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [list_item(location, self.moment) for location in self.locations[page]]


class PriceSerializer(serializers.Serializer):
    currency = serializers.CharField(allow_null=True, help_text="ISO 4217.")
    description = serializers.CharField(
        help_text='Your price in words, incl. VAT: "0.39 EUR/kWh, 0.10 EUR/min after 60 min".'
    )
    plan = serializers.CharField(allow_null=True, help_text="The price plan it comes from.")
    available = serializers.BooleanField(help_text="False: no price can be given here.")


class ConnectorSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="For the price preview and starting a charge.")
    standard = serializers.ChoiceField(choices=STANDARDS)
    format = serializers.CharField(help_text="SOCKET or CABLE.")
    power_type = serializers.CharField()
    power_kw = serializers.CharField()
    max_voltage = serializers.IntegerField()
    max_amperage = serializers.IntegerField()
    price = PriceSerializer()


class EvseSerializer(serializers.Serializer):
    uid = serializers.CharField()
    evse_id = serializers.CharField()
    status = serializers.CharField(help_text="OCPI EVSE status, e.g. AVAILABLE, CHARGING.")
    floor_level = serializers.CharField()
    physical_reference = serializers.CharField()
    parking_restrictions = serializers.ListField(child=serializers.CharField())
    connectors = ConnectorSerializer(many=True)


class LocationDetailSerializer(LocationListItemSerializer):
    state = serializers.CharField()
    time_zone = serializers.CharField()
    parking_type = serializers.CharField()
    facilities = serializers.ListField(child=serializers.CharField())
    opening_times = serializers.JSONField(
        allow_null=True, help_text="OCPI Hours (null: no limits stated)."
    )
    charging_when_closed = serializers.BooleanField(allow_null=True)
    favourite = serializers.BooleanField()
    evses = EvseSerializer(many=True)


def location_detail_data(*, user: Any, location: Location) -> dict[str, Any]:
    """What the detail API says of a Location loaded by `location_detail_get`."""
    moment = timezone.now()
    prices = location_prices_get(
        user=user, location=location, language=translation.get_language() or "en", moment=moment
    )
    data = list_item(location, moment)
    data.update(
        distance_m=None,
        state=location.state,
        time_zone=location.time_zone,
        parking_type=location.parking_type,
        facilities=list(location.facilities or []),
        opening_times=location.opening_times,
        charging_when_closed=location.charging_when_closed,
        favourite=bool(favourite_ids_get(user=user, location_ids=[location.pk])),
        evses=[
            {
                "uid": evse.uid,
                "evse_id": evse.evse_id,
                "status": evse.status,
                "floor_level": evse.floor_level,
                "physical_reference": evse.physical_reference,
                "parking_restrictions": list(evse.parking_restrictions or []),
                "connectors": [
                    {
                        "id": connector.pk,
                        "standard": connector.standard,
                        "format": connector.format,
                        "power_type": connector.power_type,
                        "power_kw": f"{connector_power_kw(connector).normalize():f}",
                        "max_voltage": connector.max_voltage,
                        "max_amperage": connector.max_amperage,
                        "price": _price(prices.get(connector.pk)),
                    }
                    for connector in evse.connectors.all()
                ],
            }
            for evse in location.live_evses
        ],
    )
    return data


def _price(price: ConnectorPrice | None) -> dict[str, Any]:
    if price is None or price.tariff is None:
        return {"currency": None, "description": "", "plan": None, "available": False}
    return {
        "currency": price.tariff.currency,
        "description": price.description,
        "plan": price.tariff.plan.name,
        "available": True,
    }


def _location_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return int(value)


LOCATION_ID = OpenApiParameter(
    "location_id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH
)


class LocationDetailApi(APIView):
    """One charging Location: address, opening hours, facilities, each EVSE and connector with
    its status, power and your price there."""

    @extend_schema(
        operation_id="locations_retrieve",
        parameters=[LOCATION_ID],
        responses=LocationDetailSerializer,
    )
    def get(self, request: Request, location_id: str) -> Response:
        try:
            location = location_detail_get(location_id=_location_id(location_id))
        except Location.DoesNotExist:
            raise Http404 from None
        return Response(
            LocationDetailSerializer(
                location_detail_data(user=request.user, location=location)
            ).data
        )


class FavouriteListApi(APIView):
    """Your favourite charging Locations, newest first."""

    @extend_schema(
        operation_id="favourites_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated(LocationListItemSerializer),
    )
    def get(self, request: Request) -> Response:
        unknown = set(request.query_params) - PAGING
        if unknown:
            raise ValidationError(
                {name: ["This parameter is unknown."] for name in sorted(unknown)}
            )
        locations = favourite_locations_list(user=request.user)
        moment = timezone.now()
        return paginated_response(
            request=request,
            view=self,
            items=_Page(locations, locations.count(), moment),
            serializer_class=LocationListItemSerializer,
        )


class FavouriteOutputSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class FavouriteApi(APIView):
    """Mark a Location as your favourite (PUT, idempotent) or forget it (DELETE)."""

    @extend_schema(
        operation_id="favourites_update",
        parameters=[LOCATION_ID],
        request=None,
        responses=FavouriteOutputSerializer,
    )
    def put(self, request: Request, location_id: str) -> Response:
        try:
            favourite = favourite_location_add(
                user=request.user, location_id=_location_id(location_id)
            )
        except Location.DoesNotExist:
            raise Http404 from None
        return Response(FavouriteOutputSerializer(favourite).data)

    @extend_schema(
        operation_id="favourites_destroy",
        parameters=[LOCATION_ID],
        responses={204: OpenApiResponse(description="Forgotten.")},
    )
    def delete(self, request: Request, location_id: str) -> Response:
        if not favourite_location_remove(user=request.user, location_id=_location_id(location_id)):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
