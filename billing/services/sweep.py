"""What the invoicing sweeper (beat, every few minutes) finds left half-way by a lost task or
a crash: CDRs never rated, invoices never charged, payments whose end the invoice missed,
paid invoices without their receipt."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services.rating import cdrs_stale_pending

Status = Invoice.PaymentStatus


def invoicing_sweep(*, stale_after_seconds: int | None = None) -> dict[str, list]:
    seconds = (
        settings.BILLING_RATING_STALE_SECONDS
        if stale_after_seconds is None
        else stale_after_seconds
    )
    stale = timezone.now() - timedelta(seconds=seconds)
    invoices = Invoice.objects.filter(issued_at__lte=stale)
    return {
        "rate": cdrs_stale_pending(older_than_seconds=seconds),
        "charge": _ids(
            invoices.filter(payment__isnull=True, payment_status=Status.PENDING, user__isnull=False)
        ),
        "sync": _ids(
            invoices.filter(
                payment__isnull=False,
                payment_status__in=(Status.PENDING, Status.OPEN, Status.CARRIED),
                updated_at__lte=stale,
            ).exclude(
                Q(payment__state=Payment.State.PENDING) | Q(payment__state=Payment.State.AUTHORIZED)
            )
        ),
        "receipt": _ids(invoices.filter(payment_status=Status.PAID, receipt_sent_at__isnull=True)),
    }


def _ids(queryset) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)[:500]]
