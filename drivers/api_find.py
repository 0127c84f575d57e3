"""Finding a charger in the app (mounted under /api/v1/): Locations near a point or in a map's
bounds, with ETag and Last-Modified (drivers/api_location.py: one Location, favourites)."""

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drivers.forms_find import (
    BOUNDS_FIELDS,
    MAX_POWER_FILTER_KW,
    NEAR_FIELDS,
    STANDARDS,
    LocationSearchForm,
)
from drivers.opening_hours import is_open
from drivers.selectors_find import (
    MAX_RADIUS_KM,
    distance_m_of,
    location_search,
    location_search_page,
    location_summary,
)
from emsp.api import PAGINATION_PARAMETERS, paginated
from emsp.pagination import StrictLimitOffsetPagination
from roaming.models import Location

PAGING = frozenset({"limit", "offset"})


class LocationListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-3.")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    distance_m = serializers.IntegerField(
        allow_null=True, help_text="Metres from the point searched (or the bounds' centre)."
    )
    operator = serializers.CharField()
    evse_count = serializers.IntegerField()
    available_count = serializers.IntegerField(help_text="EVSEs with status AVAILABLE.")
    max_power_kw = serializers.CharField(allow_null=True, help_text='e.g. "22" or "150".')
    standards = serializers.ListField(child=serializers.ChoiceField(choices=STANDARDS))
    open_now = serializers.BooleanField()
    last_updated = serializers.DateTimeField()


_DATETIME = serializers.DateTimeField()


def list_item(location: Location, moment: datetime) -> dict[str, Any]:
    summary = location_summary(location)
    distance = distance_m_of(location)
    return {
        "id": location.pk,
        "name": location.name,
        "address": location.address,
        "city": location.city,
        "postal_code": location.postal_code,
        "country": location.country,
        "latitude": float(location.latitude),
        "longitude": float(location.longitude),
        "distance_m": None if distance is None else round(distance),
        "operator": location.operator_name,
        "evse_count": summary.evse_count,
        "available_count": summary.available_count,
        "max_power_kw": None if summary.max_power_kw is None else f"{summary.max_power_kw:f}",
        "standards": list(summary.standards),
        "open_now": is_open(location.opening_times, location.time_zone, moment),
        "last_updated": _DATETIME.to_representation(location.last_updated),
    }


def _number(name: str, low: float, high: float, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "number", "minimum": low, "maximum": high}, description=description
    )


def _flag(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "boolean"}, description=description)


NEAR_PARAMETERS = [
    OpenApiParameter(
        "lat",
        {"type": "number", "minimum": -90, "maximum": 90},
        required=True,
        description="Latitude of the point to search around.",
    ),
    OpenApiParameter(
        "lng",
        {"type": "number", "minimum": -180, "maximum": 180},
        required=True,
        description="Longitude of the point to search around.",
    ),
    _number("radius", 0.1, float(MAX_RADIUS_KM), "Kilometres around the point (default 5)."),
]
BOUNDS_PARAMETERS = [
    OpenApiParameter(
        name,
        {"type": "number", "minimum": -limit, "maximum": limit},
        required=True,
        description=description,
    )
    for name, limit, description in (
        ("min_lat", 90, "South edge of the map (the corners may come in any order)."),
        ("min_lng", 180, "West edge of the map."),
        ("max_lat", 90, "North edge of the map."),
        ("max_lng", 180, "East edge of the map."),
    )
]
FILTER_PARAMETERS = [
    OpenApiParameter(
        "standard",
        {"type": "array", "items": {"type": "string", "enum": STANDARDS}},
        explode=True,
        description="Connector standards (OCPI ConnectorType), repeat for several: any of them.",
    ),
    _number("min_power_kw", 0, float(MAX_POWER_FILTER_KW), "A connector of at least this power."),
    _flag("available", "Only Locations with an available EVSE (of the wanted connector)."),
    _flag("open_now", "Only Locations open now, by their opening hours in their time zone."),
    _flag("no_parking_restrictions", "Only EVSEs anyone may park at."),
    OpenApiParameter(
        "operator",
        {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$"},
        description="The operator's name (case-insensitive, exact).",
    ),
    *PAGINATION_PARAMETERS,
    OpenApiParameter(
        "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="An ETag."
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An HTTP date (Last-Modified of an earlier answer).",
    ),
]
CACHE_HEADERS = [
    OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304]),
    OpenApiParameter("Last-Modified", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200]),
]


