"""GET /api/v1/locations (search, strict parameters, ETag/Last-Modified) and
GET /api/v1/locations/{id} (details with the driver's own prices)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.http import http_date

from roaming.models import EVSE, Location
from roaming.services.locations import evse_patch
from roaming.services.summaries import location_summaries_refresh
from tests.roaming.factories import LocationFactory, charger
from tests.tariffs.factories import (
    PlanSubscriptionFactory,
    PricePlanFactory,
    component,
    connector_dict,
    cpo_tariff_store,
    element,
    location_store,
    own_tariff,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
NEAR = {"lat": "52.3791", "lng": "4.9003"}


@pytest.fixture
def app(api_client, driver):
    api_client.force_authenticate(driver)
    return api_client


def test_locations_near_a_point_paginated_nearest_first(app, cpo):
    for km in (3, 1, 2):
        charger(cpo, name=f"{km} km", latitude=Decimal("52.3791") + Decimal("0.009") * km)
    charger(cpo, name="far", latitude=Decimal("53.5"))

    response = app.get("/api/v1/locations", {**NEAR, "limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["name"] for item in body["results"]] == ["1 km", "2 km"]
    first = body["results"][0]
    assert first["distance_m"] == pytest.approx(1001, abs=5)
    assert first["evse_count"] == 1
    assert first["available_count"] == 1
    assert first["max_power_kw"] == "22"
    assert first["standards"] == ["IEC_62196_T2"]
    assert first["open_now"] is True
    assert "offset=2" in body["next"]
    assert response["ETag"]
    assert response["Last-Modified"]


def test_filters_as_query_parameters(app, cpo):
    ccs = {"standard": "IEC_62196_T2_COMBO", "power_type": "DC", "max_electric_power": 150000}
    chademo = {"standard": "CHADEMO", "power_type": "DC", "max_electric_power": 50000}
    charger(cpo, name="ccs", connector=ccs)
    charger(cpo, name="chademo busy", evse={"status": "CHARGING"}, connector=chademo)
    charger(cpo, name="type 2", operator_name="Allego")

    def search(**query):
        response = app.get("/api/v1/locations", {**NEAR, **query})
        assert response.status_code == 200, response.json()
        return {item["name"] for item in response.json()["results"]}

    assert search(standard=["IEC_62196_T2_COMBO", "CHADEMO"]) == {"ccs", "chademo busy"}
    assert search(standard="CHADEMO", available="true") == set()
    assert search(min_power_kw="100") == {"ccs"}
    assert search(operator="allego") == {"type 2"}
    assert search(available="false") == {"ccs", "chademo busy", "type 2"}


def test_the_map_s_bounds(app, cpo):
    charger(cpo, name="inside")
    charger(cpo, name="outside", longitude=Decimal("5.2"))

    response = app.get(
        "/api/v1/locations/in-bounds",
        {"min_lat": "52.3", "min_lng": "4.8", "max_lat": "52.4", "max_lng": "5.0"},
    )
    corners_swapped = app.get(
        "/api/v1/locations/in-bounds",
        {"min_lat": "52.4", "min_lng": "5.0", "max_lat": "52.3", "max_lng": "4.8"},
    )

    assert [item["name"] for item in response.json()["results"]] == ["inside"]
    assert corners_swapped.json() == response.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_lat": "52", "min_lng": "4", "max_lat": "53"}, "non_field_errors"),
        ({"min_lat": "52", "min_lng": "4", "max_lat": "91", "max_lng": "5"}, "max_lat"),
        ({"min_lat": "52", "min_lng": "4", "max_lat": "53", "max_lng": "5", "lat": "52"}, "lat"),
        ({"min_lat": "x", "min_lng": "4", "max_lat": "53", "max_lng": "5"}, "min_lat"),
    ],
    ids=["three-corners", "lat-91", "with-a-point", "not-a-number"],
)
def test_bad_bounds_are_refused_naming_them(app, query, field):
    response = app.get("/api/v1/locations/in-bounds", query)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lat": "north", "lng": "4.9"}, "lat"),
        ({"lat": "91", "lng": "4.9"}, "lat"),
        ({"lat": "52", "lng": "-180.5"}, "lng"),
        ({"lat": "NaN", "lng": "4.9"}, "lat"),
        ({"lat": "Infinity", "lng": "4.9"}, "lat"),
        ({**NEAR, "radius": "101"}, "radius"),
        ({**NEAR, "radius": "0"}, "radius"),
        ({**NEAR, "radius": "1e999999"}, "radius"),
        ({**NEAR, "standard": "TYPE_99"}, "standard"),
        ({**NEAR, "min_power_kw": "-1"}, "min_power_kw"),
        ({**NEAR, "available": "maybe"}, "available"),
        ({**NEAR, "operator": "x" * 101}, "operator"),
        ({**NEAR, "operator": "Al\x00lego"}, "operator"),
        ({**NEAR, "lat": "9" * 5000}, "lat"),
        ({**NEAR, "colour": "red"}, "colour"),
        ({**NEAR, "limit": "0"}, "limit"),
        ({"lat": "52"}, "non_field_errors"),
        ({}, "non_field_errors"),
        ({**NEAR, "min_lat": "52"}, "min_lat"),
        ({**NEAR, "radius": ""}, "radius"),
        ({**NEAR, "operator": "\u00a0"}, "operator"),
        ({**NEAR, "available": " "}, "available"),
        ({**NEAR, "standard": ""}, "standard"),
        ({**NEAR, "offset": ""}, "offset"),
    ],
    ids=[
        "lat-not-a-number",
        "lat-91",
        "lng-beyond-180",
        "nan",
        "infinity",
        "radius-too-big",
        "radius-zero",
        "radius-huge-exponent",
        "unknown-standard",
        "negative-power",
        "boolean-maybe",
        "operator-too-long",
        "null-character",
        "oversized-number",
        "unknown-parameter",
        "limit-zero",
        "lat-without-lng",
        "no-place",
        "bounds-on-the-near-search",
        "radius-empty",
        "operator-blank",
        "available-blank",
        "standard-empty",
        "offset-empty",
    ],
)
def test_bad_parameters_are_refused_naming_them(app, cpo, query, field):
    charger(cpo)

    response = app.get("/api/v1/locations", query)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error


def test_a_parameter_sent_twice_is_refused(app):
    response = app.get("/api/v1/locations?lat=52&lat=53&lng=4")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"lat": ["Send this parameter once."]}


@pytest.mark.parametrize("path", ["/api/v1/locations?lat=52&lng=4", "/api/v1/locations/1"])
def test_signing_in_is_required(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unchanged_list_is_not_sent_again(app, cpo):
    charger(cpo)
    first = app.get("/api/v1/locations", NEAR)

    by_etag = app.get("/api/v1/locations", NEAR, HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = app.get("/api/v1/locations", NEAR, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    other_query = app.get(
        "/api/v1/locations", {**NEAR, "radius": "2"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    stale_etag = app.get("/api/v1/locations", NEAR, HTTP_IF_NONE_MATCH='"old"')
    garbage_date = app.get("/api/v1/locations", NEAR, HTTP_IF_MODIFIED_SINCE="yesterday")

    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag["ETag"] == first["ETag"]
    assert by_date.status_code == 304
    assert other_query.status_code == 200
    assert stale_etag.status_code == 200
    assert garbage_date.status_code == 200


def charging_pushed(cpo, location, last_updated: str) -> None:
    """The CPO's status PATCH: its EVSE E1 is CHARGING."""
    evse_patch(
        partner=cpo,
        patch={"status": "CHARGING", "last_updated": last_updated},
        country_code="NL",
        party_id="CPO",
        location_id=location.ocpi_id,
        evse_uid="E1",
    )


