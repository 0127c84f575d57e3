"""Invoices: issued once per rated CDR with a gap-free number, charged through the payments
layer, followed to paid (receipt with the PDF) or open (the driver pays on the web page).

Numbers: `document_number_next` increments the series' counter row inside the caller's
transaction; the row stays locked until that transaction commits, so concurrent issuers queue
and a rolled-back issue gives its number back: no gap, no duplicate. Invoices are drafted first
(no database) and numbered last (`invoices_save`), just before their rows are written and the
transaction commits, so the counter row is locked as briefly as possible.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from billing.invoice_lines import LineData, Totals, invoice_lines
from billing.models import (
    DocumentCounter,
    Invoice,
    InvoiceLine,
    Payment,
    SessionHold,
)
from billing.money import MoneyError, stripe_chargeable
from billing.selectors import payment_get_for
from billing.services.payments import payment_capture, payment_charge, payment_release
from billing.signals import invoices_issued
from drivers.selectors import driver_language_get
from roaming.models import CDR
from tariffs.pricing import PriceBreakdown

logger = logging.getLogger(__name__)
Status = Invoice.PaymentStatus
INVOICE_PURPOSE = "invoice"


# --- numbers ---------------------------------------------------------------------------------


def document_number_next(*, series: str) -> int:
    """The next number of `series`; call inside the transaction that saves the document (the
    counter row stays locked until it commits)."""
    return document_numbers_next(series=series, count=1)[0]


def document_numbers_next(*, series: str, count: int) -> range:
    """The next `count` numbers of `series`, consecutive, in one step (a batch of documents);
    call inside the transaction that saves them (the counter row stays locked until it
    commits)."""
    if count < 1:
        raise ValueError("Allocate at least one document number.")
    if not connection.in_atomic_block:
        raise RuntimeError("Allocate document numbers inside the issuing transaction.")
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                f"UPDATE {DocumentCounter._meta.db_table} SET last_number = last_number + %s "  # noqa: S608
                "WHERE series = %s RETURNING last_number",
                [count, series],
            )
            row = cursor.fetchone()
            if row is not None:
                return range(row[0] - count + 1, row[0] + 1)
            DocumentCounter.objects.bulk_create(
                [DocumentCounter(series=series)], ignore_conflicts=True
            )
    raise RuntimeError(f"The counter of {series} could not be created.")


def invoice_series(*, currency: str, moment) -> str:
    return f"INV-{moment.year}-{settings.OCPI_COUNTRY_CODE}-{currency}"


# --- issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    address: str
    country: str
    language: str


def buyer_snapshot(*, user) -> Buyer:
    """The driver's billing details as they are now (copied onto the invoice)."""
    from drivers.models import DriverProfile

    try:
        profile = user.profile  # loaded with the user where the caller selected it
    except DriverProfile.DoesNotExist:
        profile = None
    language = (profile.preferred_language if profile else "") or settings.LANGUAGE_CODE
    if profile is None:
        return Buyer("", user.email, "", "", language)
    address = "\n".join(
        part
        for part in (
            profile.address_line1,
            profile.address_line2,
            f"{profile.postal_code} {profile.city}".strip(),
            str(profile.country.name) if profile.country else "",
        )
        if part
    )
    return Buyer(profile.full_name, user.email, address, str(profile.country or ""), language)


@dataclass(frozen=True)
class InvoiceDraft:
    """An invoice ready to issue but not yet numbered nor saved (`invoices_save` does both)."""

    invoice: Invoice
    lines: list[LineData]


def invoice_issue(
    *, cdr: CDR, user, breakdown: PriceBreakdown, moment=None, plan_name: str = ""
) -> Invoice:
    """Issue the invoice of a rated CDR (inside the rating transaction, the CDR row locked):
    lines and totals from the exact breakdown (rounded once per line, VAT per line), a number
    from the year's and currency's series, the seller from settings, the buyer as now."""
    draft = invoice_draft(
        cdr=cdr, user=user, breakdown=breakdown, moment=moment, plan_name=plan_name
    )
    return invoices_save([draft])[0]


def invoice_draft(
    *, cdr: CDR, user, breakdown: PriceBreakdown, moment=None, plan_name: str = ""
) -> InvoiceDraft:
    """The invoice of a rated CDR, not yet numbered nor saved (no query when the CDR was
    loaded with its location and the user with its profile): see `invoice_issue`."""
    lines, totals = invoice_lines(breakdown)
    location = cdr.location
    return _draft_new(
        user=user,
        currency=breakdown.currency,
        lines=lines,
        totals=totals,
        moment=moment,
        cdr=cdr,
        session_id=cdr.session_id,
        charge_description=plan_name[:300],
        location_name=(location.name if location else "")[:300],
        location_address=(f"{location.address}, {location.city}" if location else "")[:400],
        evse_id=cdr.evse_id,
        session_start=cdr.start_date_time,
        session_end=cdr.end_date_time,
        energy_kwh=cdr.total_energy,
    )


