"""The find pages: the list works without JavaScript (a GET form and links), the map page and
its markers for the map's bounds, a Location's page with status, power and prices."""

from decimal import Decimal

import pytest
from django.test import override_settings

from roaming.models import Location
from tests.roaming.factories import charger
from tests.tariffs.factories import (
    component,
    connector_dict,
    cpo_tariff_store,
    element,
    location_store,
    tariff_dict,
)

pytestmark = pytest.mark.django_db


def test_the_list_starts_at_the_default_centre(client, cpo):
    charger(cpo, name="Centraal hub", operator_name="Allego")
    charger(cpo, name="Far away", latitude=Decimal("51.0"))

    response = client.get("/locations/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="52.3791"' in page
    assert "Centraal hub" in page
    assert "Far away" not in page
    assert "Allego" in page
    assert "1 location found." in page
    assert '<label for="id_lat">' in page


def test_the_list_searches_with_its_form_and_pages_keep_the_query(client, cpo):
    for number in range(25):
        charger(cpo, name=f"Hub {number:02d}", latitude=Decimal("52.0") + Decimal(number) / 1000)

    response = client.get("/locations/", {"lat": "52", "lng": "4.9003", "available": "on"})
    second = client.get("/locations/", {"lat": "52", "lng": "4.9003", "page": "2"})

    page = response.content.decode()
    assert "25 locations found." in page
    assert "Hub 00" in page
    assert "Hub 24" not in page
    assert "lat=52&amp;lng=4.9003&amp;available=on&amp;page=2" in page
    assert "Hub 24" in second.content.decode()
    assert "0.0 km" in page


def test_the_list_without_results_says_so(client):
    response = client.get("/locations/", {"lat": "10", "lng": "10"})

    assert response.status_code == 200
    assert "No charger matches" in response.content.decode()


def test_the_list_shows_bad_input_beside_its_field(client):
    response = client.get("/locations/", {"lat": "91", "lng": "x", "radius": "5"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 90." in page
    assert "Enter a number." in page


def test_the_map_page_loads_leaflet_and_the_configured_tiles(client):
    with override_settings(MAP_TILE_URL="https://tiles.example.com/{z}/{x}/{y}.png"):
        response = client.get("/locations/map/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "vendor/leaflet-1.9.4/leaflet.js" in page
    assert "https://tiles.example.com/{z}/{x}/{y}.png" in page
    assert "/locations/map/markers.json" in page
    assert 'href="/locations/"' in page


def test_the_map_s_markers_for_its_bounds_link_to_the_location_pages(client, cpo):
    inside = charger(cpo, name="Inside", evses=2)
    charger(cpo, name="Outside", latitude=Decimal("53.0"))
    charger(cpo, name="Hidden", shown_to_drivers=False)
    bounds = {"min_lat": "52.3", "min_lng": "4.8", "max_lat": "52.5", "max_lng": "5.0"}

    response = client.get("/locations/map/markers.json", bounds)

    assert response.status_code == 200
    assert response.json() == {
        "truncated": False,
        "locations": [
            {
                "id": inside.pk,
                "name": "Inside",
                "address": "Stationsplein 1, Amsterdam",
                "lat": 52.3791,
                "lng": 4.9003,
                "available": 2,
                "total": 2,
                "url": f"/locations/{inside.pk}/",
            }
        ],
    }


def test_the_markers_refuse_bad_bounds(client):
    response = client.get("/locations/map/markers.json", {"min_lat": "x"})

    assert response.status_code == 400


def test_a_location_s_page_shows_each_connector_with_status_power_and_price(client, cpo):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.50, vat=21))))
    location = location_store(cpo, connectors=[connector_dict()])
    Location.objects.filter(pk=location.pk).update(
        opening_times={
            "twentyfourseven": False,
            "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "18:00"}],
        },
        facilities=["CAFE", "WIFI"],
    )

    response = client.get(f"/locations/{location.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Charging hub LOC1</h1>" in page
    assert "NL*CPO*ELOC1" in page
    assert "Available" in page
    assert "22 kW" in page
    assert "Type 2" in page
    assert "0.6655 EUR/kWh" in page  # the default plan's price for visitors
    assert "Monday" in page
    assert "08:00–18:00" in page
    assert "Café, Wi-Fi" in page
    assert "Log in to save favourites" in page


def test_hidden_and_unknown_locations_have_no_page(client, cpo):
    hidden = charger(cpo, publish=False)

    assert client.get(f"/locations/{hidden.pk}/").status_code == 404
    assert client.get("/locations/999999/").status_code == 404
    assert client.get(f"/locations/{'9' * 40}/").status_code == 404


def test_the_navigation_links_to_the_charger_search(client):
    assert 'href="/locations/"' in client.get("/").content.decode()
