"""Celery tasks: take ids, call one service, safe to run twice. Network errors, 5xx and rate
limits are retried with backoff; declines are final and never retried here (the beat sweeper
schedules later off-session tries)."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

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


@shared_task(
    name="billing.payment_failure_notify",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=10,
    max_retries=8,
)
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


# --- invoicing -------------------------------------------------------------------------------
# Tasks that touch the database only are retried when it hiccups; rating holds the CDR's row
# lock, so a redelivered task waits for a running one and then finds the CDR rated.

DATABASE_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 10,
    "acks_late": True,
}


@shared_task(name="billing.cdr_rate", **DATABASE_RETRY)
def cdr_rate_task(cdr_id: int) -> str:
    from billing.services.rating import cdr_rate

    return cdr_rate(cdr_id=cdr_id).cdr.rating_status


@shared_task(name="billing.cdrs_rate", **DATABASE_RETRY)
def cdrs_rate_task(cdr_ids: list[int]) -> int:
    """Rate a batch (the sweeper, imports, a backlog): the pending CDRs in one transaction,
    each still rated once (see billing.services.rating.cdrs_rate)."""
    from billing.services.rating import cdrs_rate

    cdrs_rate(cdr_ids=cdr_ids)
    return len(cdr_ids)


@shared_task(name="billing.invoice_charge", **RETRYING)
def invoice_charge_task(invoice_id: str) -> str:
    from billing.services.invoices import invoice_charge

    return invoice_charge(invoice_id=invoice_id).payment_status


@shared_task(name="billing.invoices_charge_enqueue", acks_late=True)
def invoices_charge_enqueue_task(invoice_ids: list[str]) -> int:
    """The invoices of a rating batch: one charge task each (run twice: charged once anyway)."""
    from billing.services.rating import invoices_charge_enqueue

    return invoices_charge_enqueue(invoice_ids=invoice_ids)


@shared_task(name="billing.invoice_payment_sync", **DATABASE_RETRY)
def invoice_payment_sync_task(invoice_id: str) -> str:
    from billing.services.invoices import invoice_payment_sync

    return invoice_payment_sync(invoice_id=invoice_id).payment_status


@shared_task(name="billing.invoice_receipt_send", acks_late=True)
def invoice_receipt_send_task(invoice_id: str) -> bool:
    from billing.services.invoices import invoice_receipt_send

    return invoice_receipt_send(invoice_id=invoice_id)


@shared_task(name="billing.session_cost_update", **DATABASE_RETRY)
def session_cost_update_task(session_id: int) -> str:
    from billing.services.sessions import session_cost_update

    cost = session_cost_update(session_id=session_id)
    return str(cost.total_incl_vat) if cost else ""


@shared_task(name="billing.session_hold_for_session", **RETRYING)
def session_hold_for_session_task(session_id: int) -> bool:
    from billing.services.sessions import session_hold_for_session

    return session_hold_for_session(session_id=session_id) is not None


@shared_task(name="billing.session_hold_for_command", **RETRYING)
def session_hold_for_command_task(command_id: int) -> bool:
    from billing.services.sessions import session_hold_for_command

    return session_hold_for_command(command_id=command_id) is not None


@shared_task(name="billing.driver_standing_apply", **DATABASE_RETRY)
def driver_standing_apply_task(user_id: int) -> list[int]:
    from billing.services.dunning import driver_standing_apply

    return driver_standing_apply(user_id=user_id)


@shared_task(
    name="billing.token_push",
    bind=True,
    acks_late=True,
    max_retries=8,
)
def token_push_task(self, token_id: int) -> int:
    """PUT the token to every CPO; partners that could not be reached are tried again later."""
    from drivers.models import Token
    from roaming.services.token_push import token_push

    token = Token.objects.filter(pk=token_id).first()
    if token is None:
        return 0
    results = token_push(token=token)
    if any(result.retryable for result in results):
        raise self.retry(countdown=min(600, 10 * 2**self.request.retries))
    return sum(result.ok for result in results)


@shared_task(name="billing.invoicing_sweep")
def invoicing_sweep_task(stale_after_seconds: int | None = None) -> dict[str, int]:
    """Run by beat: CDRs whose rating was lost, invoices not yet charged or not yet followed
    to their payment's end, holds to release."""
    from billing.services.sweep import invoicing_sweep

    found = invoicing_sweep(stale_after_seconds=stale_after_seconds)
    if found["rate"]:
        cdrs_rate_task.delay(found["rate"])
    for invoice_id in found["charge"]:
        invoice_charge_task.delay(invoice_id)
    for invoice_id in found["sync"]:
        invoice_payment_sync_task.delay(invoice_id)
    for invoice_id in found["receipt"]:
        invoice_receipt_send_task.delay(invoice_id)
    return {action: len(ids) for action, ids in found.items()}


@shared_task(name="billing.subscription_fees_invoice", **DATABASE_RETRY)
def subscription_fees_invoice_task() -> int:
    """Run by beat daily: the monthly plan fees that are due become invoices."""
    from billing.services.subscriptions import subscription_fees_invoice

    return subscription_fees_invoice()
