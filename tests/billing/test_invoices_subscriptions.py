"""Monthly plan fees: each ended period is invoiced once (in arrears, VAT of the driver's
country), marked billed in the plan, and charged like any invoice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services.subscriptions import subscription_fee_invoice, subscription_fees_invoice
from tariffs.selectors import subscription_fees_due
from tests.billing.conftest import app_client, save_card
from tests.tariffs.factories import PlanSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_each_ended_month_is_invoiced_once_and_charged(
    driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings)
    subscription = PlanSubscriptionFactory(
        user=driver, valid_from=timezone.now() - timedelta(days=70)
    )

    with django_capture_on_commit_callbacks(execute=True):
        issued = subscription_fees_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        again = subscription_fees_invoice()

    assert (issued, again) == (2, 0)
    invoices = list(Invoice.objects.order_by("sequence"))
    assert [i.sequence for i in invoices] == [1, 2]
    first = invoices[0]
    line = first.lines.get()
    # 4.99 excl. VAT, NL 21 %: 1.0479 -> 1.05
    assert (line.component, line.amount_excl_vat, line.vat_rate, line.vat_amount) == (
        "subscription",
        Decimal("4.99"),
        Decimal("21.00"),
        Decimal("1.05"),
    )
    assert first.total_incl_vat == Decimal("6.04")
    assert first.cdr is None
    assert subscription.plan.name in first.charge_description
    assert first.payment_status == Invoice.PaymentStatus.PAID
    assert Payment.objects.filter(purpose="invoice", state="succeeded").count() == 2
    assert subscription_fees_due() == []
    subscription.refresh_from_db()
    assert subscription.billed_until is not None
    detail = app_client(driver).get(f"/api/v1/invoices/{first.pk}").json()
    assert detail["lines"][0]["component"] == "subscription"
    assert app_client(driver).get(f"/api/v1/invoices/{first.pk}/pdf").status_code == 200


def test_the_same_fee_asked_twice_is_one_invoice(driver):
    PlanSubscriptionFactory(user=driver, valid_from=timezone.now() - timedelta(days=40))
    fee = subscription_fees_due()[0]

    first = subscription_fee_invoice(fee=fee)
    second = subscription_fee_invoice(fee=fee)

    assert first.pk == second.pk
    assert Invoice.objects.count() == 1
