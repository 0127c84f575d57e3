"""Finding a charger: Locations drivers may see, near a point or in a map's bounds, filtered and
sorted by distance, and what the list shows of each (drivers/selectors_location.py has one
Location's details and the favourites).

Geography runs in the database. On PostgreSQL the GiST index on the Location's point on the
earth (the stored column `earth`, migration roaming 0005) serves the box around the point
(earthdistance's earth_box, made here), and the chord to the point makes the exact cut and the
order. Elsewhere (SQLite, the embedded default) a latitude/longitude box uses the (latitude,
longitude) B-tree index and an equirectangular distance in SQL sorts and cuts. Connector
filters read the search keys (roaming.services.summaries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from drivers.opening_hours import is_open
from roaming.models import Connector, Location
from roaming.services.summaries import AVAILABLE, PHASES, REMOVED, search_key

EARTH_RADIUS_KM = 6371.0088
EARTH_RADIUS_M = 6378168.0  # earthdistance's earth(), the sphere its points lie on
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
DEFAULT_RADIUS_KM = Decimal("5")
MAX_RADIUS_KM = Decimal("100")
# The annotations a search sorts by (`distance_m_of` reads them).
_DISTANCES = ("earth_chord", "distance_sq")
# The Location's point on the earth: a stored generated column (migration roaming 0005).
_EARTH = "roaming_location.earth"

LIST_COLUMNS = (
    "id",
    "name",
    "address",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "time_zone",
    "operator_name",
    "opening_times",
    "last_updated",
    "evse_count",
    "available_count",
    "max_power_w",
    "standards",
)


@dataclass(frozen=True)
class Near:
    """A circle: `radius_km` around (latitude, longitude)."""

    latitude: Decimal
    longitude: Decimal
    radius_km: Decimal = DEFAULT_RADIUS_KM


@dataclass(frozen=True)
class Bounds:
    """A map's bounds (south-west and north-east corners; min_longitude <= max_longitude)."""

    min_latitude: Decimal
    min_longitude: Decimal
    max_latitude: Decimal
    max_longitude: Decimal

    @property
    def centre(self) -> tuple[float, float]:
        return (
            float(self.min_latitude + self.max_latitude) / 2,
            float(self.min_longitude + self.max_longitude) / 2,
        )


@dataclass(frozen=True)
class LocationFilters:
    """What the driver asks for. Connector conditions (standards, power, available, parking)
    must hold for one and the same connector."""

    standards: tuple[str, ...] = ()
    min_power_kw: Decimal | None = None
    available: bool = False
    operator: str = ""
    open_now: bool = False
    no_parking_restrictions: bool = False

    @property
    def on_connectors(self) -> bool:
        return bool(
            self.standards or self.min_power_kw or self.available or self.no_parking_restrictions
        )


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def locations_visible() -> QuerySet[Location]:
    """Locations drivers may see: published by the CPO and not hidden by staff."""
    return Location.objects.filter(publish=True, shown_to_drivers=True)


def location_search(
    *,
    near: Near | None = None,
    bounds: Bounds | None = None,
    filters: LocationFilters | None = None,
    moment: datetime | None = None,
    earth_index: bool | None = None,
) -> QuerySet[Location]:
    """Visible Locations within `near` or `bounds` (one of them is required) matching `filters`,
    nearest first (then by id), each with its distance (`distance_m_of`: metres from the point,
    or from the bounds' centre). Only LIST_COLUMNS are loaded (with the Locations' summaries,
    what the list shows of their EVSEs).

    `earth_index` None: the earthdistance index on PostgreSQL, the plain box elsewhere.
    `moment` (default now) is when open_now is judged; that filter reads the opening hours of
    the Locations the other conditions keep, in Python (one query of three columns).
    """
    if (near is None) == (bounds is None):
        raise ValueError("Give either near or bounds.")
    filters = filters or LocationFilters()
    if earth_index is None:
        earth_index = connection.vendor == "postgresql"
    locations = locations_visible()
    if near is not None:
        latitude, longitude = float(near.latitude), float(near.longitude)
        radius_km = float(near.radius_km)
        box = _box_around(latitude, longitude, radius_km)
    else:
        latitude, longitude = bounds.centre
        radius_km = max(
            haversine_km(latitude, longitude, float(lat), float(lng))
            for lat in (bounds.min_latitude, bounds.max_latitude)
            for lng in (bounds.min_longitude, bounds.max_longitude)
        )
        radius_km = radius_km * 1.001 + 0.001
        box = (bounds.min_latitude, bounds.min_longitude, bounds.max_latitude, bounds.max_longitude)
    if earth_index:
        locations = _earth_filter(locations, latitude, longitude, radius_km, exact=near is not None)
    else:
        locations = _plain_filter(locations, latitude, longitude, radius_km, exact=near is not None)
    if bounds is not None or not earth_index:
        locations = locations.filter(
            latitude__gte=box[0], longitude__gte=box[1], latitude__lte=box[2], longitude__lte=box[3]
        )
    locations = _filtered(locations, filters)
    if filters.open_now:
        locations = _open_now(locations, moment or timezone.now())
    return locations.only(*LIST_COLUMNS).order_by("distance_m", "pk")


