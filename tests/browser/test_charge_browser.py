# ruff: noqa: F811  (the CPO simulator fixtures are imported, then used as arguments)
"""Charging in a real browser against the CPO simulator: a driver with a card on file opens the
start page of a simulator connector, starts, sees the command accepted, follows the live
session while its cost rises, stops, and sees the session finished and invoiced. Screenshots of
each key page are saved as artefacts."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.billing.conftest import VISA, save_card
from tests.browser.a11y import assert_accessible
from tests.browser.charging import (
    chargeable_connector,
    cost_rising,
    euros,
    fast_network,
    invoice_link_awaited,
)
from tests.roaming.cpo import (  # noqa: F401  (fixtures: the CPO simulator)
    emsp_live,
    registered,
    simulator,
    simulator_process,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(registered, simulator, settings, fake_stripe):
    settings.BILLING_HOLDS_ENABLED = False
    return fast_network(registered, simulator)


def test_a_driver_starts_watches_the_cost_rise_and_stops(
    network, driver_page: Page, driver, settings, screenshot
):
    save_card(driver, settings, number=VISA)
    connector = chargeable_connector(network)
    page = driver_page

    page.goto(f"/charge/connectors/{connector.pk}/")
    expect(page.locator("#charge-price-summary")).to_contain_text("kWh")
    assert_accessible(page)
    screenshot("charge-start")

    page.get_by_role("button", name="Start charging").click()
    expect(page.locator("#command-outcome")).to_contain_text(
        re.compile("Accepted|Charging has started")
    )
    screenshot("command-accepted")

    page.wait_for_url(re.compile(r"/account/sessions/\d+/$"))  # followed once it is reported
    first = cost_rising(page)
    assert_accessible(page)
    screenshot("session-live")

    page.get_by_role("button", name="Stop charging").click()
    expect(page.locator("#command-outcome")).to_contain_text("Charging has stopped")
    screenshot("command-stopped")

    page.get_by_role("link", name="Back to your session").click()
    expect(page.locator("#session-status")).to_contain_text("Completed", timeout=15_000)
    expect(page.get_by_role("button", name="Stop charging")).to_have_count(0)
    invoice_link_awaited(page)
    expect(page.locator("#session-cost")).not_to_contain_text("–")
    assert euros(page.locator("#session-cost").inner_text()) > first
    screenshot("session-finished")


def test_the_tokens_page_links_a_card_and_is_accessible(driver_page: Page, driver, screenshot):
    page = driver_page

    page.goto("/account/tokens/")
    assert_accessible(page)
    page.get_by_label("Card UID").fill("not a uid")
    page.get_by_label("Number printed on the card").fill("NL-EMS-1")
    page.get_by_role("button", name="Link card").click()
    expect(page.locator(".has-error")).to_contain_text("8 to 20 hexadecimal digits")
    assert_accessible(page)
    page.get_by_label("Card UID").fill("04A2B3C4D5E6F7")
    page.get_by_role("button", name="Link card").click()
    expect(page.locator("#rfid-cards")).to_contain_text("NL-EMS-1")
    assert_accessible(page)
    screenshot("tokens")
