"""Billing tests run against the fake Stripe (localstripe) over loopback, emptied per test.

`card_saved` acts as the driver's app: it asks our API for a SetupIntent, confirms it at the
fake Stripe with the publishable key and a test card number (as Stripe.js or the mobile SDK
would), and asks our API to complete it.
"""

import hashlib
import hmac
import json
import time

import httpx
import pytest
from rest_framework.test import APIClient

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
DECLINED_AT_SETUP = "4000000000000002"
DECLINED_WHEN_CHARGED = "4000000000000341"
THREE_D_SECURE = "4000002500003155"


@pytest.fixture(autouse=True)
def _stripe(fake_stripe):
    return fake_stripe


def app_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def stripe_confirm_setup(
    setup: dict, number: str, settings, exp_year: int = 2034
) -> httpx.Response:
    """What Stripe.js / the app SDK does with the client secret and the card the driver typed."""
    setup_intent_id = setup["setup_intent_id"]
    return httpx.post(
        f"{settings.STRIPE_API_BASE}/v1/setup_intents/{setup_intent_id}/confirm",
        data={
            "key": setup["publishable_key"],
            "client_secret": setup["client_secret"],
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": str(exp_year),
            "payment_method_data[card][cvc]": "123",
        },
        timeout=10,
    )


def stripe_finish_setup_authentication(setup: dict, settings) -> httpx.Response:
    """The driver completes 3-D Secure for a SetupIntent (what the Stripe.js shim's modal does)."""
    return httpx.post(
        f"{settings.STRIPE_API_BASE}/v1/setup_intents/{setup['setup_intent_id']}/confirm",
        data={"key": setup["publishable_key"], "client_secret": setup["client_secret"]},
        timeout=10,
    )


def stripe_authenticate_payment(client_secret: str, settings, success: bool = True):
    """The driver completes (or fails) 3-D Secure for a PaymentIntent."""
    intent_id = client_secret.split("_secret_")[0]
    return httpx.post(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate",
        data={
            "key": settings.STRIPE_PUBLISHABLE_KEY,
            "client_secret": client_secret,
            "success": "true" if success else "false",
        },
        timeout=10,
    )


def save_card(
    user, settings, number: str = VISA, *, exp_year: int = 2034, status: int = 201
) -> dict:
    """Save a card through the app's API flow; returns the saved card as the API shows it
    (`status` 200: the driver had saved this card before)."""
    client = app_client(user)
    setup = client.post("/api/v1/payment-methods/setup", format="json").json()
    confirmed = stripe_confirm_setup(setup, number, settings, exp_year)
    assert confirmed.status_code == 200, confirmed.text
    if confirmed.json()["status"] == "requires_action":
        assert stripe_finish_setup_authentication(setup, settings).status_code == 200
    response = client.post(
        f"/api/v1/payment-methods/setup/{setup['setup_intent_id']}/complete", format="json"
    )
    assert response.status_code == status, response.content
    return response.json()


def stripe_payment_intents(settings) -> list[dict]:
    """Every PaymentIntent the fake Stripe holds (PaymentIntent.list without filters)."""
    from billing.stripe_gateway import client

    intents = client().v1.payment_intents.list(params={"limit": 100})
    return [intent.to_dict() for intent in intents.data]


def stripe_charged_intents(settings) -> list[dict]:
    return [i for i in stripe_payment_intents(settings) if i["status"] == "succeeded"]


def signed(payload: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """Sign an event as Stripe does: HMAC-SHA256 of "timestamp.payload" with the secret."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, f"t={timestamp},v1={signature.hexdigest()}"