def search_form_from_query(request: Request, *, excluded: tuple[str, ...]) -> LocationSearchForm:
    """The search form of the query, refusing unknown, `excluded`, repeated and blank parameters
    (400): a parameter sent empty is a mistake, not "not filtered" (as on the history API)."""
    known = (set(LocationSearchForm.base_fields) - set(excluded)) | PAGING
    errors = {
        name: ["This parameter is unknown."] for name in request.query_params if name not in known
    }
    for name, values in request.query_params.lists():
        if name in known and name != "standard" and len(values) > 1:
            errors[name] = ["Send this parameter once."]
        elif name in known and any(not value.strip() for value in values):
            errors[name] = ["Send a value, or leave the parameter out."]
    if errors:
        raise ValidationError(errors)
    form = LocationSearchForm(request.query_params, place_required=True, sort_corners=True)
    if not form.is_valid():
        fields = {
            ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in form.errors.items()
        }
        raise ValidationError(fields)
    return form


def _search_response(view: APIView, request: Request, form: LocationSearchForm) -> Response:
    near, bounds, filters = form.search()
    moment = timezone.now()
    paginator = StrictLimitOffsetPagination()
    limit, offset = paginator.get_limit(request), paginator.get_offset(request)
    locations = location_search(near=near, bounds=bounds, filters=filters, moment=moment)
    rows, count, updated = location_search_page(locations, offset=offset, limit=limit)
    etag = _etag(request, count, updated, moment if filters.open_now else None)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if updated is not None:
        headers["Last-Modified"] = http_date(updated.timestamp())
    if _not_modified(request, etag, updated):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    page = paginator.paginate_queryset(_Loaded(rows, count), request, view=view)
    # list_item gives the documented types already (the schema is LocationListItemSerializer's;
    # the fuzz test checks answers against it): no serializer pass on the hot path.
    response = paginator.get_paginated_response([list_item(row, moment) for row in page])
    for name, value in headers.items():
        response[name] = value
    return response


class _Loaded:
    """A page already loaded, as the paginator takes it (it asks for the count, then the
    slice it already holds)."""

    def __init__(self, rows: list[Location], count: int) -> None:
        self.rows, self.total = rows, count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, page: slice) -> list[Location]:
        return self.rows


SEARCH_RESPONSES = {
    200: paginated(LocationListItemSerializer),
    304: OpenApiResponse(description="Not modified since the ETag or date sent."),
}


class LocationListApi(APIView):
    """Charging Locations near a point, nearest first, with filters.

    Answers carry an ETag and Last-Modified (the matching Locations' newest change, with the
    query); send them back as If-None-Match or If-Modified-Since to get 304 when nothing changed.
    Prefer the ETag: it also changes when a Location leaves the matches (hidden, or its EVSEs
    no longer fit the filters), which Last-Modified cannot tell.
    """

    @extend_schema(
        operation_id="locations_list",
        parameters=NEAR_PARAMETERS + FILTER_PARAMETERS + CACHE_HEADERS,
        responses=SEARCH_RESPONSES,
    )
    def get(self, request: Request) -> Response:
        return _search_response(
            self, request, search_form_from_query(request, excluded=BOUNDS_FIELDS)
        )


class LocationBoundsApi(APIView):
    """Charging Locations in a map's bounds, nearest to its centre first, with filters; ETag
    and Last-Modified as for the search near a point."""

    @extend_schema(
        operation_id="locations_in_bounds",
        parameters=BOUNDS_PARAMETERS + FILTER_PARAMETERS + CACHE_HEADERS,
        responses=SEARCH_RESPONSES,
    )
    def get(self, request: Request) -> Response:
        return _search_response(
            self, request, search_form_from_query(request, excluded=NEAR_FIELDS)
        )


def _etag(request: Request, count: int, updated: datetime | None, moment: datetime | None) -> str:
    query = sorted((name, values) for name, values in request.query_params.lists())
    minute = moment.strftime("%Y%m%d%H%M") if moment else ""
    key = f"{count}|{updated.isoformat() if updated else ''}|{query}|{minute}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str, updated: datetime | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and updated is not None and int(updated.timestamp()) <= since