def location_search_page(
    locations: QuerySet[Location], *, offset: int, limit: int
) -> tuple[list[Location], int, datetime | None]:
    """One page of a search with the count and newest change of all its matches
    (`location_search_state`): one query, a second for the state when the page is past the end.

    The matches are counted, sorted and cut to the page on narrow rows (id, distance, count,
    newest change); only the page's rows are then read whole. Counting and sorting whole rows
    carried every match's columns through the window and the sort: a third more time in the
    database on a city's hundreds of matches."""
    page = locations.only("pk").annotate(
        match_count=Window(Count("pk")), match_saved=Window(Max("updated_at"))
    )[offset : offset + limit]
    page_sql, params = page.query.sql_with_params()
    distance = next(name for name in page.query.annotation_select if name in _DISTANCES)
    quote = connection.ops.quote_name
    table = quote(Location._meta.db_table)
    columns = ", ".join(
        f"{table}.{quote(Location._meta.get_field(c).column)}" for c in LIST_COLUMNS
    )
    # Names and the ORM's own SQL only: every value is bound as a parameter.
    sql = (
        f"SELECT {columns}, page.{quote(distance)}, page.match_count, page.match_saved "  # noqa: S608
        f"FROM ({page_sql}) page JOIN {table} ON {table}.id = page.id "
        f"ORDER BY page.{quote(distance)}, page.id"
    )
    rows = list(Location.objects.raw(sql, params))
    if not rows:
        return rows, *location_search_state(locations)
    return rows, rows[0].match_count, _updated_at_from_db(rows[0].match_saved)


def _updated_at_from_db(value: object) -> datetime | None:
    """A column outside the model, as the ORM would have read updated_at (SQLite: text)."""
    column = Location._meta.get_field("updated_at").cached_col
    for converter in connection.ops.get_db_converters(column):
        value = converter(value, column, connection)
    return value


def location_search_state(locations: QuerySet[Location]) -> tuple[int, datetime | None]:
    """(count, newest change) of a search's matches, for ETag and Last-Modified. The change is
    our updated_at, on our clock: every write of a Location row moves it, those of its EVSEs
    and Connectors too (they rewrite its summary). The CPO's last_updated is on the CPO's
    clock and can be ahead of ours, hiding later changes."""
    state = (
        locations.prefetch_related(None)
        .order_by()
        .aggregate(count=Count("pk"), saved=Max("updated_at"))
    )
    return state["count"], state["saved"]


def _box_around(latitude: float, longitude: float, radius_km: float) -> tuple[Decimal, ...]:
    d_lat = radius_km / KM_PER_DEGREE
    cos = math.cos(math.radians(latitude))
    d_lng = 360.0 if cos < 1e-6 else min(360.0, radius_km / (KM_PER_DEGREE * cos))
    return tuple(
        Decimal(f"{value:.7f}")
        for value in (latitude - d_lat, longitude - d_lng, latitude + d_lat, longitude + d_lng)
    )


def _earth_filter(locations, latitude: float, longitude: float, radius_km: float, *, exact: bool):
    """The point and the radius as earthdistance has them, computed here once: the box is its
    earth_box, the straight-line (chord) distance through the earth sorts and cuts as the
    great-circle distance does, and `distance_m_of` turns the page's chords into metres. In
    SQL, earth_distance(ll_to_earth(...), ...) of parameters costs per candidate row."""
    point = _earth_point(latitude, longitude)
    chord = _chord_of(radius_km * 1000)
    # Constant SQL text, values bound as parameters.
    in_box = RawSQL(  # noqa: S611
        f"cube_enlarge(%s::cube, %s::float8, 3) @> {_EARTH}",
        (point, chord),
        output_field=BooleanField(),
    )
    distance = RawSQL(  # noqa: S611
        f"cube_distance(%s::cube, {_EARTH})", (point,), output_field=FloatField()
    )
    locations = locations.filter(in_box).annotate(earth_chord=distance)
    if exact:
        locations = locations.filter(earth_chord__lte=chord)
    return locations.alias(distance_m=F("earth_chord"))


