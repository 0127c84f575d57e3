"""Stripe webhooks: signature checked, each event once, and only a trigger to re-read Stripe."""

import time
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from billing import services, stripe_gateway
from billing.models import Payment, Refund, WebhookEvent
from billing.stripe_gateway import client as stripe_client
from tests.billing.conftest import THREE_D_SECURE, save_card, signed, stripe_authenticate_payment

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/billing/stripe/webhook"


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:14]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def post(http, payload: dict, secret: str, timestamp: int | None = None, signature=None):
    body, header = signed(payload, secret, timestamp)
    return http.post(
        URL,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header if signature is None else signature,
    )


@pytest.fixture
def needs_action(driver, settings):
    save_card(driver, settings, THREE_D_SECURE)
    payment = services.payment_charge(
        user=driver, purpose="invoice", reference="W-1", amount=Decimal("8.00"), currency="EUR"
    )
    payment.refresh_from_db()
    assert payment.state == Payment.State.REQUIRES_ACTION
    return payment


def intent_object(payment: Payment, status: str) -> dict:
    return {"id": payment.stripe_payment_intent_id, "object": "payment_intent", "status": status}


def test_a_signed_event_updates_the_payment_from_stripes_own_state(client, needs_action, settings):
    secret = client_secret_of(needs_action)
    stripe_authenticate_payment(secret, settings)

    response = post(
        client,
        event("payment_intent.succeeded", intent_object(needs_action, "succeeded")),
        settings.STRIPE_WEBHOOK_SECRET,
    )

    needs_action.refresh_from_db()
    assert response.status_code == 200
    assert needs_action.state == Payment.State.SUCCEEDED
    stored = WebhookEvent.objects.get()
    assert stored.processed_at is not None
    assert stored.outcome.endswith("succeeded")


def test_the_event_body_is_not_trusted_only_stripes_answer(client, needs_action, settings):
    response = post(
        client,
        event("payment_intent.succeeded", intent_object(needs_action, "succeeded")),
        settings.STRIPE_WEBHOOK_SECRET,
    )

    needs_action.refresh_from_db()
    assert response.status_code == 200
    assert needs_action.state == Payment.State.REQUIRES_ACTION  # Stripe still says so


@pytest.mark.parametrize(
    ("secret", "age", "signature"),
    [
        ("whsec_someone_else", 0, None),
        (None, 301, None),
        (None, 0, "t=123,v1=deadbeef"),
        (None, 0, ""),
        (None, 0, "garbage"),
    ],
    ids=["wrong-secret", "too-old", "forged", "missing", "malformed"],
)
def test_a_bad_or_old_signature_is_refused_and_changes_nothing(
    client, needs_action, settings, secret, age, signature
):
    stripe_authenticate_payment(client_secret_of(needs_action), settings)

    response = post(
        client,
        event("payment_intent.succeeded", intent_object(needs_action, "succeeded")),
        secret or settings.STRIPE_WEBHOOK_SECRET,
        timestamp=int(time.time()) - age,
        signature=signature,
    )

    needs_action.refresh_from_db()
    assert response.status_code == 400
    assert needs_action.state == Payment.State.REQUIRES_ACTION
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"id": 1}', b"\xff\xfe" * 10],
    ids=["empty", "not-json", "list", "no-type", "binary"],
)
def test_malformed_payloads_with_a_valid_signature_are_refused(client, settings, body):
    import hashlib
    import hmac

    timestamp = int(time.time())
    mac = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()

    response = client.post(
        URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={mac}"
    )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_oversized_payload_is_refused(client, settings):
    payload = event("payment_intent.succeeded", {"id": "pi_x", "padding": "x" * 600_000})

    response = post(client, payload, settings.STRIPE_WEBHOOK_SECRET)

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_a_replayed_event_is_processed_once(client, needs_action, settings):
    stripe_authenticate_payment(client_secret_of(needs_action), settings)
    payload = event("payment_intent.succeeded", intent_object(needs_action, "succeeded"))

    first = post(client, payload, settings.STRIPE_WEBHOOK_SECRET)
    replay = post(client, payload, settings.STRIPE_WEBHOOK_SECRET)

    assert first.status_code == replay.status_code == 200
    assert replay.json() == {"received": True, "duplicate": True}
    assert WebhookEvent.objects.count() == 1


