"""Credit notes: the only correction of an issued invoice. Full or partial, with a reason,
numbered in their own gap-free series, referring to the invoice; the money goes back through
the payments layer's refund_request, once (its request key is derived from the credit note)."""

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import CreditNote, CreditNoteLine, Invoice, Payment, Refund
from billing.services.invoices import buyer_snapshot, document_number_next
from billing.services.refunds import RefundError, refund_request
from tariffs.pricing import cost_round

logger = logging.getLogger(__name__)
HUNDRED = Decimal(100)


class CreditNoteError(Exception):
    """A credit note that cannot be issued as asked (the message says why)."""


def credit_note_issue(
    *,
    invoice_id: uuid.UUID | str,
    amount: Decimal | None,
    reason: str,
    request_key: str,
    note: str = "",
    created_by=None,
) -> CreditNote:
    """Credit `amount` (incl. VAT; None for all that is left) of a paid invoice and refund it.

    Spread over the invoice's lines in proportion (VAT per line, rounded once with cost_round).
    At most once per `request_key` (the admin form carries one): asking again returns the same
    credit note and finishes its refund if a crash interrupted it."""
    existing = CreditNote.objects.filter(request_key=request_key).first()
    if existing is None:
        existing = _issue(invoice_id, amount, reason, request_key, note, created_by)
    return credit_note_refund(credit_note_id=existing.pk)


@transaction.atomic
def _issue(invoice_id, amount, reason, request_key, note, created_by) -> CreditNote:
    if reason not in Refund.Reason.values or reason == Refund.Reason.MADE_IN_STRIPE:
        raise CreditNoteError(f"Unknown reason {reason!r}.")
    if not request_key or len(request_key) > 200:
        raise CreditNoteError("A request key of 1 to 200 characters is required.")
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.payment_status != Invoice.PaymentStatus.PAID or not invoice.amount_paid:
        raise CreditNoteError(
            "Only a paid invoice can be credited and refunded; an unpaid one is settled first."
        )
    credited = invoice.credit_notes.aggregate(total=Sum("total_incl_vat"))["total"] or 0
    left = invoice.amount_paid - credited
    amount = left if amount is None else amount
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise CreditNoteError("The amount must be a decimal number.")
    if amount != cost_round(amount, invoice.currency) or amount <= 0:
        raise CreditNoteError(
            f"The amount must be more than zero, in whole {invoice.currency} minor units."
        )
    if amount > left:
        raise CreditNoteError(f"At most {left} {invoice.currency} of this invoice can be credited.")
    moment = timezone.now()
    series = f"CN-{moment.year}-{settings.OCPI_COUNTRY_CODE}-{invoice.currency}"
    sequence = document_number_next(series=series)
    buyer = buyer_snapshot(user=invoice.user) if invoice.user else None
    lines = _lines(invoice, amount)
    credit_note = CreditNote(
        number=f"{series}-{sequence:06d}",
        series=series,
        sequence=sequence,
        user=invoice.user,
        issued_at=moment,
        currency=invoice.currency,
        language=buyer.language if buyer else invoice.language,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_vat_id=invoice.seller_vat_id,
        buyer_name=invoice.buyer_name,
        buyer_email=invoice.buyer_email,
        buyer_address=invoice.buyer_address,
        buyer_country=invoice.buyer_country,
        total_excl_vat=sum(line.amount_excl_vat for line in lines),
        total_vat=sum(line.vat_amount for line in lines),
        total_incl_vat=amount,
        invoice=invoice,
        reason=reason,
        note=note[:500],
        request_key=request_key,
        created_by=created_by,
    )
    credit_note.save(force_insert=True)
    for position, line in enumerate(lines, 1):
        line.credit_note, line.position = credit_note, position
    CreditNoteLine.objects.bulk_create(lines)
    return credit_note


def _lines(invoice: Invoice, amount: Decimal) -> list[CreditNoteLine]:
    """`amount` incl. VAT spread over the invoice's lines by their share; the last line takes
    what rounding left, so the lines add up to the amount exactly."""
    currency = invoice.currency
    source = [line for line in invoice.lines.all() if line.amount_incl_vat > 0]
    total = sum(line.amount_incl_vat for line in source)
    lines, given = [], Decimal(0)
    for index, line in enumerate(source):
        last = index == len(source) - 1
        incl = (
            amount - given if last else cost_round(amount * line.amount_incl_vat / total, currency)
        )
        given += incl
        rate = line.vat_rate or Decimal(0)
        excl = cost_round(incl * HUNDRED / (HUNDRED + rate), currency)
        lines.append(
            CreditNoteLine(
                description=f"{line.get_component_display()} ({invoice.number})",
                vat_rate=line.vat_rate,
                amount_excl_vat=excl,
                vat_amount=incl - excl,
                amount_incl_vat=incl,
            )
        )
    return lines


def credit_note_refund(*, credit_note_id: uuid.UUID | str) -> CreditNote:
    """Refund a credit note's amount on the invoice's payments, newest money first, once per
    payment (request key `credit-note:<id>:<payment id>`). Safe to call again."""
    credit_note = CreditNote.objects.select_related("invoice__payment").get(pk=credit_note_id)
    invoice = credit_note.invoice
    payment = invoice.payment
    if payment is None:
        return credit_note
    payments = [
        p for p in (payment, *payment.follow_ups.all()) if p.state == Payment.State.SUCCEEDED
    ]
    keyed = {
        r.request_key: r
        for r in Refund.objects.filter(request_key__startswith=f"credit-note:{credit_note.pk}:")
    }
    left = credit_note.total_incl_vat - sum(r.amount for r in keyed.values())
    first = None
    for paid in sorted(payments, key=lambda p: p.created_at, reverse=True):
        key = f"credit-note:{credit_note.pk}:{paid.pk}"
        if key in keyed:
            refund = refund_request(
                payment_id=paid.pk,
                amount=keyed[key].amount,
                reason=credit_note.reason,
                request_key=key,
                note=credit_note.number,
                created_by=credit_note.created_by,
            )
        elif left > 0 and paid.amount_refundable > 0:
            share = min(left, paid.amount_refundable)
            try:
                refund = refund_request(
                    payment_id=paid.pk,
                    amount=share,
                    reason=credit_note.reason,
                    request_key=key,
                    note=credit_note.number,
                    created_by=credit_note.created_by,
                )
            except RefundError as error:
                logger.warning("credit note %s: refund refused: %s", credit_note.number, error)
                continue
            left -= share
        else:
            continue
        first = first or refund
    if first is not None and credit_note.refund_id is None:
        credit_note.refund = first
        credit_note.save(update_fields=["refund", "updated_at"])
    return credit_note
