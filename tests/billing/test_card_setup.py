"""Saving cards: SetupIntent through the app's API, Stripe's answer as the truth, own cards only."""

import uuid

import pytest

from billing.models import CardSetup, PaymentMethod
from tests.billing.conftest import (
    DECLINED_AT_SETUP,
    MASTERCARD,
    THREE_D_SECURE,
    VISA,
    app_client,
    save_card,
    stripe_confirm_setup,
    stripe_finish_setup_authentication,
)
from tests.billing.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


def test_a_card_saved_through_the_app_is_listed_as_the_default(driver, settings):
    card = save_card(driver, settings)

    listed = app_client(driver).get("/api/v1/payment-methods").json()

    assert [c["id"] for c in listed] == [card["id"]]
    assert listed[0]["last4"] == "4242"
    assert listed[0]["exp_year"] == 2034
    assert listed[0]["is_default"] is True
    stored = PaymentMethod.objects.get(pk=card["id"])
    assert stored.user == driver
    assert stored.stripe_id.startswith("pm_")
    assert driver.stripe_customer.stripe_id.startswith("cus_")


def test_the_customer_is_created_once_for_many_setups(driver, settings):
    save_card(driver, settings)
    save_card(driver, settings, MASTERCARD)

    assert PaymentMethod.objects.filter(user=driver).count() == 2
    assert PaymentMethod.objects.filter(user=driver, is_default=True).count() == 1
    from billing.stripe_gateway import client

    customers = client().v1.customers.list(params={"limit": 100}).data
    assert len(customers) == 1


def test_a_card_declined_at_setup_is_not_saved(driver, settings):
    client = app_client(driver)
    setup = client.post("/api/v1/payment-methods/setup", format="json").json()

    confirmed = stripe_confirm_setup(setup, DECLINED_AT_SETUP, settings)
    response = client.post(
        f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete", format="json"
    )

    assert confirmed.status_code == 402
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "declined"
    assert not PaymentMethod.objects.exists()
    assert CardSetup.objects.get().status == CardSetup.Status.FAILED


def test_a_card_needing_3d_secure_is_saved_only_after_authentication(driver, settings):
    client = app_client(driver)
    setup = client.post("/api/v1/payment-methods/setup", format="json").json()
    complete = f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete"

    assert stripe_confirm_setup(setup, THREE_D_SECURE, settings).json()["status"] == (
        "requires_action"
    )
    early = client.post(complete, format="json")
    stripe_finish_setup_authentication(setup, settings)
    done = client.post(complete, format="json")

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "incomplete"
    assert done.status_code == 201
    assert done.json()["last4"] == "3155"


def test_completing_twice_keeps_one_card(driver, settings):
    client = app_client(driver)
    setup = client.post("/api/v1/payment-methods/setup", format="json").json()
    stripe_confirm_setup(setup, "4242424242424242", settings)
    path = f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete"

    first = client.post(path, format="json")
    second = client.post(path, format="json")

    assert first.json()["id"] == second.json()["id"]
    assert PaymentMethod.objects.count() == 1


def test_set_default_and_remove(driver, settings):
    first = save_card(driver, settings)
    second = save_card(driver, settings, MASTERCARD)
    client = app_client(driver)

    made_default = client.post(f"/api/v1/payment-methods/{second['id']}/default", format="json")
    removed = client.delete(f"/api/v1/payment-methods/{second['id']}")

    assert made_default.status_code == 200
    assert made_default.json()["is_default"] is True
    assert removed.status_code == 204
    remaining = client.get("/api/v1/payment-methods").json()
    assert [(c["id"], c["is_default"]) for c in remaining] == [(first["id"], True)]
    from billing.stripe_gateway import card_retrieve

    detached = card_retrieve(payment_method_id=PaymentMethod.objects.get().stripe_id)
    assert detached.customer_id


def stripe_card(stripe_id: str):
    from billing.stripe_gateway import card_retrieve

    return card_retrieve(payment_method_id=stripe_id)


def test_saving_the_same_card_again_keeps_the_one_saved(driver, settings):
    first = save_card(driver, settings)
    save_card(driver, settings, MASTERCARD)

    again = save_card(driver, settings, VISA, status=200)

    assert again["id"] == first["id"]
    assert again["is_default"] is True
    listed = app_client(driver).get("/api/v1/payment-methods").json()
    assert sorted(c["last4"] for c in listed) == ["4242", "4444"]
    copies = CardSetup.objects.filter(user=driver, status=CardSetup.Status.SUCCEEDED)
    assert copies.count() == 3
    # the second copy of the card was dropped from the driver's Stripe Customer
    kept = PaymentMethod.objects.get(pk=first["id"]).stripe_id
    customer = driver.stripe_customer.stripe_id
    from billing.stripe_gateway import client

    attached = client().v1.payment_methods.list(
        params={"customer": customer, "type": "card", "limit": 100}
    )
    visas = [m.id for m in attached.data if m.card.last4 == "4242"]
    assert visas == [kept]


def test_completing_a_setup_of_a_card_saved_before_twice_answers_the_same(driver, settings):
    first = save_card(driver, settings)
    client = app_client(driver)
    setup = client.post("/api/v1/payment-methods/setup", format="json").json()
    stripe_confirm_setup(setup, VISA, settings)
    path = f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete"

    answers = [client.post(path, format="json") for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["id"] for a in answers} == {first["id"]}
    assert PaymentMethod.objects.filter(user=driver).count() == 1


