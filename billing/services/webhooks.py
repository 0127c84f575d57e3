"""Stripe webhooks: verified, stored once per event id, and only a trigger to re-read Stripe."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import stripe_gateway as gateway
from billing.models import PaymentAttempt, WebhookEvent
from billing.services.payments import payment_attempt_refresh
from billing.services.refunds import refunds_sync

logger = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.canceled",
    "payment_intent.amount_capturable_updated",
    "payment_intent.processing",
}
CHARGE_EVENTS = {"charge.refunded", "charge.refund.updated"}


def webhook_event_receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify and store an event. Returns (event, is_new); a replayed event id is not new.
    Raises gateway.WebhookSignatureError for a bad or old signature (nothing is stored)."""
    data = gateway.webhook_event_construct(payload=payload, signature=signature)
    stripe_object = (data.get("data") or {}).get("object") or {}
    object_id = stripe_object.get("id") if isinstance(stripe_object, dict) else ""
    object_id = object_id if isinstance(object_id, str) else ""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                stripe_event_id=data["id"][:255],
                type=data["type"][:100],
                object_id=(object_id or "")[:255],
                payload=data,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(stripe_event_id=data["id"][:255]), False
    return event, True


def webhook_event_process(*, event_id: int) -> WebhookEvent:
    """Act on a stored event once. Looks the object up by the Stripe id we stored and re-reads
    it from Stripe; an event about something that is not ours is marked and ignored."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at:
            return event
        event.outcome = _dispatch(event)[:500]
        event.processed_at = timezone.now()
        event.save(update_fields=["outcome", "processed_at"])
        return event


def _dispatch(event: WebhookEvent) -> str:
    stripe_object = event.payload.get("data", {}).get("object", {})
    if not isinstance(stripe_object, dict):
        return "no object"
    if event.type in PAYMENT_INTENT_EVENTS:
        payment = payment_attempt_refresh(stripe_payment_intent_id=event.object_id)
        return f"payment {payment.pk}: {payment.state}" if payment else "not one of ours"
    if event.type in CHARGE_EVENTS:
        intent_id = stripe_object.get("payment_intent") or ""
        attempt = PaymentAttempt.objects.filter(stripe_payment_intent_id=intent_id).first()
        if attempt is None:
            return "not one of ours"
        refunds_sync(payment=attempt.payment)
        return f"refunds of payment {attempt.payment_id} synchronised"
    return "ignored"
