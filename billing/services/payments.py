"""Payments that never charge twice.

The rules, pretix style: a Payment row per thing paid (unique idempotency key derived from its
purpose and reference); a PaymentIntent is created unconfirmed, its id committed, and only then
confirmed by id; every later step locks the row (select_for_update), returns early when the
work is done, and re-reads the stored PaymentIntent from Stripe before acting. Stripe is called
while the row is locked, so a concurrent duplicate waits and then finds the work done; a crash
between Stripe's answer and our commit leaves the stored id, and the retry reads its status.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import stripe_gateway as gateway
from billing.models import Payment, PaymentAttempt, Refund, WebhookEvent
from billing.money import MoneyError, currency_normalize, stripe_chargeable, to_minor_units
from billing.selectors import payment_key, payment_method_get, payment_method_usable_get
from billing.services.cards import customer_ensure

logger = logging.getLogger(__name__)

CANCELABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
State = Payment.State


class PaymentError(Exception):
    """A payment request that cannot be accepted as asked (bad amount, conflicting duplicate)."""


@dataclass(frozen=True)
class OnSessionPayment:
    """What the driver's browser or app needs: the payment, and a client secret to
    authenticate with (confirmCardPayment) when the bank asks for it."""

    payment: Payment
    client_secret: str = ""


# --- creating payments -----------------------------------------------------------------------


def payment_charge(
    *, user, purpose: str, reference: str, amount: Decimal, currency: str, description: str = ""
) -> Payment:
    """Charge `amount` off-session for one thing (e.g. purpose="invoice", reference=its id).

    Idempotent: the same purpose and reference return the same Payment (a different amount is a
    PaymentError). The charge itself runs in a Celery task after commit; small amounts carried
    from earlier are added; an amount below Stripe's minimum is carried (state `carried`).
    """
    payment = payment_create(
        user=user,
        purpose=purpose,
        reference=reference,
        amount=amount,
        currency=currency,
        kind=Payment.Kind.CHARGE,
        description=description,
    )
    _process_later(payment)
    return payment


def payment_hold_place(
    *, user, purpose: str, reference: str, amount: Decimal, currency: str, description: str = ""
) -> Payment:
    """Place a pre-authorisation hold now (manual capture, off-session) and return the Payment:
    `authorized` when the bank accepted, `failed`/`requires_action` when not. The hold is
    `amount` capped at BILLING_HOLD_CAP and raised to the minimum charge. Idempotent."""
    payment = payment_create(
        user=user,
        purpose=purpose,
        reference=reference,
        amount=amount,
        currency=currency,
        kind=Payment.Kind.HOLD,
        description=description,
    )
    return payment_process(payment_id=payment.pk)


def payment_create(
    *,
    user,
    purpose: str,
    reference: str,
    amount: Decimal,
    currency: str,
    kind: str,
    description: str = "",
    parent: Payment | None = None,
) -> Payment:
    """The Payment row for one thing, created once (the same row on every later call)."""
    purpose, reference, currency = _validated(purpose, reference, amount, currency)
    key = payment_key(purpose, reference)
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing:
        return _same_request(existing, user=user, amount=amount, currency=currency, kind=kind)
    customer = customer_ensure(user=user)
    try:
        with transaction.atomic():
            payment = Payment(
                user=user,
                purpose=purpose,
                reference=reference,
                idempotency_key=key,
                description=description[:200],
                kind=kind,
                currency=currency,
                amount=amount,
                parent=parent,
                stripe_customer_id=customer.stripe_id,
            )
            if kind == Payment.Kind.HOLD:
                payment.amount = payment.amount_authorized = _hold_amount(amount, currency)
                payment.save()
            else:
                payment.save()
                _carried_collect(payment)
            return payment
    except IntegrityError:
        existing = Payment.objects.get(idempotency_key=key)
        return _same_request(existing, user=user, amount=amount, currency=currency, kind=kind)


# --- the exactly-once engine -----------------------------------------------------------------


def payment_process(*, payment_id: uuid.UUID | str) -> Payment:
    """Take a pending payment to Stripe: create its PaymentIntent unconfirmed and commit the
    id, then confirm it by id and record the answer. Safe to run any number of times,
    concurrently, or again after a crash at any point. Raises RetryableGatewayError when
    Stripe cannot be reached (nothing is recorded as failed then)."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.state != State.PENDING:
            return payment
        if not payment.stripe_payment_intent_id:
            method = payment.payment_method or payment_method_usable_get(user=payment.user)
            if method is None:
                _fail_without_card(payment)
                return payment
            _attempt_start(payment, method.stripe_id, off_session=True, method=method)
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.state != State.PENDING:
            return payment
        attempt = _current_attempt(payment)
        intent = gateway.payment_intent_retrieve(payment_intent_id=attempt.stripe_payment_intent_id)
        error = None
        if intent.status == "requires_confirmation":
            try:
                intent = gateway.payment_intent_confirm(
                    payment_intent_id=intent.id,
                    off_session=attempt.off_session,
                    idempotency_key=f"{_attempt_key(attempt)}-confirm",
                )
            except gateway.CardDeclinedError as declined:
                error = declined
                intent = gateway.payment_intent_retrieve(payment_intent_id=intent.id)
        _intent_apply(payment, attempt, intent, error)
        return payment