def test_an_event_about_someone_elses_object_is_stored_and_ignored(client, settings):
    payload = event(
        "payment_intent.payment_failed", {"id": "pi_not_ours", "object": "payment_intent"}
    )

    response = post(client, payload, settings.STRIPE_WEBHOOK_SECRET)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "not one of ours"


def test_a_canceled_hold_is_recorded_when_stripe_says_so(client, driver, settings):
    save_card(driver, settings)
    payment = services.payment_hold_place(
        user=driver, purpose="session", reference="W-2", amount=Decimal("30"), currency="EUR"
    )
    client_module().v1.payment_intents.cancel(payment.stripe_payment_intent_id)  # it expired

    response = post(
        client_http(),
        event("payment_intent.canceled", intent_object(payment, "canceled")),
        settings.STRIPE_WEBHOOK_SECRET,
    )

    payment.refresh_from_db()
    assert response.status_code == 200
    assert payment.state == Payment.State.CANCELED


def test_a_refund_made_in_stripes_dashboard_is_recorded_from_charge_refunded(
    client, driver, settings, monkeypatch
):
    save_card(driver, settings)
    payment = services.payment_charge(
        user=driver, purpose="invoice", reference="W-3", amount=Decimal("10.00"), currency="EUR"
    )
    payment.refresh_from_db()
    stripe = client_module()
    intent = stripe.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    charge_id = intent.latest_charge.id
    stripe.v1.refunds.create(params={"charge": charge_id, "amount": 250})
    charge = {"id": charge_id, "object": "charge", "payment_intent": intent.id}
    payload = event("charge.refunded", charge)

    # the fake Stripe reports no amount_captured on charges (real Stripe does): add it

    real_charge_retrieve = stripe_gateway.charge_retrieve

    def with_amount_captured(*, charge_id):
        found = real_charge_retrieve(charge_id=charge_id)
        return replace(found, amount_captured=found.amount)

    monkeypatch.setattr(stripe_gateway, "charge_retrieve", with_amount_captured)
    response = post(client, payload, settings.STRIPE_WEBHOOK_SECRET)

    payment.refresh_from_db()
    assert response.status_code == 200
    assert payment.amount_refunded == Decimal("2.50")
    made = Refund.objects.get()
    assert (made.reason, made.state) == (Refund.Reason.MADE_IN_STRIPE, Refund.State.SUCCEEDED)


def client_secret_of(payment: Payment) -> str:
    return (
        client_module().v1.payment_intents.retrieve(payment.stripe_payment_intent_id).client_secret
    )


def client_module():
    return stripe_client()


def client_http():
    from django.test import Client

    return Client()


def test_the_fake_stripes_own_signed_events_are_accepted(live_server, driver, settings):
    """End to end: the fake Stripe signs and sends payment_intent.succeeded to our endpoint."""
    from billing.localstripe_server import webhook_register

    webhook_register(
        api_base=settings.STRIPE_API_BASE,
        url=f"{live_server.url}/billing/stripe/webhook",
        secret=settings.STRIPE_WEBHOOK_SECRET,
        endpoint_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    save_card(driver, settings)
    payment = services.payment_charge(
        user=driver, purpose="invoice", reference="W-4", amount=Decimal("6.00"), currency="EUR"
    )

    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and not WebhookEvent.objects.filter(
            type="payment_intent.succeeded",
            object_id=payment.stripe_payment_intent_id or "-",
            processed_at__isnull=False,
        ).exists()
    ):
        payment.refresh_from_db()
        time.sleep(0.2)

    event = WebhookEvent.objects.get(
        type="payment_intent.succeeded", object_id=payment.stripe_payment_intent_id
    )
    assert event.processed_at is not None
    assert event.outcome == f"payment {payment.pk}: succeeded"
