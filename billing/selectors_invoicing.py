"""Reads for the driver's invoices and sessions (their own only: anyone else's is DoesNotExist,
which the views answer with 404)."""

import uuid
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from billing.models import CreditNote, Invoice, SessionCost
from roaming.models import Session


def invoice_list(*, user) -> QuerySet[Invoice]:
    return Invoice.objects.filter(user=user).order_by("-issued_at", "-sequence")


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
