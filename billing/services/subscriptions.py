"""Monthly plan fees (tariffs.selectors.subscription_fees_due): one invoice per fee period, in
arrears, with the VAT of the driver's country, charged like any invoice; the period is marked
billed (tariffs.services.subscription_fee_billed) in the same transaction."""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import formats

from billing.invoice_lines import LineData, Totals
from billing.models import Invoice
from billing.services.invoices import _invoice_new
from tariffs.pricing import cost_round
from tariffs.selectors import SubscriptionFee, subscription_fees_due
from tariffs.services import subscription_fee_billed

logger = logging.getLogger(__name__)
HUNDRED = 100


def subscription_fee_invoice(*, fee: SubscriptionFee) -> Invoice:
    """The invoice of one monthly fee, issued once (its key is the fee's); its charge is
    enqueued after commit."""
    existing = Invoice.objects.filter(source_key=fee.key).first()
    if existing is not None:
        subscription_fee_billed(subscription_id=fee.subscription.pk, period_end=fee.period_end)
        return existing
    excl = fee.amount
    vat = cost_round(excl * fee.vat / HUNDRED, fee.currency)
    line = LineData(
        component="subscription",
        quantity=Decimal(1),
        unit="month",
        unit_price=excl,
        vat_rate=fee.vat,
        amount_excl_vat=excl,
        vat_amount=vat,
        amount_incl_vat=excl + vat,
    )
    period = "{} – {}".format(
        formats.date_format(fee.period_start, "SHORT_DATE_FORMAT"),
        formats.date_format(fee.period_end, "SHORT_DATE_FORMAT"),
    )
    try:
        with transaction.atomic():
            invoice = _invoice_new(
                user=fee.subscription.user,
                currency=fee.currency,
                lines=[line],
                totals=Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat),
                moment=None,
                source_key=fee.key,
                charge_description=f"{fee.subscription.plan.name}, {period}"[:300],
            )
            subscription_fee_billed(subscription_id=fee.subscription.pk, period_end=fee.period_end)
            invoice_id = str(invoice.pk)
            transaction.on_commit(lambda: _charge_later(invoice_id), robust=True)
    except IntegrityError:  # issued concurrently by another run
        return Invoice.objects.get(source_key=fee.key)
    return invoice


def subscription_fees_invoice() -> int:
    """Invoice every monthly fee that is due (beat, daily); how many invoices were issued."""
    issued = 0
    for fee in subscription_fees_due():
        invoice = subscription_fee_invoice(fee=fee)
        issued += invoice.source_key == fee.key
    return issued


def _charge_later(invoice_id: str) -> None:
    from billing.services.rating import _charge_later as charge_later

    charge_later(invoice_id)