def _invoice_new(*, user, currency: str, lines: list[LineData], totals: Totals, moment, **what):
    """Save a new invoice and its lines (inside the issuing transaction)."""
    draft = _draft_new(
        user=user, currency=currency, lines=lines, totals=totals, moment=moment, **what
    )
    return invoices_save([draft])[0]


def _draft_new(
    *, user, currency: str, lines: list[LineData], totals: Totals, moment, **what
) -> InvoiceDraft:
    moment = moment or timezone.now()
    buyer = buyer_snapshot(user=user)
    due, waived = _amount_due(totals, currency)
    invoice = Invoice(
        series=invoice_series(currency=currency, moment=moment),
        user=user,
        issued_at=moment,
        currency=currency,
        language=buyer.language,
        seller_name=settings.BILLING_SELLER_NAME,
        seller_address=settings.BILLING_SELLER_ADDRESS,
        seller_vat_id=settings.BILLING_SELLER_VAT_ID,
        buyer_name=buyer.name,
        buyer_email=buyer.email,
        buyer_address=buyer.address,
        buyer_country=buyer.country,
        total_excl_vat=totals.excl_vat,
        total_vat=totals.vat,
        total_incl_vat=totals.incl_vat,
        amount_due=due,
        amount_rounding_waived=waived,
        payment_status=Status.PENDING if due else Status.PAID,
        paid_at=None if due else moment,
        **what,
    )
    return InvoiceDraft(invoice, lines)


def invoices_save(drafts: Sequence[InvoiceDraft]) -> list[Invoice]:
    """Number the drafts (gap-free, in their order within each series, one counter step per
    series) and save them with their lines: call last in the issuing transaction, so the
    counter rows stay locked only for these inserts and the commit. Queries: one per series,
    then one insert of the invoices and one of their lines. Series are locked in name order,
    so two batches meeting the same series never wait for each other in a cycle."""
    if not connection.in_atomic_block:
        raise RuntimeError("Issue invoices inside a transaction.")
    by_series: dict[str, list[Invoice]] = {}
    for draft in drafts:
        by_series.setdefault(draft.invoice.series, []).append(draft.invoice)
    for series in sorted(by_series):
        invoices = by_series[series]
        numbers = document_numbers_next(series=series, count=len(invoices))
        for invoice, sequence in zip(invoices, numbers, strict=True):
            invoice.sequence = sequence
            invoice.number = f"{series}-{sequence:06d}"
    invoices = [draft.invoice for draft in drafts]
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            _line_row(draft.invoice, position, line)
            for draft in drafts
            for position, line in enumerate(draft.lines, 1)
        ]
    )
    issued = [str(invoice.pk) for invoice in invoices]
    transaction.on_commit(
        lambda: invoices_issued.send(sender=Invoice, invoice_ids=issued), robust=True
    )
    return invoices


def _line_row(invoice: Invoice, position: int, line: LineData) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        position=position,
        component=line.component,
        quantity=line.quantity.quantize(Decimal("0.000001")),
        unit=line.unit,
        unit_price=None if line.unit_price is None else line.unit_price.quantize(Decimal("1e-6")),
        vat_rate=line.vat_rate,
        amount_excl_vat=line.amount_excl_vat,
        vat_amount=line.vat_amount,
        amount_incl_vat=line.amount_incl_vat,
    )


def _amount_due(totals: Totals, currency: str) -> tuple[Decimal, Decimal]:
    """The invoice's total, less the fraction Stripe cannot charge in this currency (a KWD
    total of 1.235 is charged 1.23: Stripe takes three-decimal currencies in tens); that
    fraction is waived and printed on the invoice. Never rounded up."""
    try:
        due = stripe_chargeable(totals.incl_vat, currency)
    except MoneyError:
        return totals.incl_vat, Decimal(0)
    return due, totals.incl_vat - due


# --- charging --------------------------------------------------------------------------------