def payment_refresh(*, payment_id: uuid.UUID | str) -> Payment:
    """Re-read the payment's current PaymentIntent from Stripe and record its state (after a
    webhook, or after the driver authenticated on-session). Never confirms or charges."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if not payment.stripe_payment_intent_id or payment.state in (State.CARRIED, State.WAIVED):
            return payment
        attempt = _current_attempt(payment)
        intent = gateway.payment_intent_retrieve(payment_intent_id=attempt.stripe_payment_intent_id)
        if payment.state == State.PENDING and intent.status == "requires_confirmation":
            return payment  # payment_process confirms it
        _intent_apply(payment, attempt, intent, None)
        return payment


def payment_attempt_refresh(*, stripe_payment_intent_id: str) -> Payment | None:
    """A webhook's trigger: refresh the payment owning this PaymentIntent (None if not ours)."""
    attempt = PaymentAttempt.objects.filter(
        stripe_payment_intent_id=stripe_payment_intent_id
    ).first()
    if attempt is None:
        return None
    payment = Payment.objects.get(pk=attempt.payment_id)
    if payment.stripe_payment_intent_id != stripe_payment_intent_id:
        intent = gateway.payment_intent_retrieve(payment_intent_id=stripe_payment_intent_id)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(status=intent.status)
        return payment
    return payment_refresh(payment_id=payment.pk)


