"""Off-session charges: exactly one per thing paid, declines and 3-D Secure, paying on-session."""

from decimal import Decimal

import pytest
from django.core import mail

from billing import services
from billing.models import Payment, PaymentAttempt
from billing.stripe_gateway import payment_intent_retrieve
from tests.billing.conftest import (
    DECLINED_WHEN_CHARGED,
    THREE_D_SECURE,
    app_client,
    save_card,
    stripe_authenticate_payment,
    stripe_charged_intents,
    stripe_payment_intents,
)

pytestmark = pytest.mark.django_db(transaction=True)


def charge(user, amount="12.34", currency="EUR", reference="INV-1"):
    return services.payment_charge(
        user=user,
        purpose="invoice",
        reference=reference,
        amount=Decimal(amount),
        currency=currency,
        description=f"Invoice {reference}",
    )


def test_a_charge_takes_the_amount_from_the_default_card(driver, settings):
    save_card(driver, settings)

    payment = charge(driver)
    payment.refresh_from_db()

    assert payment.state == Payment.State.SUCCEEDED
    assert payment.amount_captured == Decimal("12.34")
    [intent] = stripe_payment_intents(settings)
    assert intent["status"] == "succeeded"
    assert intent["amount"] == 1234
    assert intent["currency"] == "eur"
    assert intent["metadata"]["emsp_payment_id"] == str(payment.pk)
    assert payment.attempts.get().stripe_payment_intent_id == intent["id"]


def test_asking_twice_to_charge_the_same_thing_charges_once(driver, settings):
    save_card(driver, settings)

    first = charge(driver)
    second = charge(driver)
    services.payment_process(payment_id=first.pk)

    assert first.pk == second.pk
    assert len(stripe_payment_intents(settings)) == 1
    assert Payment.objects.count() == 1
    assert PaymentAttempt.objects.count() == 1


def test_asking_for_the_same_thing_with_another_amount_is_refused(driver, settings):
    save_card(driver, settings)
    charge(driver, amount="12.34")

    with pytest.raises(services.PaymentError):
        charge(driver, amount="99.00")

    assert len(stripe_payment_intents(settings)) == 1


def test_a_declined_card_leaves_the_payment_open_and_the_driver_pays_with_another(
    driver, driver_client, settings
):
    failing = save_card(driver, settings, DECLINED_WHEN_CHARGED)
    payment = charge(driver)
    payment.refresh_from_db()
    good = save_card(driver, settings)

    assert payment.state == Payment.State.FAILED
    assert payment.failure_code == "card_declined"
    assert payment.next_retry_at is not None
    assert str(payment.payment_method_id) == failing["id"]
    assert mail.outbox[-1].to == [driver.email]
    assert f"/account/payments/{payment.pk}/" in mail.outbox[-1].body

    page = driver_client.post(
        f"/account/payments/{payment.pk}/", {"payment_method": good["id"]}, follow=True
    )

    payment.refresh_from_db()
    assert page.status_code == 200
    assert b"the payment is made" in page.content
    assert payment.state == Payment.State.SUCCEEDED
    assert payment.attempts.count() == 2
    assert [i["status"] for i in stripe_payment_intents(settings)].count("succeeded") == 1
    statuses = sorted(payment.attempts.values_list("status", flat=True))
    assert statuses == ["canceled", "succeeded"]


def test_3d_secure_off_session_needs_the_driver_and_completes_on_session(driver, settings):
    card = save_card(driver, settings, THREE_D_SECURE)
    payment = charge(driver)
    payment.refresh_from_db()
    assert payment.state == Payment.State.REQUIRES_ACTION
    assert payment.failure_code == "authentication_required"

    answer = app_client(driver).post(
        f"/api/v1/payments/{payment.pk}/pay", {"payment_method_id": card["id"]}, format="json"
    )
    client_secret = answer.json()["client_secret"]
    assert answer.status_code == 200
    assert client_secret.startswith(payment.stripe_payment_intent_id)
    assert stripe_authenticate_payment(client_secret, settings).status_code == 200
    refreshed = app_client(driver).post(f"/api/v1/payments/{payment.pk}/refresh", format="json")

    assert refreshed.json()["state"] == "succeeded"
    assert len(stripe_charged_intents(settings)) == 1