def _earth_point(latitude: float, longitude: float) -> str:
    """ll_to_earth(latitude, longitude) as cube text."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    x = EARTH_RADIUS_M * math.cos(phi) * math.cos(lam)
    y = EARTH_RADIUS_M * math.cos(phi) * math.sin(lam)
    return f"({x!r}, {y!r}, {EARTH_RADIUS_M * math.sin(phi)!r})"


def _chord_of(metres: float) -> float:
    """The straight line between two points `metres` apart on earthdistance's sphere."""
    return 2 * EARTH_RADIUS_M * math.sin(min(metres / (2 * EARTH_RADIUS_M), math.pi / 2))


def _great_circle_of(chord: float) -> float:
    """earthdistance's sec_to_gc: metres along the sphere between points `chord` apart."""
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, max(chord, 0.0) / (2 * EARTH_RADIUS_M)))


def _plain_filter(locations, latitude: float, longitude: float, radius_km: float, *, exact: bool):
    """Equirectangular distance in SQL: exact enough within the 100 km we allow (<0.5 %)."""
    scale = KM_PER_DEGREE * 1000
    north = (Cast("latitude", FloatField()) - Value(latitude)) * Value(scale)
    east = (Cast("longitude", FloatField()) - Value(longitude)) * Value(
        scale * math.cos(math.radians(latitude))
    )
    squared = north * north + east * east
    locations = locations.annotate(distance_sq=squared)
    if exact:
        locations = locations.filter(distance_sq__lte=(radius_km * 1000) ** 2)
    # The square sorts as the distance does; `distance_m_of` takes the root of the page's rows.
    return locations.alias(distance_m=F("distance_sq"))


def distance_m_of(location: Location) -> float | None:
    """The distance a search annotated, in metres."""
    squared = getattr(location, "distance_sq", None)
    if squared is not None:
        return math.sqrt(max(float(squared), 0.0))
    chord = getattr(location, "earth_chord", None)
    return None if chord is None else _great_circle_of(float(chord))


def _connector_power_q(watts: int) -> Q:
    return Q(max_electric_power__gte=watts) | (
        (Q(max_electric_power__isnull=True) | Q(max_electric_power=0)) & Q(computed_w__gte=watts)
    )


def _filtered(locations: QuerySet[Location], filters: LocationFilters) -> QuerySet[Location]:
    """The connector conditions through the Locations' search keys (roaming.services.summaries),
    which hold for one and the same connector; a minimum power also asks the Connectors
    themselves, of the Locations whose most powerful connector is enough."""
    if filters.operator:
        locations = locations.filter(operator_name__iexact=filters.operator)
    if not filters.on_connectors:
        return locations
    wanted = Q()
    for standard in filters.standards or (None,):
        key = search_key(
            standard, available=filters.available, free=filters.no_parking_restrictions
        )
        wanted |= Q(search_keys__contains=f" {key} ")
    locations = locations.filter(wanted)
    if filters.min_power_kw:
        watts = math.ceil(filters.min_power_kw * 1000)
        locations = locations.filter(max_power_w__gte=watts).filter(
            Exists(_connectors_with_power(filters, watts))
        )
    return locations


def _connectors_with_power(filters: LocationFilters, watts: int) -> QuerySet[Connector]:
    connectors = (
        Connector.objects.filter(evse__location=OuterRef("pk"))
        .exclude(evse__status=REMOVED)
        .annotate(
            computed_w=F("max_voltage")
            * F("max_amperage")
            * Case(
                *(When(power_type=kind, then=Value(n)) for kind, n in PHASES.items()),
                default=Value(1),
            )
        )
        .filter(_connector_power_q(watts))
    )
    if filters.standards:
        connectors = connectors.filter(standard__in=filters.standards)
    if filters.available:
        connectors = connectors.filter(evse__status=AVAILABLE)
    if filters.no_parking_restrictions:
        connectors = connectors.filter(evse__parking_restrictions=[])
    return connectors


def _open_now(locations: QuerySet[Location], moment: datetime) -> QuerySet[Location]:
    with_hours = locations.filter(opening_times__isnull=False).values_list(
        "pk", "opening_times", "time_zone"
    )
    closed = [pk for pk, hours, zone in with_hours.order_by() if not is_open(hours, zone, moment)]
    return locations.exclude(pk__in=closed) if closed else locations


# What the list and the detail show of a Location.


@dataclass(frozen=True)
class LocationSummary:
    evse_count: int
    available_count: int
    max_power_kw: Decimal | None
    standards: tuple[str, ...]


def location_summary(location: Location) -> LocationSummary:
    """What a Location offers (its summary columns, kept by roaming.services.summaries)."""
    watts = location.max_power_w
    return LocationSummary(
        evse_count=location.evse_count,
        available_count=location.available_count,
        max_power_kw=None if watts is None else (Decimal(watts) / 1000).normalize(),
        standards=tuple(location.standards),
    )


def location_open_now(location: Location, moment: datetime | None = None) -> bool:
    return is_open(location.opening_times, location.time_zone, moment or timezone.now())