def payment_retry(
    *,
    payment_id: uuid.UUID | str,
    payment_method_id: uuid.UUID | str | None = None,
    off_session: bool = True,
) -> Payment:
    """Try an open (failed or unauthenticated) payment again with a new PaymentIntent: with the
    given card of the driver, or their usable card. The previous PaymentIntent is re-read
    first (it may have been paid meanwhile) and canceled before the new one is created."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.state not in Payment.OPEN_STATES:
            return payment
        if payment.stripe_payment_intent_id:
            attempt = _current_attempt(payment)
            intent = gateway.payment_intent_retrieve(
                payment_intent_id=attempt.stripe_payment_intent_id
            )
            if intent.status in {"succeeded", "requires_capture", "processing"}:
                _intent_apply(payment, attempt, intent, None)
                return payment
            if intent.status in CANCELABLE:
                intent = gateway.payment_intent_cancel(
                    payment_intent_id=intent.id, idempotency_key=f"{_attempt_key(attempt)}-cancel"
                )
            attempt.status = intent.status
            attempt.save(update_fields=["status", "updated_at"])
        if payment_method_id is None:
            method = payment_method_usable_get(user=payment.user)
        else:
            method = payment_method_get(user=payment.user, payment_method_id=payment_method_id)
        if method is None:
            _schedule_retry(payment)
            payment.save()
            return payment
        if off_session:
            payment.retry_count += 1
        payment.state = State.PENDING
        payment.next_retry_at = None
        _attempt_start(payment, method.stripe_id, off_session=off_session, method=method)
    return payment_process(payment_id=payment_id)


def payment_pay_on_session(
    *, user, payment_id: uuid.UUID | str, payment_method_id: uuid.UUID | str
) -> OnSessionPayment:
    """The driver pays an open payment now, with one of their cards. When the bank asks for
    authentication the result carries the PaymentIntent's client secret for Stripe.js
    (confirmCardPayment) or the app; afterwards call payment_refresh.
    Payment.DoesNotExist / PaymentMethod.DoesNotExist for anyone else's payment or card."""
    from billing.selectors import payment_get

    payment = payment_get(user=user, payment_id=payment_id)
    method = payment_method_get(user=user, payment_method_id=payment_method_id)
    if payment.state == State.REQUIRES_ACTION and payment.payment_method_id == method.pk:
        intent = gateway.payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
        if intent.status == "requires_action":
            return OnSessionPayment(payment=payment, client_secret=intent.client_secret)
        payment = payment_refresh(payment_id=payment.pk)
    if not payment.is_open:
        return OnSessionPayment(payment=payment)
    payment = payment_retry(payment_id=payment.pk, payment_method_id=method.pk, off_session=False)
    if payment.state == State.REQUIRES_ACTION:
        intent = gateway.payment_intent_retrieve(payment_intent_id=payment.stripe_payment_intent_id)
        return OnSessionPayment(payment=payment, client_secret=intent.client_secret)
    return OnSessionPayment(payment=payment)


# --- holds: capture and release --------------------------------------------------------------


def payment_capture(*, payment_id: uuid.UUID | str, amount: Decimal) -> Payment:
    """Take the final `amount` of a session from its hold.

    Small amounts carried from earlier are added. Up to the hold: captured with
    amount_to_capture (the rest is released). Beyond it: the hold is captured in full and the
    difference charged off-session as a follow-up Payment (parent = the hold). A total below the
    minimum charge releases the hold and is carried. A hold that is gone (expired, never
    authorised) is released and the whole amount charged as a follow-up. The decision is
    committed before Stripe is called, so a retry finishes the same capture; the first call's
    amount wins. Returns the hold; its follow-ups are `payment.follow_ups`.
    """
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.kind != Payment.Kind.HOLD:
            raise PaymentError("Only a hold can be captured.")
        if payment.amount_to_capture is None:
            _capture_decide(payment, _amount_checked(amount, payment.currency))
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.state in Payment.DONE_STATES or payment.state == State.CARRIED:
            return payment
        _capture_execute(payment)
    for extra in payment.follow_ups.filter(state=State.PENDING):
        _process_later(extra)
    return payment


def payment_release(*, payment_id: uuid.UUID | str) -> Payment:
    """Release a hold that will not be captured (the session was never started). Idempotent."""
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment.kind != Payment.Kind.HOLD or payment.amount_to_capture is not None:
            raise PaymentError("Only a hold that is not being captured can be released.")
        if payment.state in Payment.DONE_STATES:
            return payment
        _intent_cancel_if_open(payment)
        _state_set(payment, State.CANCELED)
        payment.save()
        return payment


# --- notifications and the unpaid rule (called by invoices too) -------------------------------


def payment_failure_notify(*, payment: Payment) -> bool:
    """Email the driver that a payment failed or needs authentication, with the link to pay it.
    Once per attempt: returns False when this attempt was already notified (or no driver)."""
    last = payment.attempts.order_by("-number").first()
    attempts = last.number if last else 0
    if payment.user is None or not payment.is_open or payment.driver_notified_attempt >= attempts:
        return False
    if not last.off_session:
        return False  # the driver was paying on the page and saw the answer there
    reason = "requires_action" if payment.state == State.REQUIRES_ACTION else "declined"
    from drivers.notifications import payment_failed_notify

    # Once per attempt: the counter and the notification log's key (payment, attempt), written
    # with the sending in one transaction: a failed send leaves both for the retried task.
    with transaction.atomic():
        updated = Payment.objects.filter(
            pk=payment.pk, driver_notified_attempt__lt=attempts
        ).update(driver_notified_attempt=attempts)
        if not updated:
            return False
        return payment_failed_notify(payment=payment, attempt=attempts, reason=reason)


