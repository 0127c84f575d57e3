"""Reads of billing data: cards, payments, and the one rule for who may start charging."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from billing.models import Payment, PaymentMethod, Refund
from billing.money import currency_normalize


@dataclass(frozen=True)
class ChargingEligibility:
    """Whether a driver may start a charging session, and if not, why (a stable code)."""

    allowed: bool
    reason: str = ""  # "", "no_payment_method" or "unpaid_payments"


def payment_method_list(*, user) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(user=user).order_by("-is_default", "-created_at")


def payment_method_get(*, user, payment_method_id: uuid.UUID | str) -> PaymentMethod:
    """The driver's own card; PaymentMethod.DoesNotExist for anyone else's (callers answer 404)."""
    return PaymentMethod.objects.get(user=user, pk=_uuid(payment_method_id, PaymentMethod))


def payment_method_usable_get(*, user) -> PaymentMethod | None:
    """The card we would charge: the default one if it has not expired, else the newest valid
    card, else None. One indexed query."""
    today = timezone.now().date()
    return (
        PaymentMethod.objects.filter(user=user)
        .filter(Q(exp_year__gt=today.year) | Q(exp_year=today.year, exp_month__gte=today.month))
        .order_by("-is_default", "-created_at")
        .first()
    )


def payments_unpaid_limit_reached(*, user) -> bool:
    """The counting rule: BILLING_UNPAID_LIMIT_COUNT open (failed or unauthenticated) payments,
    or one open for BILLING_UNPAID_LIMIT_DAYS days. One indexed query."""
    unpaid = Payment.objects.filter(
        user=user, state__in=Payment.OPEN_STATES, kind=Payment.Kind.CHARGE
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    if not unpaid["count"]:
        return False
    if unpaid["count"] >= settings.BILLING_UNPAID_LIMIT_COUNT:
        return True
    age_limit = timedelta(days=settings.BILLING_UNPAID_LIMIT_DAYS)
    return unpaid["oldest"] <= timezone.now() - age_limit


def charging_eligibility_get(*, user) -> ChargingEligibility:
    """The single rule for starting a session (web, app or RFID): a usable card and no unpaid
    payments over the limit. Two indexed queries."""
    if payment_method_usable_get(user=user) is None:
        return ChargingEligibility(allowed=False, reason="no_payment_method")
    if payments_unpaid_limit_reached(user=user):
        return ChargingEligibility(allowed=False, reason="unpaid_payments")
    return ChargingEligibility(allowed=True)


def payment_list(*, user) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).exclude(kind=Payment.Kind.HOLD, state="canceled")


def payment_open_list(*, user) -> QuerySet[Payment]:
    return Payment.objects.filter(
        user=user, state__in=Payment.OPEN_STATES, kind=Payment.Kind.CHARGE
    )


def payment_get(*, user, payment_id: uuid.UUID | str) -> Payment:
    """The driver's own payment; Payment.DoesNotExist for anyone else's (callers answer 404)."""
    return Payment.objects.get(user=user, pk=_uuid(payment_id, Payment))


def payment_list_for(*, purpose: str, reference: str) -> QuerySet[Payment]:
    """Every payment made for one thing: the payment itself and its follow-up charges."""
    return Payment.objects.filter(purpose=purpose, reference=str(reference)).order_by("created_at")


def payment_get_for(*, purpose: str, reference: str) -> Payment | None:
    """The payment for one thing (the one created with this purpose and reference)."""
    return Payment.objects.filter(idempotency_key=payment_key(purpose, reference)).first()


def payment_key(purpose: str, reference: str) -> str:
    return f"{purpose}:{reference}"


def carried_amount_total(*, user, currency: str) -> Decimal:
    """Small amounts waiting to be added to the driver's next payment in this currency."""
    carried = Payment.objects.filter(
        user=user, currency=currency_normalize(currency), state=Payment.State.CARRIED
    ).aggregate(total=Sum("amount"))
    return carried["total"] or Decimal(0)


def refund_list(*, payment: Payment) -> QuerySet[Refund]:
    return payment.refunds.order_by("created_at")


def _uuid(value: uuid.UUID | str, model: type) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as error:
        raise model.DoesNotExist from error
