"""Open invoices: listed first with "Pay now" (the payment_pay flow, paid through the fake
Stripe), their paid/open state and PDF on the detail page, the app's status filter, and the
payment methods page offering add, remove and default from the account navigation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services.rating import cdr_rate
from tests.billing.conftest import (
    DECLINED_WHEN_CHARGED,
    MASTERCARD,
    VISA,
    app_client,
    save_card,
)
from tests.billing.factories import InvoiceFactory, PaymentFactory, SessionFactory
from tests.billing.invoicing import cdr_data, cdr_store, cpo, location, our_token, tariff
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def declined_invoice(driver, settings, django_capture_on_commit_callbacks) -> Invoice:
    """A session charged to a card the bank declines: the invoice stays open."""
    settings.BILLING_HOLDS_ENABLED = False
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    with django_capture_on_commit_callbacks(execute=True):
        cdr = cdr_store(partner, cdr_data(our_token(user=driver), kwh="20"))
        cdr_rate(cdr_id=cdr.pk)
    invoice = Invoice.objects.get(cdr=cdr)
    assert invoice.payment_status == Invoice.PaymentStatus.OPEN
    return invoice


def test_open_invoices_come_first_with_pay_now_and_are_paid_through_stripe(
    driver, driver_client, settings, declined_invoice, django_capture_on_commit_callbacks
):
    token = TokenFactory(user=driver)
    newer_paid = InvoiceFactory(
        session=SessionFactory(token=token),
        issued_at=declined_invoice.issued_at + timedelta(days=2),
    )
    pay_path = f"/account/payments/{declined_invoice.payment_id}/"

    listing = driver_client.get("/account/invoices/").content.decode()

    assert listing.index(declined_invoice.number) < listing.index(newer_paid.number)
    assert listing.count("Pay now") == 1
    assert pay_path in listing
    good = save_card(driver, settings, number=VISA)
    with django_capture_on_commit_callbacks(execute=True):
        paid = driver_client.post(pay_path, {"payment_method": good["id"]})
    assert paid.status_code == 302
    declined_invoice.refresh_from_db()
    assert declined_invoice.payment_status == Invoice.PaymentStatus.PAID
    assert declined_invoice.amount_paid == Decimal("9.32")
    after = driver_client.get("/account/invoices/").content.decode()
    assert "Pay now" not in after
    assert after.index(newer_paid.number) < after.index(declined_invoice.number)
    detail = driver_client.get(f"/account/invoices/{declined_invoice.pk}/").content.decode()
    assert "paid on" in detail
    assert "invoice-unpaid" not in detail
    assert f"/account/invoices/{declined_invoice.pk}/pdf/" in detail


def test_the_open_invoice_page_says_unpaid_and_links_pay_now_and_the_pdf(
    driver_client, declined_invoice
):
    page = driver_client.get(f"/account/invoices/{declined_invoice.pk}/").content.decode()

    assert "unpaid: action needed" in page
    assert f"/account/payments/{declined_invoice.payment_id}/" in page
    assert f"/account/invoices/{declined_invoice.pk}/pdf/" in page


def test_the_app_filters_invoices_by_status_and_sees_what_to_pay(driver, declined_invoice):
    paid = InvoiceFactory(session=SessionFactory(token=TokenFactory(user=driver)))
    client = app_client(driver)

    open_only = client.get("/api/v1/invoices?status=open").json()
    paid_only = client.get("/api/v1/invoices?status=paid").json()

    assert [i["id"] for i in open_only["results"]] == [str(declined_invoice.pk)]
    assert open_only["results"][0]["open_payment_id"] == str(declined_invoice.payment_id)
    assert [i["id"] for i in paid_only["results"]] == [str(paid.pk)]
    assert paid_only["results"][0]["open_payment_id"] is None


@pytest.mark.parametrize(
    "query", ["status=unpaid", "status=OPEN", "status=", "status=open&status=paid"]
)
def test_a_bad_status_filter_is_refused(driver, query):
    response = app_client(driver).get(f"/api/v1/invoices?{query}")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_another_drivers_invoices_are_not_found_and_not_listed(
    driver, other_driver, client, declined_invoice
):
    client.force_login(other_driver)

    assert client.get(f"/account/invoices/{declined_invoice.pk}/").status_code == 404
    assert client.get(f"/account/invoices/{declined_invoice.pk}/pdf/").status_code == 404
    assert declined_invoice.number not in client.get("/account/invoices/").content.decode()
    api = app_client(other_driver)
    assert api.get(f"/api/v1/invoices/{declined_invoice.pk}").status_code == 404
    assert api.get("/api/v1/invoices?status=open").json()["count"] == 0


def test_the_invoice_list_is_paginated(driver, driver_client):
    token = TokenFactory(user=driver)
    now = timezone.now()
    for day in range(52):
        InvoiceFactory(session=SessionFactory(token=token), issued_at=now - timedelta(days=day))

    first = driver_client.get("/account/invoices/").content.decode()
    second = driver_client.get("/account/invoices/?page=2").content.decode()

    assert first.count("/pdf/") == 50
    assert second.count("/pdf/") == 2


def test_an_open_payment_of_a_follow_up_charge_is_what_pay_now_pays(driver, driver_client):
    hold = PaymentFactory(user=driver, kind=Payment.Kind.HOLD, state=Payment.State.SUCCEEDED)
    follow_up = PaymentFactory(user=driver, parent=hold, state=Payment.State.FAILED)
    InvoiceFactory(
        session=SessionFactory(token=TokenFactory(user=driver)),
        payment=hold,
        payment_status=Invoice.PaymentStatus.OPEN,
    )

    listing = driver_client.get("/account/invoices/").content.decode()

    assert f"/account/payments/{follow_up.pk}/" in listing


def test_payment_methods_are_in_the_account_navigation_with_add_remove_and_default(
    driver, driver_client, settings
):
    save_card(driver, settings, number=VISA)
    save_card(driver, settings, number=MASTERCARD)

    home = driver_client.get("/account/").content.decode()
    page = driver_client.get("/account/payment-methods/").content.decode()

    nav = home.split('class="nav-links"')[1].split("</ul>")[0]
    assert "/account/payment-methods/" in nav
    assert "/account/history/" in nav
    assert 'id="card-form"' in page
    assert page.count("/remove/") == 2
    assert page.count("/default/") == 1