def driver_unpaid_limit_check(*, user) -> bool:
    """True when the driver is over the unpaid limit (payments_unpaid_limit_reached). The
    charging eligibility already refuses such drivers; call this after a payment fails to
    block their tokens where tokens are kept."""
    from billing.selectors import payments_unpaid_limit_reached

    reached = payments_unpaid_limit_reached(user=user)
    if reached:
        logger.warning("driver %s is over the unpaid payments limit", user.pk)
    return reached


# --- sweeper ---------------------------------------------------------------------------------


def payments_sweep(*, stale_after_seconds: int | None = None) -> dict[str, list]:
    """What the beat sweeper finds to do: pending payments whose task was lost, captures left
    half-done, open payments due for an off-session retry; carried amounts past their time are
    waived. Returns the payment ids per action (the task enqueues them)."""
    now = timezone.now()
    stale = now - timedelta(
        seconds=settings.BILLING_STALE_PENDING_SECONDS
        if stale_after_seconds is None
        else stale_after_seconds
    )
    waive_before = now - timedelta(days=settings.BILLING_SMALL_AMOUNT_WAIVE_AFTER_DAYS)
    waived = list(
        Payment.objects.filter(state=State.CARRIED, created_at__lte=waive_before).values_list(
            "pk", flat=True
        )
    )
    Payment.objects.filter(pk__in=waived, state=State.CARRIED).update(
        state=State.WAIVED, completed_at=now, updated_at=now
    )
    return {
        "process": _ids(Payment.objects.filter(state=State.PENDING, updated_at__lte=stale)),
        "capture": _ids(
            Payment.objects.filter(
                state=State.AUTHORIZED, amount_to_capture__isnull=False, updated_at__lte=stale
            )
        ),
        "retry": _ids(
            Payment.objects.filter(state__in=Payment.OPEN_STATES, next_retry_at__lte=now)
        ),
        "refunds": list(
            Refund.objects.filter(state=Refund.State.PENDING, updated_at__lte=stale).values_list(
                "pk", flat=True
            )[:500]
        ),
        "webhook_events": list(
            WebhookEvent.objects.filter(
                processed_at__isnull=True, received_at__lte=stale
            ).values_list("pk", flat=True)[:500]
        ),
        "waived": [str(pk) for pk in waived],
    }


# --- internals -------------------------------------------------------------------------------


def _locked(payment_id: uuid.UUID | str) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).select_related("user").get(pk=payment_id)


def _current_attempt(payment: Payment) -> PaymentAttempt:
    return payment.attempts.get(stripe_payment_intent_id=payment.stripe_payment_intent_id)


def _attempt_key(attempt: PaymentAttempt) -> str:
    return f"emsp-payment-{attempt.payment_id}-attempt-{attempt.number}"


