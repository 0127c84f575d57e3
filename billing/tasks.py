"""Celery tasks: take ids, call one service, safe to run twice. Network errors, 5xx and rate
limits are retried with backoff; declines are final and never retried here (the beat sweeper
schedules later off-session tries)."""

from celery import shared_task

from billing import services
from billing.models import Payment
from billing.stripe_gateway import RetryableGatewayError

RETRYING = {
    "autoretry_for": (RetryableGatewayError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="billing.payment_process", **RETRYING)
def payment_process_task(payment_id: str) -> str:
    return services.payment_process(payment_id=payment_id).state


@shared_task(name="billing.payment_capture", **RETRYING)
def payment_capture_task(payment_id: str) -> str:
    """Finish a capture already decided (the amount is stored on the payment)."""
    payment = Payment.objects.get(pk=payment_id)
    return services.payment_capture(payment_id=payment_id, amount=payment.amount_to_capture).state


@shared_task(name="billing.payment_retry", **RETRYING)
def payment_retry_task(payment_id: str) -> str:
    return services.payment_retry(payment_id=payment_id).state


@shared_task(name="billing.payment_failure_notify", acks_late=True)
def payment_failure_notify_task(payment_id: str) -> bool:
    return services.payment_failure_notify(payment=Payment.objects.get(pk=payment_id))


@shared_task(name="billing.refund_process", **RETRYING)
def refund_process_task(refund_id: int) -> str:
    return services.refund_process(refund_id=refund_id).state


@shared_task(name="billing.webhook_event_process", **RETRYING)
def webhook_event_process_task(event_id: int) -> str:
    return services.webhook_event_process(event_id=event_id).outcome


@shared_task(name="billing.payments_sweep")
def payments_sweep_task(stale_after_seconds: int | None = None) -> dict[str, int]:
    """Run by beat every few minutes: re-enqueues lost work and due retries."""
    found = services.payments_sweep(stale_after_seconds=stale_after_seconds)
    for payment_id in found["process"]:
        payment_process_task.delay(payment_id)
    for payment_id in found["capture"]:
        payment_capture_task.delay(payment_id)
    for payment_id in found["retry"]:
        payment_retry_task.delay(payment_id)
    for refund_id in found["refunds"]:
        refund_process_task.delay(refund_id)
    for event_id in found["webhook_events"]:
        webhook_event_process_task.delay(event_id)
    return {action: len(ids) for action, ids in found.items()}
