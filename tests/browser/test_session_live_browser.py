"""The driver's session page in a real browser: the running cost changes on the page, without
a reload, within two seconds of the CPO's Session update; the invoice pages are accessible."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from billing.services.rating import cdr_rate
from roaming.services.sessions import session_patch, session_put
from tests.billing.invoicing import (
    START,
    cdr_data,
    cdr_store,
    cpo,
    location,
    our_token,
    period,
    session_data,
    stamp,
    tariff,
)
from tests.browser.a11y import assert_accessible


@pytest.fixture
def partner(settings):
    settings.BILLING_HOLDS_ENABLED = False
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


def test_the_running_cost_updates_without_a_reload(driver_page: Page, driver, partner, screenshot):
    token = our_token(user=driver)
    session = session_put(
        partner=partner, data=session_data(token, periods=[period(0, 2.0, power=11)], kwh=2)
    ).obj

    driver_page.goto(f"/account/sessions/{session.pk}/")
    cost = driver_page.locator("#session-cost")
    expect(cost).to_contain_text("2.13 EUR")
    driver_page.evaluate("() => { window.notReloaded = true; }")
    assert_accessible(driver_page)

    session_patch(
        partner=partner,
        patch={
            "kwh": 5,
            "charging_periods": [period(10, 3.0)],
            "last_updated": stamp(START + timedelta(minutes=20)),
        },
        country_code="NL",
        party_id="CPO",
        session_id=session.ocpi_id,
    )

    expect(cost).to_contain_text("3.33 EUR", timeout=2500)  # polled every 2 s
    expect(driver_page.locator("#session-energy")).to_contain_text("5 kWh")
    assert driver_page.evaluate("() => window.notReloaded") is True
    screenshot("session-live")


def test_the_invoice_pages_are_accessible(
    driver_page: Page, driver, partner, screenshot, fake_stripe
):
    cdr = cdr_store(partner, cdr_data(our_token(user=driver), kwh="20"))
    cdr_rate(cdr_id=cdr.pk)

    driver_page.goto("/account/invoices/")
    assert_accessible(driver_page)
    driver_page.get_by_role("link", name=cdr.invoice.number).click()
    expect(driver_page.locator("#invoice-lines")).to_contain_text("9.32")
    assert_accessible(driver_page)
    screenshot("invoice-detail")
    driver_page.goto("/account/history/")
    assert_accessible(driver_page)