def _attempt_start(payment: Payment, method_stripe_id: str, *, off_session: bool, method) -> None:
    """Create the attempt's PaymentIntent unconfirmed and store its id (committed by the
    caller's transaction before anything is confirmed)."""
    number = (
        payment.attempts.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    amount = payment.amount_authorized if payment.kind == Payment.Kind.HOLD else payment.amount
    key = f"emsp-payment-{payment.pk}-attempt-{number}"
    intent = gateway.payment_intent_create(
        amount=amount,
        currency=payment.currency,
        customer_id=payment.stripe_customer_id,
        payment_method_id=method_stripe_id,
        capture_manual=payment.kind == Payment.Kind.HOLD,
        metadata={
            "emsp_payment_id": str(payment.pk),
            "purpose": payment.purpose,
            "reference": payment.reference,
            "attempt": str(number),
        },
        idempotency_key=f"{key}-create",
    )
    PaymentAttempt.objects.create(
        payment=payment,
        number=number,
        stripe_payment_intent_id=intent.id,
        stripe_payment_method_id=method_stripe_id,
        amount=amount,
        off_session=off_session,
        status=intent.status,
    )
    payment.stripe_payment_intent_id = intent.id
    payment.payment_method = method
    payment.failure_code = payment.decline_code = payment.failure_message = ""
    payment.save()


def _intent_apply(
    payment: Payment,
    attempt: PaymentAttempt,
    intent: gateway.PaymentIntent,
    error: gateway.GatewayError | None,
) -> None:
    """Record what Stripe says about the current PaymentIntent (the row is locked)."""
    attempt.status = intent.status
    code = (error.code if error else "") or intent.error_code
    decline = (error.decline_code if error else "") or intent.decline_code
    message = (error.message if error else "") or intent.error_message
    status = intent.status
    if status == "requires_capture":
        payment.amount_authorized = intent.amount_capturable or intent.amount
        _state_set(payment, State.AUTHORIZED)
    elif status == "succeeded":
        _succeeded(payment, intent)
    elif status == "requires_action" or (
        status == "requires_payment_method" and _authentication_required(code, decline)
    ):
        code = code or "authentication_required"
        message = message or _("Your bank asks you to confirm this payment.")
        _open(payment, State.REQUIRES_ACTION)
    elif status == "requires_payment_method":
        code = code or "card_declined"
        message = message or _("The card was declined.")
        _open(payment, State.FAILED)
    elif status == "canceled":
        if payment.kind == Payment.Kind.HOLD:
            _state_set(payment, State.CANCELED)
            _carried_release(payment)
        else:
            code, message = "canceled", _("The payment was canceled at Stripe.")
            _open(payment, State.FAILED)
    if payment.state in Payment.OPEN_STATES:
        payment.failure_code, payment.decline_code = code[:64], decline[:64]
        payment.failure_message = message[:500]
        attempt.failure_code, attempt.decline_code = code[:64], decline[:64]
        attempt.failure_message = message[:500]
    attempt.save()
    payment.save()


def _succeeded(payment: Payment, intent: gateway.PaymentIntent) -> None:
    if payment.state == State.SUCCEEDED:
        return
    if payment.kind == Payment.Kind.HOLD:
        # The fake server reports a partial capture as a full charge with a refund: what we
        # asked to capture is the truth; amount_received where Stripe gives it.
        if payment.amount_to_capture is not None:
            payment.amount_captured = payment.amount_to_capture
        else:
            payment.amount_captured = intent.amount_received or intent.amount
            payment.amount = payment.amount_captured
    else:
        payment.amount_captured = intent.amount_received or intent.amount
    _state_set(payment, State.SUCCEEDED)
    payment.next_retry_at = None
    payment.failure_code = payment.decline_code = payment.failure_message = ""
    Payment.objects.filter(settled_by=payment, state=State.CARRIED).update(
        state=State.SUCCEEDED, completed_at=timezone.now(), updated_at=timezone.now()
    )


def _open(payment: Payment, state: str) -> None:
    was_open = payment.state in Payment.OPEN_STATES
    _state_set(payment, state)
    if payment.kind == Payment.Kind.HOLD:
        return  # nothing is owed yet: the charge at the end is made without the hold
    if not was_open or payment.next_retry_at is None:
        _schedule_retry(payment)
    payment_id = payment.pk
    transaction.on_commit(lambda: _notify_later(payment_id))


def _schedule_retry(payment: Payment) -> None:
    delays = settings.BILLING_PAYMENT_RETRY_HOURS
    if payment.retry_count < len(delays):
        payment.next_retry_at = timezone.now() + timedelta(hours=delays[payment.retry_count])
    else:
        payment.next_retry_at = None  # no more automatic tries: the driver pays on-session


def _state_set(payment: Payment, state: str) -> None:
    payment.state = state
    if state in Payment.DONE_STATES:
        payment.completed_at = payment.completed_at or timezone.now()


def _fail_without_card(payment: Payment) -> None:
    payment.failure_code = "no_payment_method"
    payment.failure_message = _("There is no usable card to charge. Add a card and pay.")
    _open(payment, State.FAILED)
    payment.save()


def _authentication_required(code: str, decline_code: str) -> bool:
    return "authentication_required" in {code, decline_code}


def _intent_cancel_if_open(payment: Payment) -> None:
    if not payment.stripe_payment_intent_id:
        return
    attempt = _current_attempt(payment)
    intent = gateway.payment_intent_retrieve(payment_intent_id=attempt.stripe_payment_intent_id)
    if intent.status in CANCELABLE or intent.status == "requires_capture":
        intent = gateway.payment_intent_cancel(
            payment_intent_id=intent.id, idempotency_key=f"{_attempt_key(attempt)}-cancel"
        )
    attempt.status = intent.status
    attempt.save(update_fields=["status", "updated_at"])


def _capture_decide(payment: Payment, final: Decimal) -> None:
    """Fix what the capture takes, and what follows up, before anything is sent to Stripe."""
    carried = _carried_candidates(payment)
    carried_sum = sum((row.amount for row in carried), Decimal(0))
    total = final + carried_sum
    if total < _minimum(payment.currency):
        carried, carried_sum, total = [], Decimal(0), final
    if carried:
        Payment.objects.filter(pk__in=[row.pk for row in carried]).update(settled_by=payment)
    payment.amount_carried_in = carried_sum
    payment.amount = total
    if total < _minimum(payment.currency):
        payment.amount_to_capture = Decimal(0)
    else:
        payment.amount_to_capture = min(total, payment.amount_authorized)
    payment.save()
    difference = total - payment.amount_to_capture
    if difference > 0 and payment.amount_to_capture > 0:
        _follow_up_create(payment, "difference", difference)


def _capture_execute(payment: Payment) -> Payment | None:
    """Carry out the decided capture (the row is locked). Returns a new follow-up, if any."""
    to_capture = payment.amount_to_capture
    if payment.state == State.AUTHORIZED:
        attempt = _current_attempt(payment)
        intent = gateway.payment_intent_retrieve(payment_intent_id=attempt.stripe_payment_intent_id)
        if intent.status == "requires_capture" and to_capture == 0:
            intent = gateway.payment_intent_cancel(
                payment_intent_id=intent.id, idempotency_key=f"{_attempt_key(attempt)}-cancel"
            )
        elif intent.status == "requires_capture":
            intent = gateway.payment_intent_capture(
                payment_intent_id=intent.id,
                amount=to_capture,
                currency=payment.currency,
                idempotency_key=f"{_attempt_key(attempt)}-capture",
            )
        attempt.status = intent.status
        attempt.save(update_fields=["status", "updated_at"])
        if intent.status == "succeeded":
            _succeeded(payment, intent)
            payment.save()
            return None
        if intent.status not in {"canceled", "requires_payment_method"}:
            raise gateway.RetryableGatewayError(f"The hold is {intent.status}; try again.")
    else:
        _intent_cancel_if_open(payment)
    # The hold is gone (released above, expired, or never authorised).
    _state_set(payment, State.CANCELED)
    follow_up = None
    if to_capture == 0 and payment.amount > 0:
        follow_up = _follow_up_create(payment, "small-amount", payment.amount)
    elif to_capture > 0:
        follow_up = _follow_up_create(payment, "instead-of-hold", to_capture)
    if follow_up is not None and payment.amount_carried_in:
        Payment.objects.filter(settled_by=payment).update(settled_by=follow_up)
    payment.save()
    return follow_up


def _follow_up_create(payment: Payment, suffix: str, amount: Decimal) -> Payment:
    key = f"{payment.reference}/{suffix}"
    follow_up = Payment.objects.filter(idempotency_key=payment_key(payment.purpose, key)).first()
    if follow_up:
        return follow_up
    follow_up = Payment(
        user=payment.user,
        purpose=payment.purpose,
        reference=key,
        idempotency_key=payment_key(payment.purpose, key),
        description=payment.description,
        kind=Payment.Kind.CHARGE,
        currency=payment.currency,
        amount=amount,
        parent=payment,
        stripe_customer_id=payment.stripe_customer_id,
    )  # charged to the driver's usable card at the time, like any charge
    if amount < _minimum(payment.currency):
        follow_up.state = State.CARRIED
    follow_up.save()
    return follow_up


def _carried_candidates(payment: Payment) -> list[Payment]:
    return list(
        Payment.objects.select_for_update()
        .filter(
            user=payment.user_id,
            currency=payment.currency,
            state=State.CARRIED,
            settled_by__isnull=True,
        )
        .exclude(pk=payment.pk)
        .order_by("created_at")
    )


def _carried_collect(payment: Payment) -> None:
    """Add the driver's carried small amounts to a new charge, or carry this one too."""
    carried = _carried_candidates(payment)
    carried_sum = sum((row.amount for row in carried), Decimal(0))
    minimum = _minimum(payment.currency)
    if payment.amount + carried_sum < minimum:
        if payment.amount > 0:
            payment.state = State.CARRIED
        else:
            _state_set(payment, State.SUCCEEDED)  # nothing to pay
        payment.save()
        return
    if carried:
        Payment.objects.filter(pk__in=[row.pk for row in carried]).update(settled_by=payment)
        payment.amount_carried_in = carried_sum
        payment.amount += carried_sum
        payment.save()


def _carried_release(payment: Payment) -> None:
    Payment.objects.filter(settled_by=payment, state=State.CARRIED).update(settled_by=None)


def _minimum(currency: str) -> Decimal:
    minimum = settings.BILLING_MINIMUM_CHARGE.get(currency)
    return Decimal(minimum) if minimum else Decimal(0)


def _hold_amount(amount: Decimal, currency: str) -> Decimal:
    cap = settings.BILLING_HOLD_CAP.get(currency)
    held = min(amount, Decimal(cap)) if cap else amount
    return max(held, _minimum(currency))


def _validated(
    purpose: str, reference: str, amount: Decimal, currency: str
) -> tuple[str, str, str]:
    if not isinstance(purpose, str) or not purpose or len(purpose) > 40 or ":" in purpose:
        raise PaymentError("purpose: 1 to 40 characters, no colon.")
    reference = str(reference)
    if not reference or len(reference) > 100:
        raise PaymentError("reference: 1 to 100 characters.")
    try:
        currency = currency_normalize(currency)
    except MoneyError as error:
        raise PaymentError(str(error)) from error
    _amount_checked(amount, currency)
    return purpose, reference, currency


def _amount_checked(amount: Decimal, currency: str) -> Decimal:
    try:
        to_minor_units(amount, currency)
    except MoneyError as error:
        raise PaymentError(
            f"{error} Round with tariffs.pricing.cost_round; Stripe can charge "
            f"{stripe_chargeable(Decimal(abs(amount)), currency)} of it."
            if isinstance(amount, Decimal) and amount.is_finite()
            else str(error)
        ) from error
    return amount


def _same_request(existing: Payment, *, user, amount: Decimal, currency: str, kind: str) -> Payment:
    asked = existing.amount_authorized if kind == Payment.Kind.HOLD else existing.amount
    if kind == Payment.Kind.HOLD:
        amount = _hold_amount(amount, currency)
    elif existing.amount_carried_in:
        asked -= existing.amount_carried_in
    if (
        existing.user_id != user.pk
        or existing.kind != kind
        or existing.currency != currency
        or asked != amount
    ):
        raise PaymentError(
            f"{existing.idempotency_key} was already asked with other terms "
            f"({existing.amount} {existing.currency}, {existing.kind})."
        )
    return existing


def _process_later(payment: Payment) -> None:
    if payment.state != State.PENDING:
        return
    from billing.tasks import payment_process_task

    payment_id = str(payment.pk)
    transaction.on_commit(lambda: payment_process_task.delay(payment_id))


def _notify_later(payment_id) -> None:
    from billing.tasks import payment_failure_notify_task

    payment_failure_notify_task.delay(str(payment_id))


def _ids(queryset) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)[:500]]
