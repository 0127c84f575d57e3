"""Unpaid invoices: a declined card or a bank asking for authentication leaves the invoice open
and tells the driver (email, web page with "Pay now", the app's open payment); paid later
on-session with another card. Past the unpaid limit the driver's tokens are blocked and every
connected CPO receives the Token PUT; once paid they are unblocked and pushed again."""

from decimal import Decimal

import pytest
from django.core import mail

from billing.models import Invoice, Payment, TokenBlock
from billing.services.invoices import invoice_payment_sync
from drivers.models import Token
from roaming.services.token_push import token_push
from tests.billing.conftest import (
    DECLINED_WHEN_CHARGED,
    THREE_D_SECURE,
    VISA,
    app_client,
    save_card,
    stripe_authenticate_payment,
)
from tests.billing.cpo_tokens import TokensReceiver
from tests.billing.invoicing import cdr_data, cdr_store, location, our_token, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo_tokens():
    with TokensReceiver() as receiver:
        yield receiver


@pytest.fixture
def partner(cpo_tokens, settings):
    settings.BILLING_HOLDS_ENABLED = False
    partner = cpo_tokens.partner()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


def charge_session(partner, token, capture, **kwargs) -> Invoice:
    with capture(execute=True):
        cdr = cdr_store(partner, cdr_data(token, **kwargs))
    return Invoice.objects.get(cdr=cdr)


def test_a_declined_card_leaves_the_invoice_open_and_the_driver_pays_with_another_card(
    partner, driver, settings, driver_client, django_capture_on_commit_callbacks
):
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    mail.outbox.clear()

    invoice = charge_session(partner, token, django_capture_on_commit_callbacks)

    assert invoice.payment_status == Invoice.PaymentStatus.OPEN
    payment = invoice.payment
    assert payment.state == Payment.State.FAILED
    assert any("Payment needed" in message.subject for message in mail.outbox)
    page = driver_client.get(f"/account/invoices/{invoice.pk}/").content.decode()
    assert "invoice-unpaid" in page
    assert f"/account/payments/{payment.pk}/" in page
    detail = app_client(driver).get(f"/api/v1/invoices/{invoice.pk}").json()
    assert detail["open_payment_id"] == str(payment.pk)

    good = save_card(driver, settings, number=VISA)
    with django_capture_on_commit_callbacks(execute=True):
        paid = app_client(driver).post(
            f"/api/v1/payments/{payment.pk}/pay", {"payment_method_id": good["id"]}, format="json"
        )

    assert paid.status_code == 200, paid.content
    invoice.refresh_from_db()
    assert invoice.payment_status == Invoice.PaymentStatus.PAID
    assert invoice.amount_paid == Decimal("9.32")
    assert any(invoice.number in message.subject for message in mail.outbox)


def test_a_bank_asking_for_authentication_is_paid_on_session(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    card = save_card(driver, settings, number=THREE_D_SECURE)
    token = our_token(user=driver)

    invoice = charge_session(partner, token, django_capture_on_commit_callbacks)

    assert invoice.payment_status == Invoice.PaymentStatus.OPEN
    assert invoice.payment.state == Payment.State.REQUIRES_ACTION
    client = app_client(driver)
    answer = client.post(
        f"/api/v1/payments/{invoice.payment_id}/pay",
        {"payment_method_id": card["id"]},
        format="json",
    ).json()
    assert answer["client_secret"]
    assert stripe_authenticate_payment(answer["client_secret"], settings).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/payments/{invoice.payment_id}/refresh", format="json")

    invoice.refresh_from_db()
    assert invoice.payment_status == Invoice.PaymentStatus.PAID


def test_past_the_unpaid_limit_tokens_are_blocked_and_pushed_until_paid(
    partner, driver, settings, cpo_tokens, django_capture_on_commit_callbacks
):
    settings.BILLING_UNPAID_LIMIT_COUNT = 2
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    app_token = our_token(user=driver, type=Token.Type.APP_USER)

    first = charge_session(partner, token, django_capture_on_commit_callbacks)
    assert Token.objects.get(pk=token.pk).valid  # one unpaid invoice: not yet
    second = charge_session(partner, token, django_capture_on_commit_callbacks)

    assert {first.payment_status, second.payment_status} == {"open"}
    assert not Token.objects.get(pk=token.pk).valid
    assert not Token.objects.get(pk=app_token.pk).valid
    pushed = {
        (entry["path"].split("?")[0].rsplit("/", 1)[-1], entry["body"]["valid"])
        for entry in cpo_tokens.received
    }
    assert pushed == {(token.uid, False), (app_token.uid, False)}
    assert cpo_tokens.received[0]["path"].startswith("/ocpi/cpo/2.2.1/tokens/NL/EMS/")
    assert "type=" in cpo_tokens.received[0]["path"]
    assert app_client(driver).get("/api/v1/charging-eligibility").json()["allowed"] is False

    good = save_card(driver, settings, number=VISA)
    for invoice in (first, second):
        with django_capture_on_commit_callbacks(execute=True):
            app_client(driver).post(
                f"/api/v1/payments/{invoice.payment_id}/pay",
                {"payment_method_id": good["id"]},
                format="json",
            )

    assert Token.objects.get(pk=token.pk).valid
    assert Token.objects.get(pk=app_token.pk).valid
    assert not TokenBlock.objects.exists()
    assert (token.uid, True) in {
        (entry["path"].split("?")[0].rsplit("/", 1)[-1], entry["body"]["valid"])
        for entry in cpo_tokens.received
    }


def test_a_token_support_blocked_stays_blocked_after_payment(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_UNPAID_LIMIT_COUNT = 1
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    lost_card = our_token(user=driver, valid=False)  # blocked by support: card reported lost

    invoice = charge_session(partner, token, django_capture_on_commit_callbacks)
    assert not Token.objects.get(pk=token.pk).valid
    Payment.objects.filter(pk=invoice.payment_id).update(state=Payment.State.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_payment_sync(invoice_id=invoice.pk)

    assert Token.objects.get(pk=token.pk).valid
    assert not Token.objects.get(pk=lost_card.pk).valid


def test_a_cpo_that_is_down_is_reported_retryable(partner, driver, cpo_tokens):
    cpo_tokens.fail_first = 100
    token = our_token(user=driver)

    down = token_push(token=token)  # the client's own retries fail too
    cpo_tokens.fail_first = 0
    up = token_push(token=token)

    assert [(r.ok, r.retryable) for r in down] == [(False, True)]
    assert [r.ok for r in up] == [True]
    assert cpo_tokens.received[0]["body"]["uid"] == token.uid
