"""Pre-authorisation holds: partial capture, a session dearer than its hold, release."""

from decimal import Decimal

import pytest

from billing import services
from billing.models import Payment
from billing.stripe_gateway import charge_retrieve, payment_intent_retrieve
from tests.billing.conftest import (
    DECLINED_WHEN_CHARGED,
    save_card,
    stripe_charged_intents,
    stripe_payment_intents,
)

pytestmark = pytest.mark.django_db(transaction=True)


def hold(user, amount="50.00", currency="EUR", reference="S-1"):
    return services.payment_hold_place(
        user=user,
        purpose="session",
        reference=reference,
        amount=Decimal(amount),
        currency=currency,
        description="Charging session",
    )


def test_a_hold_is_authorised_off_session_with_manual_capture(driver, settings):
    save_card(driver, settings)

    payment = hold(driver)

    assert payment.state == Payment.State.AUTHORIZED
    assert payment.amount_authorized == Decimal("50.00")
    [intent] = stripe_payment_intents(settings)
    assert intent["status"] == "requires_capture"
    assert intent["capture_method"] == "manual"
    assert intent["amount"] == 5000


def test_the_hold_is_capped(driver, settings):
    settings.BILLING_HOLD_CAP = {"EUR": "30.00"}
    save_card(driver, settings)

    payment = hold(driver, amount="80.00")

    assert payment.amount_authorized == Decimal("30.00")
    assert stripe_payment_intents(settings)[0]["amount"] == 3000


def test_a_partial_capture_keeps_what_was_captured_and_releases_the_rest(driver, settings):
    save_card(driver, settings)
    payment = hold(driver)

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("12.34"))

    assert captured.state == Payment.State.SUCCEEDED
    assert captured.amount_captured == Decimal("12.34")
    assert captured.amount == Decimal("12.34")
    assert not captured.follow_ups.exists()
    intent = payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
    charge = charge_retrieve(charge_id=intent.latest_charge_id)
    # the fake Stripe shows the whole hold charged and the rest refunded
    assert charge.amount - charge.amount_refunded == Decimal("12.34")


def test_capturing_again_changes_nothing(driver, settings):
    save_card(driver, settings)
    payment = hold(driver)
    services.payment_capture(payment_id=payment.pk, amount=Decimal("12.34"))

    again = services.payment_capture(payment_id=payment.pk, amount=Decimal("40.00"))

    assert again.amount_captured == Decimal("12.34")
    assert len(stripe_charged_intents(settings)) == 1


def test_a_session_dearer_than_its_hold_captures_in_full_and_charges_the_difference(
    driver, settings
):
    save_card(driver, settings)
    payment = hold(driver, amount="20.00")

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("27.50"))

    [difference] = captured.follow_ups.all()
    assert captured.amount_captured == Decimal("20.00")
    assert difference.state == Payment.State.SUCCEEDED
    assert difference.amount_captured == Decimal("7.50")
    assert difference.kind == Payment.Kind.CHARGE
    amounts = sorted(i["amount"] for i in stripe_charged_intents(settings))
    assert amounts == [750, 2000]
    assert {p.pk for p in services_payments_for("session", "S-1")} == {payment.pk, difference.pk}


def services_payments_for(purpose, reference):
    from billing.selectors import payment_list_for

    return list(payment_list_for(purpose=purpose, reference=reference)) + list(
        Payment.objects.filter(parent__purpose=purpose, parent__reference=reference)
    )


def test_a_small_difference_is_carried_not_charged(driver, settings):
    save_card(driver, settings)
    payment = hold(driver, amount="20.00")

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("20.30"))

    [difference] = captured.follow_ups.all()
    assert difference.state == Payment.State.CARRIED
    assert difference.amount == Decimal("0.30")
    assert len(stripe_charged_intents(settings)) == 1


def test_a_final_amount_below_the_minimum_releases_the_hold_and_is_carried(driver, settings):
    save_card(driver, settings)
    payment = hold(driver)

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("0.40"))

    [carried] = captured.follow_ups.all()
    assert captured.state == Payment.State.CANCELED
    assert carried.state == Payment.State.CARRIED
    assert carried.amount == Decimal("0.40")
    assert stripe_payment_intents(settings)[0]["status"] == "canceled"
    assert stripe_charged_intents(settings) == []


def test_a_declined_hold_is_charged_in_full_when_the_session_ends(driver, settings):
    save_card(driver, settings, DECLINED_WHEN_CHARGED)
    payment = hold(driver)
    assert payment.state == Payment.State.FAILED
    save_card(driver, settings)
    services.payment_method_set_default(
        user=driver, payment_method_id=driver.payment_methods.order_by("-created_at").first().pk
    )

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("9.99"))

    [instead] = captured.follow_ups.all()
    assert captured.state == Payment.State.CANCELED
    assert instead.state == Payment.State.SUCCEEDED
    assert instead.amount_captured == Decimal("9.99")


def test_a_released_hold_is_canceled_at_stripe(driver, settings):
    save_card(driver, settings)
    payment = hold(driver)

    released = services.payment_release(payment_id=payment.pk)
    again = services.payment_release(payment_id=payment.pk)

    assert released.state == again.state == Payment.State.CANCELED
    assert stripe_payment_intents(settings)[0]["status"] == "canceled"


def test_placing_the_same_hold_twice_places_one(driver, settings):
    save_card(driver, settings)

    first = hold(driver)
    second = hold(driver)

    assert first.pk == second.pk
    assert len(stripe_payment_intents(settings)) == 1


def test_a_zero_decimal_hold_and_capture(driver, settings):
    save_card(driver, settings)
    payment = hold(driver, amount="5000", currency="JPY")

    captured = services.payment_capture(payment_id=payment.pk, amount=Decimal("1234"))

    assert stripe_payment_intents(settings)[0]["amount"] == 5000
    assert captured.amount_captured == Decimal("1234")
