"""Reads for the driver's invoices and sessions (their own only: anyone else's is DoesNotExist,
which the views answer with 404)."""

import uuid
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from billing.models import CreditNote, Invoice, Payment, SessionCost
from roaming.models import Session


def invoice_list(
    *, user, payment_status: str | None = None, open_first: bool = False
) -> QuerySet[Invoice]:
    """The driver's invoices, newest first (with open_first: the unpaid ones needing the
    driver's action first), each annotated with `open_payment_id`: the payment the driver can
    pay now (the invoice's charge or a follow-up charge of its hold), or None."""
    invoices = Invoice.objects.filter(user=user)
    if payment_status:
        invoices = invoices.filter(payment_status=payment_status)
    open_payments = Payment.objects.filter(
        Q(pk=OuterRef("payment_id")) | Q(parent_id=OuterRef("payment_id")),
        state__in=Payment.OPEN_STATES,
    ).order_by("created_at")
    invoices = invoices.annotate(open_payment_id=Subquery(open_payments.values("pk")[:1]))
    order = ["-issued_at", "-sequence"]
    if open_first:
        is_open = Case(
            When(payment_status=Invoice.PaymentStatus.OPEN, then=Value(0)), default=Value(1)
        )
        return invoices.order_by(is_open, *order)
    return invoices.order_by(*order)


def invoice_get(*, user, invoice_id: uuid.UUID | str) -> Invoice:
    try:
        key = invoice_id if isinstance(invoice_id, uuid.UUID) else uuid.UUID(str(invoice_id))
    except ValueError as error:
        raise Invoice.DoesNotExist from error
    return Invoice.objects.prefetch_related("lines").get(user=user, pk=key)


def credit_note_list_for(*, invoice: Invoice) -> QuerySet[CreditNote]:
    return invoice.credit_notes.order_by("issued_at")


def session_list(*, user) -> QuerySet[Session]:
    """The driver's sessions (any of their tokens), newest first, with their running cost."""
    return (
        Session.objects.filter(token__user=user)
        .select_related("location", "driver_cost")
        .order_by("-start_date_time", "-pk")
    )


def session_get(*, user, session_id: int | str) -> Session:
    try:
        key = int(session_id)
    except (TypeError, ValueError) as error:
        raise Session.DoesNotExist from error
    if not 0 < key < 2**63:
        raise Session.DoesNotExist
    return session_list(user=user).get(pk=key)


def session_duration_seconds(session: Session, now: datetime | None = None) -> int:
    end = session.end_date_time or now or timezone.now()
    return max(0, int((end - session.start_date_time).total_seconds()))


def session_cost(session: Session) -> SessionCost | None:
    try:
        return session.driver_cost
    except SessionCost.DoesNotExist:
        return None


def session_power_kw(session: Session) -> Decimal | None:
    cost = session_cost(session)
    return cost.power_kw if cost else None