def test_the_pay_page_hands_the_client_secret_to_stripe_js_for_3d_secure(
    driver, driver_client, settings
):
    card = save_card(driver, settings, THREE_D_SECURE)
    payment = charge(driver)

    page = driver_client.post(f"/account/payments/{payment.pk}/", {"payment_method": card["id"]})

    payment.refresh_from_db()
    intent = payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
    html = page.content.decode()
    assert page.status_code == 200
    assert "confirmCardPayment" in html
    assert intent.client_secret in html
    assert settings.STRIPE_JS_URL in html

    stripe_authenticate_payment(intent.client_secret, settings)
    done = driver_client.post(f"/account/payments/{payment.pk}/refresh/", follow=True)

    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert b"the payment is made" in done.content


def test_a_driver_without_a_card_gets_an_open_payment(driver, settings):
    payment = charge(driver)
    payment.refresh_from_db()

    assert payment.state == Payment.State.FAILED
    assert payment.failure_code == "no_payment_method"
    assert stripe_payment_intents(settings) == []


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("1500", "JPY", 1500), ("12.50", "EUR", 1250), ("5.120", "KWD", 5120)],
    ids=["zero-decimal-JPY", "EUR", "three-decimal-KWD"],
)
def test_amounts_reach_stripe_in_the_currencys_minor_units(
    driver, settings, amount, currency, minor
):
    save_card(driver, settings)

    payment = charge(driver, amount=amount, currency=currency)
    payment.refresh_from_db()

    [intent] = stripe_payment_intents(settings)
    assert intent["amount"] == minor
    assert intent["currency"] == currency.lower()
    assert payment.amount_captured == Decimal(amount)
    shown = app_client(driver).get(f"/api/v1/payments/{payment.pk}").json()
    written = {"JPY": "1500", "EUR": "12.50", "KWD": "5.120"}[currency]
    assert (shown["amount"], shown["amount_captured"]) == (written, written)
    assert shown["amount_refunded"] == {"JPY": "0", "EUR": "0.00", "KWD": "0.000"}[currency]


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("12.345", "EUR"), ("10.5", "JPY"), ("-1.00", "EUR"), ("1.00", "EURO"), ("5.125", "KWD")],
    ids=["too-precise", "fraction-of-yen", "negative", "bad-currency", "kwd-not-ending-in-0"],
)
def test_amounts_stripe_cannot_take_exactly_are_refused(driver, settings, amount, currency):
    save_card(driver, settings)

    with pytest.raises(services.PaymentError):
        charge(driver, amount=amount, currency=currency)

    assert not Payment.objects.exists()


def test_an_amount_below_the_minimum_is_carried_to_the_next_payment(driver, settings):
    save_card(driver, settings)

    small = charge(driver, amount="0.30", reference="INV-small")
    next_one = charge(driver, amount="10.00", reference="INV-next")
    small.refresh_from_db()
    next_one.refresh_from_db()

    assert small.state == Payment.State.SUCCEEDED
    assert small.settled_by == next_one
    assert next_one.amount == Decimal("10.30")
    assert next_one.amount_carried_in == Decimal("0.30")
    [intent] = stripe_payment_intents(settings)
    assert intent["amount"] == 1030


def test_small_amounts_wait_until_together_they_reach_the_minimum(driver, settings):
    save_card(driver, settings)

    first = charge(driver, amount="0.20", reference="A")
    second = charge(driver, amount="0.20", reference="B")
    waiting = [Payment.objects.get(pk=p.pk).state for p in (first, second)]
    assert stripe_payment_intents(settings) == []
    third = charge(driver, amount="0.20", reference="C")

    assert waiting == ["carried", "carried"]
    states = [Payment.objects.get(pk=p.pk).state for p in (first, second, third)]
    assert states == ["succeeded", "succeeded", "succeeded"]
    assert Payment.objects.get(pk=first.pk).settled_by_id == third.pk
    assert Payment.objects.get(pk=third.pk).amount == Decimal("0.60")
    assert [i["amount"] for i in stripe_payment_intents(settings)] == [60]


def test_carried_amounts_past_their_time_are_waived_and_recorded(driver, settings):
    settings.BILLING_SMALL_AMOUNT_WAIVE_AFTER_DAYS = 0
    small = charge(driver, amount="0.10")

    found = services.payments_sweep()

    small.refresh_from_db()
    assert small.state == Payment.State.WAIVED
    assert found["waived"] == [str(small.pk)]
