"""location_search: radius and bounds in the database, nearest first, every filter, hidden
Locations never shown; the earthdistance index on PostgreSQL and the plain box both."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from drivers.selectors_find import (
    Bounds,
    LocationFilters,
    Near,
    distance_m_of,
    location_search,
    location_search_state,
)
from roaming.models import Location
from roaming.services.summaries import location_summaries_refresh
from tests.roaming.factories import ConnectorFactory, EVSEFactory, LocationFactory, charger

CENTRE = (Decimal("52.3791"), Decimal("4.9003"))
KM_NORTH = Decimal("0.0089932")  # one kilometre of latitude
POSTGRES = connection.vendor == "postgresql"
INDEXES = [pytest.param(True, id="earth-index"), pytest.param(False, id="plain-box")]
if not POSTGRES:
    INDEXES = INDEXES[1:]

pytestmark = pytest.mark.django_db


def north(km: float | int) -> Decimal:
    return (CENTRE[0] + KM_NORTH * Decimal(str(km))).quantize(Decimal("0.0000001"))


def found(earth_index=None, near=None, bounds=None, **filters):
    if near is None and bounds is None:
        near = Near(*CENTRE)
    return list(
        location_search(
            near=near,
            bounds=bounds,
            filters=LocationFilters(**filters),
            earth_index=earth_index,
        )
    )


def names(locations) -> list[str]:
    return [location.name for location in locations]


@pytest.mark.parametrize("earth_index", INDEXES)
def test_locations_within_the_radius_come_nearest_first_with_their_distance(cpo, earth_index):
    for km in (4.9, 20, 1, 5.1, 3):
        charger(cpo, name=f"{km} km", latitude=north(km), longitude=CENTRE[1])
    charger(cpo, name="west 2 km", latitude=CENTRE[0], longitude=Decimal("4.8708"))

    result = found(earth_index)

    assert names(result) == ["1 km", "west 2 km", "3 km", "4.9 km"]
    assert [round(distance_m_of(location) / 100) for location in result] == [10, 20, 30, 49]


@pytest.mark.parametrize("earth_index", INDEXES)
def test_the_radius_is_the_driver_s(cpo, earth_index):
    for km in (1, 8, 30):
        charger(cpo, name=f"{km} km", latitude=north(km), longitude=CENTRE[1])

    assert names(found(earth_index, near=Near(*CENTRE, Decimal("10")))) == ["1 km", "8 km"]
    assert names(found(earth_index, near=Near(*CENTRE, Decimal("0.5")))) == []


@pytest.mark.parametrize("earth_index", INDEXES)
def test_the_map_s_bounds_hold_what_is_inside_nearest_to_its_centre_first(cpo, earth_index):
    charger(cpo, name="centre", latitude=Decimal("52.37"), longitude=Decimal("4.90"))
    charger(cpo, name="inside corner", latitude=Decimal("52.395"), longitude=Decimal("4.945"))
    charger(cpo, name="inside near", latitude=Decimal("52.372"), longitude=Decimal("4.91"))
    charger(cpo, name="just east", latitude=Decimal("52.37"), longitude=Decimal("4.9501"))
    charger(cpo, name="just south", latitude=Decimal("52.3449"), longitude=Decimal("4.90"))
    bounds = Bounds(Decimal("52.345"), Decimal("4.85"), Decimal("52.395"), Decimal("4.95"))

    assert names(found(earth_index, bounds=bounds)) == ["centre", "inside near", "inside corner"]


@pytest.mark.parametrize("earth_index", INDEXES)
def test_hidden_locations_are_never_found(cpo, earth_index):
    charger(cpo, name="shown")
    charger(cpo, name="unpublished", publish=False)
    charger(cpo, name="hidden by staff", shown_to_drivers=False)

    assert names(found(earth_index)) == ["shown"]
    bounds = Bounds(Decimal("52"), Decimal("4"), Decimal("53"), Decimal("5"))
    assert names(found(earth_index, bounds=bounds)) == ["shown"]


def test_connector_standards_any_of_those_asked(cpo):
    charger(cpo, name="type 2")
    charger(cpo, name="ccs", connector={"standard": "IEC_62196_T2_COMBO", "power_type": "DC"})
    charger(cpo, name="chademo", connector={"standard": "CHADEMO", "power_type": "DC"})

    assert set(names(found(standards=("IEC_62196_T2_COMBO", "CHADEMO")))) == {"ccs", "chademo"}
    assert names(found(standards=("IEC_62196_T2",))) == ["type 2"]
    assert names(found(standards=("TESLA_S",))) == []


def test_minimum_power_from_the_stated_power_or_voltage_times_current(cpo):
    charger(cpo, name="22 kW stated", connector={"max_electric_power": 22000})
    charger(  # 230 V x 16 A x 3 phases = 11.04 kW
        cpo,
        name="11 kW computed",
        connector={"max_electric_power": None, "max_amperage": 16},
    )
    charger(  # 230 V x 32 A, one phase = 7.36 kW
        cpo,
        name="7 kW single phase",
        connector={"max_electric_power": None, "power_type": "AC_1_PHASE"},
    )
    charger(
        cpo,
        name="150 kW DC",
        connector={
            "standard": "IEC_62196_T2_COMBO",
            "power_type": "DC",
            "max_voltage": 920,
            "max_amperage": 200,
            "max_electric_power": 150000,
        },
    )

    assert set(names(found(min_power_kw=Decimal("11")))) == {
        "22 kW stated",
        "11 kW computed",
        "150 kW DC",
    }
    assert set(names(found(min_power_kw=Decimal("11.05")))) == {"22 kW stated", "150 kW DC"}
    assert names(found(min_power_kw=Decimal("50"))) == ["150 kW DC"]
    assert len(found(min_power_kw=Decimal("7"))) == 4


def test_standard_and_power_must_hold_for_the_same_connector(cpo):
    place = charger(cpo, name="mixed", connector={"max_electric_power": 22000})
    ConnectorFactory(
        evse=EVSEFactory(location=place),
        standard="CHADEMO",
        power_type="DC",
        max_electric_power=50000,
    )

    assert names(found(standards=("IEC_62196_T2",), min_power_kw=Decimal("50"))) == []
    assert names(found(standards=("CHADEMO",), min_power_kw=Decimal("50"))) == ["mixed"]


def test_available_now_needs_an_available_evse(cpo):
    charger(cpo, name="free")
    charger(cpo, name="busy", evses=2, evse={"status": "CHARGING"})
    charger(cpo, name="removed", evse={"status": "REMOVED"})
    busy_ccs = charger(cpo, name="free type 2, busy ccs")
    ConnectorFactory(
        evse=EVSEFactory(location=busy_ccs, status="CHARGING"), standard="IEC_62196_T2_COMBO"
    )

    assert set(names(found(available=True))) == {"free", "free type 2, busy ccs"}
    assert names(found(available=True, standards=("IEC_62196_T2_COMBO",))) == []


def test_a_location_whose_evses_are_all_removed_has_no_connector_to_offer(cpo):
    charger(cpo, name="removed", evse={"status": "REMOVED"})

    assert names(found(standards=("IEC_62196_T2",))) == []


def test_operator_by_name_case_insensitive(cpo):
    charger(cpo, name="a", operator_name="Allego")
    charger(cpo, name="b", operator_name="Fastned")

    assert names(found(operator="allego")) == ["a"]
    assert names(found(operator="Alleg")) == []


def test_no_parking_restrictions(cpo):
    charger(cpo, name="anyone")
    charger(cpo, name="customers only", evse={"parking_restrictions": ["CUSTOMERS"]})

    assert names(found(no_parking_restrictions=True)) == ["anyone"]


def test_open_now_judged_in_each_location_s_time_zone(cpo):
    hours = {
        "twentyfourseven": False,
        "regular_hours": [
            {"weekday": day, "period_begin": "08:00", "period_end": "20:00"} for day in range(1, 8)
        ],
    }
    charger(cpo, name="amsterdam hours", opening_times=hours)
    charger(cpo, name="new york hours", opening_times=hours, time_zone="America/New_York")
    charger(cpo, name="no hours stated")
    charger(
        cpo,
        name="closed for works",
        opening_times={
            "twentyfourseven": True,
            "exceptional_closings": [
                {"period_begin": "2026-11-25T00:00:00Z", "period_end": "2026-11-26T00:00:00Z"}
            ],
        },
    )
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 Amsterdam, 03:00 New York

    open_then = location_search(
        near=Near(*CENTRE), filters=LocationFilters(open_now=True), moment=morning
    )
    evening = morning + timedelta(hours=12)  # 21:00 Amsterdam, 15:00 New York
    open_later = location_search(
        near=Near(*CENTRE), filters=LocationFilters(open_now=True), moment=evening
    )

    assert set(names(open_then)) == {"amsterdam hours", "no hours stated"}
    assert set(names(open_later)) == {"new york hours", "no hours stated"}


def test_the_state_of_the_matches_moves_with_their_newest_change(cpo):
    first = charger(cpo, name="a")
    charger(cpo, name="far", latitude=north(50))
    search = location_search(near=Near(*CENTRE))
    count, updated = location_search_state(search)
    assert count == 1

    first.evses.update(status="CHARGING")
    location_summaries_refresh(location_ids=[first.pk])  # as every write of an EVSE does

    assert location_search_state(search)[1] > updated


def _plan(cpo, search) -> str:
    """The database's plan of the search over 2,000 Locations spread over the Benelux."""
    Location.objects.bulk_create(
        LocationFactory.build(
            partner=cpo,
            latitude=Decimal("50") + Decimal(n % 50) / 10,
            longitude=Decimal("4") + Decimal(n // 50) / 10,
        )
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE roaming_location" if POSTGRES else "ANALYZE")
        sql, params = search.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}" if POSTGRES else f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.skipif(not POSTGRES, reason="the earthdistance index is PostgreSQL's")
@pytest.mark.parametrize("shape", ["radius", "bounds"])
def test_the_earth_index_serves_radius_and_bounds_queries(cpo, shape):
    if shape == "radius":
        search = location_search(near=Near(*CENTRE))
    else:
        search = location_search(
            bounds=Bounds(Decimal("52.3"), Decimal("4.8"), Decimal("52.4"), Decimal("4.95"))
        )

    plan = _plan(cpo, search)

    assert "roaming_location_earth" in plan, plan
    assert "Seq Scan on roaming_location" not in plan, plan


@pytest.mark.skipif(not POSTGRES, reason="earthdistance is PostgreSQL's")
@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("52.3791", "4.9003"), ("52.4002", "4.8113"), ("-33.8688", "151.2093"), ("0", "179.99")],
)
def test_distances_are_earthdistance_s_to_the_millimetre(cpo, latitude, longitude):
    here = Near(Decimal(latitude), Decimal(longitude), Decimal("100"))
    for n in range(5):
        offset = Decimal("0.13") * n
        charger(cpo, latitude=here.latitude + offset / 2, longitude=here.longitude - offset / 3)

    result = location_search(near=here)

    assert len(result) == 5
    with connection.cursor() as cursor:
        for location in result:
            cursor.execute(
                "SELECT earth_distance(ll_to_earth(%s, %s), ll_to_earth(%s, %s))",
                [here.latitude, here.longitude, location.latitude, location.longitude],
            )
            assert distance_m_of(location) == pytest.approx(cursor.fetchone()[0], abs=0.001)


def test_the_plain_box_uses_the_coordinates_index(cpo):
    search = location_search(near=Near(*CENTRE), earth_index=False)

    plan = _plan(cpo, search)

    assert "roaming_location_coordinates" in plan, plan