def test_a_reissued_card_takes_the_old_ones_place(driver, settings):
    old = save_card(driver, settings, VISA, exp_year=2030)
    other = save_card(driver, settings, MASTERCARD)
    old_stripe_id = PaymentMethod.objects.get(pk=old["id"]).stripe_id

    new = save_card(driver, settings, VISA, exp_year=2033)

    listed = app_client(driver).get("/api/v1/payment-methods").json()
    assert [(c["id"], c["exp_year"], c["is_default"]) for c in listed] == [
        (new["id"], 2033, True),
        (other["id"], 2034, False),
    ]
    assert not PaymentMethod.objects.filter(pk=old["id"]).exists()
    assert not stripe_card(old_stripe_id).customer_id


def test_another_driver_may_save_the_same_card_number(driver, other_driver, settings):
    mine = save_card(driver, settings)

    theirs = save_card(other_driver, settings)

    assert theirs["id"] != mine["id"]
    assert PaymentMethod.objects.filter(user=other_driver).count() == 1
    assert PaymentMethod.objects.filter(user=driver).count() == 1


def test_the_page_says_when_a_card_was_saved_before(driver, driver_client, settings):
    save_card(driver, settings)
    setup = app_client(driver).post("/api/v1/payment-methods/setup", format="json").json()
    stripe_confirm_setup(setup, VISA, settings)

    response = driver_client.post(
        "/account/payment-methods/complete/",
        {"setup_intent_id": setup["setup_intent_id"]},
        follow=True,
    )

    assert "Your card ending in 4242 was already saved." in response.content.decode()
    assert PaymentMethod.objects.filter(user=driver).count() == 1


def test_another_drivers_setup_cannot_be_completed(driver, other_driver, settings):
    setup = app_client(other_driver).post("/api/v1/payment-methods/setup", format="json").json()
    stripe_confirm_setup(setup, "4242424242424242", settings)

    response = app_client(driver).post(
        f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete", format="json"
    )

    assert response.status_code == 404
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/payment-methods/{id}"),
        ("delete", "/api/v1/payment-methods/{id}"),
        ("post", "/api/v1/payment-methods/{id}/default"),
        ("post", "/account/payment-methods/{id}/default/"),
        ("post", "/account/payment-methods/{id}/remove/"),
    ],
    ids=["api-get", "api-delete", "api-default", "web-default", "web-remove"],
)
def test_another_drivers_card_is_not_found_on_every_card_endpoint(
    driver, other_driver, client, method, path
):
    theirs = PaymentMethodFactory(user=other_driver)
    client.force_login(driver)
    api = app_client(driver)

    caller = api if path.startswith("/api/") else client
    response = getattr(caller, method)(path.format(id=theirs.pk))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_default is True


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/payment-methods/setup", {"unexpected": "x"}),
        ("post", "/api/v1/payment-methods/setup", ["not", "an", "object"]),
        ("post", "/api/v1/payment-methods/setup/seti_unknown/complete", None),
        ("post", "/api/v1/payment-methods/setup/" + "x" * 2000 + "/complete", None),
        ("post", "/api/v1/payment-methods/setup/%3Cscript%3E/complete", None),
        ("get", "/api/v1/payment-methods/not-a-uuid", None),
        ("post", f"/api/v1/payment-methods/{uuid.uuid4()}/default", None),
        ("post", f"/api/v1/payment-methods/{uuid.uuid4()}/default", {"is_default": True}),
    ],
    ids=[
        "setup-with-body",
        "setup-with-list",
        "unknown-setup",
        "oversized-setup-id",
        "hostile-setup-id",
        "malformed-card-id",
        "unknown-card",
        "default-with-body",
    ],
)
def test_bad_input_on_card_endpoints_is_refused_and_changes_nothing(driver, method, path, body):
    response = getattr(app_client(driver), method)(path, body, format="json")

    assert response.status_code in {400, 404}
    assert "error" in response.json()
    assert not PaymentMethod.objects.exists()
    assert not CardSetup.objects.exists()


def test_card_endpoints_need_a_signed_in_driver():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/payment-methods").status_code == 401
    assert APIClient().post("/api/v1/payment-methods/setup").status_code == 401


def test_the_payment_methods_page_loads_stripe_js_from_the_configured_url(driver_client, settings):
    response = driver_client.get("/account/payment-methods/")

    assert response.status_code == 200
    assert f'<script src="{settings.STRIPE_JS_URL}"></script>' in response.content.decode()
    assert settings.STRIPE_JS_URL.endswith("/js.stripe.com/v3/")
    assert b"confirmCardSetup" in response.content
    assert b"Add a card to start charging." in response.content


def test_the_page_completes_a_setup_from_the_browser_and_lists_the_card(
    driver, driver_client, settings
):
    setup = app_client(driver).post("/api/v1/payment-methods/setup", format="json").json()
    stripe_confirm_setup(setup, "4242424242424242", settings)

    response = driver_client.post(
        "/account/payment-methods/complete/",
        {"setup_intent_id": setup["setup_intent_id"]},
        follow=True,
    )

    assert response.status_code == 200
    assert "•••• 4242" in response.content.decode()
    assert b"Add a card to start charging." not in response.content


@pytest.mark.parametrize(
    "data",
    [{}, {"setup_intent_id": ""}, {"setup_intent_id": "pi_123"}, {"setup_intent_id": "s" * 500}],
    ids=["missing", "empty", "wrong-kind", "oversized"],
)
def test_the_page_refuses_a_malformed_setup_completion(driver_client, data):
    response = driver_client.post("/account/payment-methods/complete/", data, follow=True)

    assert response.status_code == 200
    assert b"the request was not valid" in response.content
    assert not PaymentMethod.objects.exists()


def test_the_dashboard_links_to_payment_methods(driver_client):
    response = driver_client.get("/account/")

    assert b'href="/account/payment-methods/"' in response.content
