"""Who may start charging: a usable card and no unpaid payments over the limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Payment
from billing.selectors import (
    charging_eligibility_get,
    payment_method_usable_get,
    payments_unpaid_limit_reached,
)
from tests.billing.conftest import app_client
from tests.billing.factories import PaymentFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


def test_a_driver_without_a_card_may_not_charge(driver):
    assert charging_eligibility_get(user=driver).reason == "no_payment_method"
    assert charging_eligibility_get(user=driver).allowed is False


def test_a_driver_with_a_valid_card_may_charge(driver):
    card = PaymentMethodFactory(user=driver)

    assert payment_method_usable_get(user=driver) == card
    assert charging_eligibility_get(user=driver).allowed is True


def test_an_expired_default_card_falls_back_to_another_valid_card(driver):
    today = timezone.now().date()
    PaymentMethodFactory(user=driver, exp_year=today.year - 1, is_default=True)
    valid = PaymentMethodFactory(user=driver, is_default=False)

    assert payment_method_usable_get(user=driver) == valid


def test_only_expired_cards_are_not_usable(driver):
    today = timezone.now().date()
    last_month = today.replace(day=1) - timedelta(days=1)
    PaymentMethodFactory(user=driver, exp_year=last_month.year, exp_month=last_month.month)

    assert payment_method_usable_get(user=driver) is None
    assert charging_eligibility_get(user=driver).reason == "no_payment_method"


def test_a_card_valid_until_the_end_of_this_month_is_usable(driver):
    today = timezone.now().date()
    card = PaymentMethodFactory(user=driver, exp_year=today.year, exp_month=today.month)

    assert payment_method_usable_get(user=driver) == card


def test_too_many_unpaid_payments_stop_charging(driver, settings):
    settings.BILLING_UNPAID_LIMIT_COUNT = 2
    PaymentMethodFactory(user=driver)
    PaymentFactory(user=driver, state=Payment.State.FAILED)
    assert charging_eligibility_get(user=driver).allowed is True

    PaymentFactory(user=driver, state=Payment.State.REQUIRES_ACTION)

    assert payments_unpaid_limit_reached(user=driver) is True
    assert charging_eligibility_get(user=driver).reason == "unpaid_payments"


def test_one_payment_unpaid_for_too_long_stops_charging(driver, settings):
    settings.BILLING_UNPAID_LIMIT_DAYS = 14
    PaymentMethodFactory(user=driver)
    old = PaymentFactory(user=driver, state=Payment.State.FAILED)
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))

    assert charging_eligibility_get(user=driver).reason == "unpaid_payments"


def test_other_drivers_unpaid_payments_do_not_count(driver, other_driver):
    PaymentMethodFactory(user=driver)
    PaymentFactory.create_batch(3, user=other_driver, state=Payment.State.FAILED)

    assert charging_eligibility_get(user=driver).allowed is True


def test_the_rule_is_two_queries(driver, django_assert_num_queries):
    PaymentMethodFactory(user=driver)
    PaymentFactory(user=driver, state=Payment.State.FAILED)

    with django_assert_num_queries(2):
        charging_eligibility_get(user=driver)


def test_the_app_asks_whether_it_may_charge(driver):
    response = app_client(driver).get("/api/v1/charging-eligibility")

    assert response.status_code == 200
    assert response.json() == {"allowed": False, "reason": "no_payment_method"}


def test_another_drivers_payment_is_not_found_on_every_payment_endpoint(
    driver, other_driver, client
):
    theirs = PaymentFactory(user=other_driver, state=Payment.State.FAILED)
    card = PaymentMethodFactory(user=driver)
    api = app_client(driver)
    client.force_login(driver)

    responses = [
        api.get(f"/api/v1/payments/{theirs.pk}"),
        api.post(f"/api/v1/payments/{theirs.pk}/pay", {"payment_method_id": str(card.pk)}),
        api.post(f"/api/v1/payments/{theirs.pk}/refresh"),
        client.get(f"/account/payments/{theirs.pk}/"),
        client.post(f"/account/payments/{theirs.pk}/", {"payment_method": str(card.pk)}),
        client.post(f"/account/payments/{theirs.pk}/refresh/"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert api.get("/api/v1/payments").json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.state == Payment.State.FAILED


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"payment_method_id": "nope"},
        {"payment_method_id": None},
        ["x"],
        "string",
        {"payment_method_id": "00000000-0000-0000-0000-000000000000", "extra": 1},
    ],
    ids=["missing", "not-a-uuid", "null", "list", "string", "unknown-field"],
)
def test_paying_with_bad_input_is_refused(driver, body):
    payment = PaymentFactory(user=driver, state=Payment.State.FAILED)

    response = app_client(driver).post(f"/api/v1/payments/{payment.pk}/pay", body, format="json")

    assert response.status_code == 400
    assert "error" in response.json()
    payment.refresh_from_db()
    assert payment.attempts.count() == 0


def test_paying_with_another_drivers_card_is_not_found(driver, other_driver):
    payment = PaymentFactory(user=driver, state=Payment.State.FAILED)
    theirs = PaymentMethodFactory(user=other_driver)

    response = app_client(driver).post(
        f"/api/v1/payments/{payment.pk}/pay", {"payment_method_id": str(theirs.pk)}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "data",
    [{}, {"payment_method": "nope"}, {"payment_method": "00000000-0000-0000-0000-000000000000"}],
    ids=["missing", "malformed", "not-theirs"],
)
def test_the_pay_page_refuses_bad_input(driver, driver_client, other_driver, data):
    payment = PaymentFactory(user=driver, state=Payment.State.FAILED)
    PaymentMethodFactory(user=driver)

    response = driver_client.post(f"/account/payments/{payment.pk}/", data)

    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert payment.attempts.count() == 0


def test_the_payments_page_lists_open_payments_with_a_pay_link(driver, driver_client):
    payment = PaymentFactory(user=driver, state=Payment.State.FAILED, description="Invoice 7")

    response = driver_client.get("/account/payments/")

    assert f"/account/payments/{payment.pk}/" in response.content.decode()
    assert b"Pay now" in response.content