def test_an_evse_status_update_from_the_cpo_changes_the_etag(app, cpo):
    location = location_store(cpo)
    # Stored a minute ago: Last-Modified has whole seconds, the update comes in a later one.
    Location.objects.update(updated_at=timezone.now() - timedelta(minutes=1))
    first = app.get("/api/v1/locations", NEAR)
    assert first.json()["results"][0]["available_count"] == 1
    later = (timezone.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    charging_pushed(cpo, location, later)
    again = app.get("/api/v1/locations", NEAR, HTTP_IF_NONE_MATCH=first["ETag"])
    since = app.get("/api/v1/locations", NEAR, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["results"][0]["available_count"] == 0
    assert since.status_code == 200


def test_a_status_update_older_than_its_location_still_changes_the_etag(app, cpo):
    # The CPO's clocks differ per object: the EVSE's update is newer than the EVSE but older
    # than the Location's own last_updated, which stays; the list still shows it changed.
    location = location_store(cpo)
    location_moment = timezone.now() + timedelta(days=1)
    Location.objects.filter(pk=location.pk).update(last_updated=location_moment)
    first = app.get("/api/v1/locations", NEAR)
    later = (timezone.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    charging_pushed(cpo, location, later)
    again = app.get("/api/v1/locations", NEAR, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["results"][0]["available_count"] == 0
    assert Location.objects.get(pk=location.pk).last_updated == location_moment


def test_a_location_hidden_by_staff_changes_the_etag(app, cpo):
    charger(cpo, name="a")
    hidden = charger(cpo, name="b")
    first = app.get("/api/v1/locations", NEAR)

    Location.objects.filter(pk=hidden.pk).update(shown_to_drivers=False)
    again = app.get("/api/v1/locations", NEAR, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert [item["name"] for item in again.json()["results"]] == ["a"]


def test_a_page_of_twenty_costs_a_bounded_number_of_queries(
    app, cpo, django_assert_max_num_queries
):
    for number in range(25):
        charger(cpo, evses=3, latitude=Decimal("52.3791") + Decimal(number) / 1000)

    # the page with its count, its EVSEs; the language middleware reads the profile
    with django_assert_max_num_queries(3):
        response = app.get(
            "/api/v1/locations", {**NEAR, "limit": 20, "standard": "IEC_62196_T2", "available": 1}
        )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    assert response.json()["results"][0]["evse_count"] == 3


# Detail.


@pytest.fixture
def priced_location(cpo):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.50, vat=21))))
    location = location_store(
        cpo, connectors=[connector_dict(), connector_dict("2", power_type="DC",
                                                          max_electric_power=50000)]
    )  # fmt: skip
    Location.objects.filter(pk=location.pk).update(
        opening_times={"twentyfourseven": True}, facilities=["CAFE"], operator_name="Allego"
    )
    return location


def test_a_location_s_details_with_the_driver_s_prices(app, priced_location):
    response = app.get(f"/api/v1/locations/{priced_location.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["address"] == "Stationsplein 1"
    assert body["time_zone"] == "Europe/Amsterdam"
    assert body["facilities"] == ["CAFE"]
    assert body["opening_times"] == {"twentyfourseven": True}
    assert body["operator"] == "Allego"
    assert body["favourite"] is False
    [evse] = body["evses"]
    assert (evse["evse_id"], evse["status"]) == ("NL*CPO*ELOC1", "AVAILABLE")
    ac, dc = evse["connectors"]
    assert (ac["standard"], ac["format"], ac["power_kw"]) == ("IEC_62196_T2", "CABLE", "22")
    assert dc["power_kw"] == "50"
    # the default plan: the CPO's 0.50/kWh with our 10 % markup, 21 % VAT
    assert ac["price"] == {
        "currency": "EUR",
        "description": "0.6655 EUR/kWh",
        "plan": "Pay as you go",
        "available": True,
    }


def test_a_subscribed_driver_sees_their_plan_s_price(app, driver, priced_location):
    plan = PricePlanFactory(name="Flat", method="own_tariff", tariff=own_tariff(0.39, vat=21))
    PlanSubscriptionFactory(user=driver, plan=plan)

    body = app.get(f"/api/v1/locations/{priced_location.pk}").json()

    price = body["evses"][0]["connectors"][0]["price"]
    assert (price["plan"], price["description"]) == ("Flat", "0.4719 EUR/kWh")  # 0.39 + 21 %


def test_a_connector_without_a_usable_tariff_says_no_price(app, cpo):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    body = app.get(f"/api/v1/locations/{location.pk}").json()

    assert body["evses"][0]["connectors"][0]["price"]["available"] is False


@pytest.mark.parametrize("hide", ["publish", "shown_to_drivers"])
def test_hidden_locations_are_not_found(app, cpo, hide):
    location = charger(cpo, **{hide: False})

    assert app.get(f"/api/v1/locations/{location.pk}").status_code == 404


@pytest.mark.parametrize("location_id", ["999999", "abc", "-1", "9" * 30, "1.5"])
def test_unknown_locations_are_not_found(app, location_id):
    response = app.get(f"/api/v1/locations/{location_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_removed_evses_are_left_out_of_the_details(app, cpo):
    location = charger(cpo, evses=2)
    EVSE.objects.filter(pk=location.evses.first().pk).update(status="REMOVED")
    location_summaries_refresh(location_ids=[location.pk])  # as the Locations receiver does

    body = app.get(f"/api/v1/locations/{location.pk}").json()

    assert len(body["evses"]) == 1
    assert body["evse_count"] == 1


def test_the_last_modified_date_is_the_newest_change(app, cpo):
    moment = timezone.now().replace(microsecond=0) + timedelta(days=1)
    LocationFactory(partner=cpo, last_updated=moment + timedelta(days=1))  # the CPO's clock
    Location.objects.update(updated_at=moment)  # ours

    response = app.get("/api/v1/locations", NEAR)

    assert response["Last-Modified"] == http_date(moment.timestamp())


def test_a_page_past_the_end_still_counts_the_matches(app, cpo):
    charger(cpo)
    charger(cpo)

    response = app.get("/api/v1/locations", {**NEAR, "offset": "5"})

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (2, [])
    assert response["Last-Modified"]
