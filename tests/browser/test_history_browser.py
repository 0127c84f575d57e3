"""The charging history and the invoices in a real browser: accessible (axe, keyboard), on a
desktop and a phone; filtering by month from the totals table; "Pay now" first on the invoices."""

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import Invoice, Payment
from tests.billing.factories import (
    InvoiceFactory,
    LocationFactory,
    PaymentFactory,
    SessionCostFactory,
    SessionFactory,
)
from tests.browser.a11y import assert_accessible
from tests.roaming.factories import TokenFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def history(driver):
    token = TokenFactory(user=driver)
    now = timezone.now()
    paid = SessionFactory(
        token=token,
        location=LocationFactory(name="Stationsplein", city="Utrecht"),
        start_date_time=now - timedelta(days=40),
    )
    InvoiceFactory(session=paid, total_incl_vat=Decimal("9.32"))
    unpaid = SessionFactory(
        token=token,
        location=LocationFactory(name="Marktplein", city="Gouda"),
        start_date_time=now - timedelta(days=2),
    )
    payment = PaymentFactory(user=driver, state=Payment.State.FAILED, amount=Decimal("4.10"))
    InvoiceFactory(
        session=unpaid,
        total_incl_vat=Decimal("4.10"),
        payment=payment,
        payment_status=Invoice.PaymentStatus.OPEN,
    )
    running = SessionFactory(
        token=token, start_date_time=now - timedelta(minutes=20), end_date_time=None
    )
    SessionCostFactory(session=running, total_incl_vat=Decimal("1.25"))
    return {"paid": paid, "unpaid": unpaid}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_history_is_accessible_and_filters_by_month(
    driver_page: Page, history, screenshot, viewport
):
    driver_page.goto("/account/history/")

    expect(driver_page.locator("#sessions")).to_contain_text("Stationsplein")
    expect(driver_page.locator("#sessions")).to_contain_text("(estimate)")
    assert_accessible(driver_page)
    screenshot(f"history-{viewport}")
    month = timezone.localtime(history["paid"].start_date_time, AMSTERDAM).strftime("%Y-%m")
    driver_page.locator(f"#monthly-totals a[href$='?month={month}']").click()
    expect(driver_page.locator("#sessions")).to_contain_text("Stationsplein")
    expect(driver_page.locator("#sessions")).not_to_contain_text("Marktplein")
    assert_accessible(driver_page)


def test_the_unpaid_invoice_comes_first_with_pay_now(driver_page: Page, history, screenshot):
    driver_page.goto("/account/invoices/")

    first_row = driver_page.locator("#invoices tbody tr").first
    expect(first_row).to_contain_text("Marktplein")
    expect(first_row.get_by_role("link", name="Pay now")).to_be_visible()
    assert_accessible(driver_page)
    screenshot("invoices-open-first")
    first_row.get_by_role("link", name="Pay now").click()
    payment_id = history["unpaid"].invoices.get().payment_id
    expect(driver_page).to_have_url(re.compile(f"/account/payments/{payment_id}/$"))
