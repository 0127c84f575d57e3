"""Refunds: at most once per request, never more than was captured."""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from billing import stripe_gateway as gateway
from billing.models import Payment, Refund
from billing.money import MoneyError, to_minor_units

logger = logging.getLogger(__name__)


class RefundError(Exception):
    """A refund that cannot be made as asked (more than captured, not paid, bad amount)."""


def refund_request(
    *,
    payment_id,
    amount: Decimal,
    reason: str,
    request_key: str,
    note: str = "",
    created_by=None,
) -> Refund:
    """Ask to give `amount` back on a paid payment, then send it to Stripe.

    `request_key` identifies the request (a form's token, an API idempotency key): asking again
    with it returns the same Refund. The amount is reserved on the payment under its row lock,
    so refunds together never exceed what was captured (the fake server would accept more).
    """
    if reason not in Refund.Reason.values or reason == Refund.Reason.MADE_IN_STRIPE:
        raise RefundError(f"Unknown reason {reason!r}.")
    if not request_key or len(request_key) > 200:
        raise RefundError("A request key of 1 to 200 characters is required.")
    existing = Refund.objects.filter(request_key=request_key).first()
    if existing is None:
        try:
            existing = _refund_reserve(
                payment_id, amount, reason, request_key, note[:500], created_by
            )
        except IntegrityError:
            existing = Refund.objects.get(request_key=request_key)
    if str(existing.payment_id) != str(payment_id) or existing.amount != amount:
        raise RefundError("This request key was already used for another refund.")
    return refund_process(refund_id=existing.pk)


@transaction.atomic
def _refund_reserve(payment_id, amount, reason, request_key, note, created_by) -> Refund:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.state != Payment.State.SUCCEEDED or not payment.stripe_payment_intent_id:
        raise RefundError("Only a paid payment can be refunded.")
    try:
        minor = to_minor_units(amount, payment.currency)
    except MoneyError as error:
        raise RefundError(str(error)) from error
    if minor <= 0:
        raise RefundError("A refund must be more than zero.")
    if amount > payment.amount_refundable:
        raise RefundError(
            f"At most {payment.amount_refundable} {payment.currency} can still be refunded."
        )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + amount)
    with transaction.atomic():
        return Refund.objects.create(
            payment=payment,
            request_key=request_key,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            note=note,
            created_by=created_by,
        )


def refund_process(*, refund_id) -> Refund:
    """Send a pending refund to Stripe once. A retry first looks for a refund carrying our id
    in the charge's refunds (a crash may have come after Stripe's answer), then creates."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=refund_id)
        )
        if refund.state != Refund.State.PENDING:
            return refund
        payment = refund.payment
        intent = gateway.payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
        found = None
        if intent.latest_charge_id:
            charge = gateway.charge_retrieve(charge_id=intent.latest_charge_id)
            found = next(
                (r for r in charge.refunds if r.metadata.get("emsp_refund_id") == str(refund.pk)),
                None,
            )
        try:
            stripe_refund = found or gateway.refund_create(
                payment_intent_id=payment.stripe_payment_intent_id,
                amount=refund.amount,
                currency=refund.currency,
                metadata={"emsp_refund_id": str(refund.pk), "reason": refund.reason},
                idempotency_key=f"emsp-refund-{refund.request_key}"[:255],
            )
        except gateway.FinalGatewayError as error:
            _refund_failed(refund, error.message)
            return refund
        refund.stripe_refund_id = stripe_refund.id
        _refund_status_apply(refund, stripe_refund.status)
        return refund


def refunds_sync(*, payment: Payment) -> None:
    """After charge.refunded: bring our refunds in line with Stripe's. Refunds made outside
    this system (Stripe's dashboard) are recorded, within what is refundable. Only where Stripe
    reports amount_captured: the fake server shows a partial capture's release as a refund."""
    if not payment.stripe_payment_intent_id:
        return
    intent = gateway.payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
    if not intent.latest_charge_id:
        return
    charge = gateway.charge_retrieve(charge_id=intent.latest_charge_id)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        for stripe_refund in charge.refunds:
            ours = Refund.objects.select_for_update().filter(stripe_refund_id=stripe_refund.id)
            ours = ours.first() or _refund_by_metadata(stripe_refund)
            if ours is not None:
                ours.stripe_refund_id = stripe_refund.id
                _refund_status_apply(ours, stripe_refund.status)
            elif charge.amount_captured is not None:
                _refund_external_record(payment, stripe_refund)


def _refund_by_metadata(stripe_refund: gateway.Refund) -> Refund | None:
    refund_id = stripe_refund.metadata.get("emsp_refund_id", "")
    if not refund_id.isdigit():
        return None
    return Refund.objects.select_for_update().filter(pk=int(refund_id)).first()


def _refund_external_record(payment: Payment, stripe_refund: gateway.Refund) -> None:
    payment.refresh_from_db()
    if stripe_refund.amount > payment.amount_refundable:
        logger.error("refund %s exceeds what is refundable on %s", stripe_refund.id, payment.pk)
        return
    Payment.objects.filter(pk=payment.pk).update(
        amount_refunded=F("amount_refunded") + stripe_refund.amount
    )
    Refund.objects.create(
        payment=payment,
        request_key=f"stripe-{stripe_refund.id}",
        amount=stripe_refund.amount,
        currency=payment.currency,
        reason=Refund.Reason.MADE_IN_STRIPE,
        stripe_refund_id=stripe_refund.id,
        state=Refund.State.SUCCEEDED
        if stripe_refund.status == "succeeded"
        else Refund.State.PENDING,
    )


def _refund_status_apply(refund: Refund, status: str) -> None:
    if status in {"failed", "canceled"}:
        _refund_failed(refund, f"Stripe reports the refund {status}.")
        return
    if status == "succeeded":
        refund.state = Refund.State.SUCCEEDED
    refund.save()


def _refund_failed(refund: Refund, message: str) -> None:
    if refund.state == Refund.State.FAILED:
        return
    Payment.objects.filter(pk=refund.payment_id).update(
        amount_refunded=F("amount_refunded") - refund.amount
    )
    refund.state = Refund.State.FAILED
    refund.failure_message = message[:500]
    refund.save()
