"""Finding a charger on the web: the list (works without JavaScript), the map, one Location with
the driver's prices, favourites. Anyone may look; prices are the signed-in driver's own plan's,
or the default plan's for visitors. Favourites need signing in."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from drivers.forms_find import LocationSearchForm, default_centre, standard_label
from drivers.opening_hours import week_hours
from drivers.selectors_find import (
    DEFAULT_RADIUS_KM,
    distance_m_of,
    location_open_now,
    location_search,
    location_summary,
)
from drivers.selectors_location import (
    favourite_ids_get,
    favourite_locations_list,
    location_detail_get,
    location_prices_get,
)
from drivers.services import favourite_location_add, favourite_location_remove
from roaming.models import Location
from tariffs.selectors import connector_power_kw

PAGE_SIZE = 20
MAX_ID = 2**63 - 1
MAP_MARKERS_LIMIT = 500
WEEKDAYS = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]


def _id(location_id: int) -> int:
    """The path's id, when a database id can be that large (404 otherwise)."""
    if location_id > MAX_ID:
        raise Http404
    return location_id


def _rows(locations: Any, favourites: set[int] | None = None) -> list[dict[str, Any]]:
    moment = timezone.now()
    locations = list(locations)
    rows = []
    for location in locations:
        distance = distance_m_of(location)
        rows.append(
            {
                "location": location,
                "summary": location_summary(location),
                "distance_km": None if distance is None else distance / 1000,
                "open_now": location_open_now(location, moment),
                "favourite": favourites is not None and location.pk in favourites,
            }
        )
    return rows


@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    """The search as a GET form and its results, a page at a time."""
    searched = any(name in request.GET for name in LocationSearchForm.base_fields)
    latitude, longitude = default_centre()
    form = LocationSearchForm(
        request.GET if searched else None,
        initial={"lat": latitude, "lng": longitude, "radius": DEFAULT_RADIUS_KM},
    )
    context: dict[str, Any] = {"form": form, "rows": [], "page": None}
    if searched and not form.is_valid():
        return render(request, "drivers/locations.html", context, status=400)
    if not searched:  # the first visit: around the default centre, no filters
        form_used = LocationSearchForm({})
        form_used.is_valid()
    near, bounds, filters = (form if searched else form_used).search()
    page = Paginator(
        location_search(near=near, bounds=bounds, filters=filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, rows=_rows(page.object_list), query=query.urlencode())
    return render(request, "drivers/locations.html", context)


@require_GET
def location_map(request: HttpRequest) -> HttpResponse:
    latitude, longitude = default_centre()
    return render(
        request,
        "drivers/location_map.html",
        {
            "map_config": {
                "markers_url": reverse("find:markers"),
                "detail_url": reverse("find:detail", args=[0]),
                "tile_url": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "centre": [float(latitude), float(longitude)],
                "zoom": 13,
                "labels": {
                    "available": _("%(available)s of %(total)s available"),
                    "details": _("Details and prices"),
                    "too_many": _("Zoom in to see every charger."),
                },
            }
        },
    )


@require_GET
def location_markers(request: HttpRequest) -> JsonResponse:
    """The map's markers: visible Locations in the bounds sent (the search's parameters)."""
    form = LocationSearchForm(request.GET, place_required=True)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    near, bounds, filters = form.search()
    locations = location_search(near=near, bounds=bounds, filters=filters)
    rows = _rows(locations[: MAP_MARKERS_LIMIT + 1])
    return JsonResponse(
        {
            "truncated": len(rows) > MAP_MARKERS_LIMIT,
            "locations": [
                {
                    "id": row["location"].pk,
                    "name": row["location"].name or row["location"].address,
                    "address": f"{row['location'].address}, {row['location'].city}",
                    "lat": float(row["location"].latitude),
                    "lng": float(row["location"].longitude),
                    "available": row["summary"].available_count,
                    "total": row["summary"].evse_count,
                    "url": reverse("find:detail", args=[row["location"].pk]),
                }
                for row in rows[:MAP_MARKERS_LIMIT]
            ],
        }
    )


@require_GET
def location_detail(request: HttpRequest, location_id: int) -> HttpResponse:
    try:
        location = location_detail_get(location_id=_id(location_id))
    except Location.DoesNotExist:
        raise Http404 from None
    prices = location_prices_get(
        user=request.user, location=location, language=translation.get_language() or "en"
    )
    evses = [
        {
            "evse": evse,
            "connectors": [
                {
                    "connector": connector,
                    "label": standard_label(connector.standard),
                    "power_kw": connector_power_kw(connector).normalize(),
                    "price": prices.get(connector.pk),
                }
                for connector in evse.connectors.all()
            ],
        }
        for evse in location.live_evses
    ]
    hours = [
        {"day": WEEKDAYS[day.weekday - 1], "periods": day.periods}
        for day in week_hours(location.opening_times)
    ]
    return render(
        request,
        "drivers/location_detail.html",
        {
            "location": location,
            "summary": location_summary(location),
            "open_now": location_open_now(location),
            "hours": hours,
            "evses": evses,
            "favourite": bool(favourite_ids_get(user=request.user, location_ids=[location.pk])),
        },
    )


@login_required
@require_POST
def favourite_toggle(request: HttpRequest, location_id: int) -> HttpResponse:
    """Add (action=add) or remove (action=remove) a favourite; back to where the form was."""
    location_id = _id(location_id)
    if request.POST.get("action") == "remove":
        favourite_location_remove(user=request.user, location_id=location_id)
        messages.success(request, _("Removed from your favourites."))
    else:
        try:
            favourite_location_add(user=request.user, location_id=location_id)
        except Location.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("Added to your favourites."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("find:detail", args=[location_id])
    return redirect(target)


@login_required
@require_GET
def favourites(request: HttpRequest) -> HttpResponse:
    page = Paginator(favourite_locations_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = _rows(page.object_list, favourites={location.pk for location in page.object_list})
    return render(request, "drivers/favourites.html", {"page": page, "rows": rows, "query": ""})
