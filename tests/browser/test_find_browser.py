"""Finding a charger in a real browser: the list and a Location's page pass the accessibility
checks on phone and desktop, the map shows markers for its bounds and a marker leads to the
Location's page, and "use my location" searches around the browser's position."""

from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import VIEWPORT_NAMES
from tests.roaming.factories import PartnerFactory, charger

LOCAL_TILES = "/static/vendor/leaflet-1.9.4/images/layers.png?z={z}&x={x}&y={y}"


@pytest.fixture
def chargers(db):
    cpo = PartnerFactory(name="FastCharge")
    return [
        charger(cpo, name="Centraal hub", operator_name="Allego", evses=2),
        charger(cpo, name="Dam square", latitude=Decimal("52.3731"), longitude=Decimal("4.8926")),
        charger(cpo, name="Utrecht", latitude=Decimal("52.0907"), longitude=Decimal("5.1214")),
    ]


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_the_list_and_a_location_s_page_are_accessible(page: Page, chargers, screenshot):
    page.goto("/locations/")
    expect(page.get_by_role("heading", name="Centraal hub")).to_be_visible()
    assert_accessible(page)
    screenshot("locations")

    page.get_by_role("link", name="Centraal hub").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centraal hub")
    assert_accessible(page)
    screenshot("location")


def test_the_map_shows_markers_and_a_marker_leads_to_the_location(
    page: Page, chargers, settings, screenshot
):
    settings.MAP_TILE_URL = LOCAL_TILES
    page.goto("/locations/map/")

    markers = page.locator(".leaflet-marker-icon")
    expect(markers).to_have_count(2)  # Utrecht is off the map
    assert_accessible(page)
    screenshot("map")
    page.get_by_title("Dam square").click()
    page.get_by_role("link", name="Details and prices").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dam square")


def test_use_my_location_searches_around_the_browser_s_position(
    page: Page, browser_context: BrowserContext, chargers
):
    browser_context.grant_permissions(["geolocation"])
    browser_context.set_geolocation({"latitude": 52.0907, "longitude": 5.1214})
    page.goto("/locations/")

    page.get_by_role("button", name="Use my location").click()

    expect(page.get_by_role("heading", name="Utrecht")).to_be_visible()
    expect(page.get_by_role("heading", name="Centraal hub")).to_have_count(0)
    assert "lat=52.090700" in page.url