def invoice_charge(*, invoice_id: uuid.UUID | str) -> Invoice:
    """Ask the payments layer for the invoice's money, once: capture the session's hold when
    there is one, else an off-session charge (purpose "invoice", reference the invoice id).
    Safe to run again: the payments layer keys both by what they pay for."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.payment_id or invoice.payment_status != Status.PENDING or invoice.user is None:
            return invoice
        hold = _hold_of(invoice)
        if hold is not None and hold.payment.state in Payment.OPEN_STATES:
            payment_release(payment_id=hold.payment_id)  # declined at the start: charge instead
            hold = None
        if hold is not None:
            invoice.payment = hold.payment
        else:
            invoice.payment = payment_charge(
                user=invoice.user,
                purpose=INVOICE_PURPOSE,
                reference=str(invoice.pk),
                amount=invoice.amount_due,
                currency=invoice.currency,
                description=f"Invoice {invoice.number}",
            )
        invoice.save(update_fields=["payment", "updated_at"])
    if hold is not None:
        payment_capture(payment_id=hold.payment_id, amount=invoice.amount_due)
    return invoice_payment_sync(invoice_id=invoice.pk)


def _hold_of(invoice: Invoice) -> SessionHold | None:
    if invoice.session_id is None:
        return None
    hold = (
        SessionHold.objects.select_related("payment")
        .filter(session_id=invoice.session_id, payment__isnull=False)
        .first()
    )
    if hold is None or hold.payment.currency != invoice.currency:
        return None
    return hold


def invoice_payment_sync(*, invoice_id: uuid.UUID | str) -> Invoice:
    """Set the invoice's payment status from its payments (the charge, or the hold and its
    follow-ups); a newly paid invoice gets its receipt, a newly open one tells the driver
    and applies the unpaid rule. Idempotent."""
    became = ""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.payment_id is None:
            return invoice
        status = _status_from(invoice.payment)
        if status != invoice.payment_status:
            became = status
            invoice.payment_status = status
            fields = ["payment_status", "updated_at"]
            if status in (Status.PAID, Status.WAIVED):
                invoice.paid_at = timezone.now()
                invoice.amount_paid = invoice.amount_due if status == Status.PAID else 0
                fields += ["paid_at", "amount_paid"]
            invoice.save(update_fields=fields)
    if became == Status.PAID:
        _receipt_later(invoice.pk)
    if became in (Status.PAID, Status.OPEN, Status.WAIVED) and invoice.user_id:
        from billing.services.dunning import driver_standing_apply_later

        driver_standing_apply_later(user_id=invoice.user_id)
    return invoice


def _status_from(payment: Payment) -> str:
    relevant = [payment] if payment.kind == Payment.Kind.CHARGE else []
    if payment.kind == Payment.Kind.HOLD:
        if payment.amount_to_capture is None:
            return Status.PENDING
        if payment.amount_to_capture > 0:
            relevant.append(payment)
        relevant += list(payment.follow_ups.all())
    states = {p.state for p in relevant}
    if not states:
        return Status.PENDING
    if states & set(Payment.OPEN_STATES):
        return Status.OPEN
    if states & {Payment.State.PENDING, Payment.State.AUTHORIZED}:
        return Status.PENDING
    if Payment.State.CARRIED in states:
        return Status.CARRIED
    if states <= {Payment.State.WAIVED}:
        return Status.WAIVED
    if states <= {Payment.State.SUCCEEDED, Payment.State.WAIVED, Payment.State.CANCELED}:
        return Status.PAID
    return Status.PENDING


def invoices_for_payment(*, payment: Payment) -> list[str]:
    """The ids of the invoices a payment (or its parent hold) pays for."""
    ids = [payment.pk] + ([payment.parent_id] if payment.parent_id else [])
    return [
        str(pk) for pk in Invoice.objects.filter(payment_id__in=ids).values_list("pk", flat=True)
    ]


def invoice_open_payment(*, invoice: Invoice) -> Payment | None:
    """The payment the driver can pay now on the web page or in the app, if any."""
    if invoice.payment_id is None:
        return None
    payment = invoice.payment
    candidates = [payment, *payment.follow_ups.all()]
    return next((p for p in candidates if p.is_open), None)


# --- receipt ---------------------------------------------------------------------------------


def invoice_receipt_send(*, invoice_id: uuid.UUID | str) -> bool:
    """Email the paid invoice to the driver, with its PDF, in their language. Once."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.receipt_sent_at is not None or invoice.payment_status != Status.PAID:
            return False
        _receipt_message(invoice).send()  # a crash before the commit may send it twice, never 0
        invoice.receipt_sent_at = timezone.now()
        invoice.save(update_fields=["receipt_sent_at", "updated_at"])
    return True


def _receipt_message(invoice: Invoice) -> EmailMultiAlternatives:
    from billing.pdf import invoice_pdf

    user = invoice.user
    language = (driver_language_get(user=user) if user else None) or invoice.language
    with translation.override(language):
        context = {
            "invoice": invoice,
            "site_name": settings.SITE_NAME,
            "public_url": settings.EMSP_PUBLIC_URL,
            "invoice_url": settings.EMSP_PUBLIC_URL
            + reverse("billing:invoice_detail", args=[invoice.pk]),
        }
        subject = render_to_string("billing/email/receipt_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=render_to_string("billing/email/receipt_message.txt", context),
            to=[invoice.buyer_email],
        )
        message.attach_alternative(
            render_to_string("billing/email/receipt_message.html", context), "text/html"
        )
        message.attach(f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf")
    return message


def _receipt_later(invoice_id) -> None:
    from billing.tasks import invoice_receipt_send_task

    transaction.on_commit(lambda: invoice_receipt_send_task.delay(str(invoice_id)), robust=True)


def payment_for_invoice_get(*, invoice: Invoice) -> Payment | None:
    return invoice.payment or payment_get_for(purpose=INVOICE_PURPOSE, reference=str(invoice.pk))
