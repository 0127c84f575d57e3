# ruff: noqa: F811  (the CPO simulator fixtures are imported, then used as arguments)
"""A new driver's whole first charge in a real browser, against the CPO simulator and the fake
Stripe: sign up and verify the email, add a card through the fake Stripe's Stripe.js, find a
charger near a place, open it, see the price, start, watch the cost rise, stop, and open the
invoice with its PDF. Screenshots of each key page are saved as artefacts."""

import re

import pytest
from playwright.sync_api import Page, expect

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

EMAIL = "grace.driver@example.org"
PASSWORD = "first-charge-2468"


@pytest.fixture
def network(registered, simulator, fake_stripe):
    return fast_network(registered, simulator)


def sign_up(page: Page, mailbox, screenshot) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_label("Code").fill(mailbox.code(to=EMAIL))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {EMAIL}")
    screenshot("signed-up")


def add_card(page: Page, screenshot) -> None:
    page.goto("/account/payment-methods/")
    page.get_by_label("Name on the card").fill("Grace Hopper")
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("1015")
    screenshot("card-typed")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("Your card ending in 4242 is saved.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"•••• 4242 \(12/2034\)"))).to_be_visible()
    # No accessibility check here: the card inputs are the fake Stripe.js's own (real Stripe.js
    # puts them in its iframe); tests/browser/test_base_page_browser.py checks this page's own.
    screenshot("card-saved")


def test_a_new_driver_signs_up_adds_a_card_finds_a_charger_charges_and_sees_the_invoice(
    network, page: Page, mailbox, screenshot
):
    connector = chargeable_connector(network)
    location = connector.evse.location

    sign_up(page, mailbox, screenshot)
    add_card(page, screenshot)

    # Find: the chargers around the place, nearest first; the list needs no JavaScript.
    page.get_by_role("link", name="Find a charger").first.click()
    page.get_by_label("Latitude").fill(str(location.latitude))
    page.get_by_label("Longitude").fill(str(location.longitude))
    page.get_by_role("button", name="Search").click()
    results = page.locator(".location-results")
    expect(results.locator("li").first).to_contain_text(location.name or location.address)
    assert_accessible(page)
    screenshot("find-results")

    results.locator("li").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(location.name or location.address)
    expect(page.locator("main")).to_contain_text("EUR/kWh")
    assert_accessible(page)
    screenshot("location")

    page.locator(f'a[href="/charge/connectors/{connector.pk}/"]').click()
    expect(page.locator("#charge-price-summary")).to_contain_text("kWh")
    screenshot("charge-start")
    page.get_by_role("button", name="Start charging").click()
    expect(page.locator("#command-outcome")).to_contain_text(
        re.compile("Accepted|Charging has started")
    )

    page.wait_for_url(re.compile(r"/account/sessions/\d+/$"))
    first = cost_rising(page)
    screenshot("session-live")

    page.get_by_role("button", name="Stop charging").click()
    expect(page.locator("#command-outcome")).to_contain_text("Charging has stopped")
    page.get_by_role("link", name="Back to your session").click()
    expect(page.locator("#session-status")).to_contain_text("Completed", timeout=15_000)
    invoice_link = invoice_link_awaited(page)
    total = euros(page.locator("#session-cost").inner_text())
    assert total > first

    invoice_link.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice")
    expect(page.locator("main")).to_contain_text(f"{total:.2f}")
    assert_accessible(page)
    screenshot("invoice")
    pdf = page.request.get(
        page.get_by_role("link", name=re.compile("PDF")).first.get_attribute("href")
    )
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
