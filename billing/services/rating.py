"""Rating a CDR: checked, priced with the driver's plan, reconciled with the CPO's own total,
invoiced; or sent to the review queue for staff. Exactly one invoice per CDR: the CDR row is
locked while it is rated, its rating_status says when it is done, and Invoice.cdr is unique.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from billing.models import CdrRating
from billing.pricing import PriceUnavailable, cdr_prices
from billing.services.invoices import InvoiceDraft, invoice_draft, invoices_save
from roaming.models import CDR
from tariffs.pricing import PriceBreakdown, PricingError
from tariffs.pricing_service import PricingLookups

logger = logging.getLogger(__name__)
Rating = CDR.RatingStatus
Reason = CdrRating.Reason
DONE = (Rating.RATED, Rating.NOT_BILLABLE)
BATCH_SIZE = 200  # CDRs rated in one transaction by cdrs_rate


class ReviewNeeded(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def cdr_rate(*, cdr_id: int, approved: bool = False) -> CdrRating:
    """Rate a CDR once: invoice it (the charge is enqueued after commit) or queue it for review.

    Holds the CDR's row lock for the whole rating. A CDR already rated or not billable is left
    as it is; one in review is rated only when staff approved it (`approved`: the value checks
    are skipped, a driver and a price are still needed)."""
    with transaction.atomic():
        cdr = (
            CDR.objects.select_for_update(of=("self",))
            .select_related("location", "session", "token__user__profile")
            .get(pk=cdr_id)
        )
        # A pending CDR has no rating row yet (it is saved with the status, in one transaction).
        rating = (
            CdrRating(cdr=cdr)
            if cdr.rating_status == Rating.PENDING
            else CdrRating.objects.filter(cdr=cdr).first() or CdrRating(cdr=cdr)
        )
        if cdr.rating_status in DONE or (cdr.rating_status == Rating.NEEDS_REVIEW and not approved):
            return rating
        try:
            user = _driver_of(cdr)
            if not approved:
                _values_check(cdr)
            draft = _rate(cdr, rating, user, approved=approved)
        except ReviewNeeded as review:
            rating.review_reason, rating.review_message = review.reason, review.message[:500]
            rating.save()
            _status_set(cdr, Rating.NEEDS_REVIEW)
            logger.info("CDR %s needs review: %s", cdr, review.message)
            return rating
        rating.save()
        _status_set(cdr, Rating.RATED)
        invoice = invoices_save([draft])[0]  # numbered last: the counter is locked until commit
        invoice_id = str(invoice.pk)
        transaction.on_commit(lambda: _charge_later(invoice_id), robust=True)
        return rating


def cdrs_rate(*, cdr_ids: Sequence[int]) -> int:
    """Rate a batch of CDRs (the sweeper, imports, a backlog): the pending ones in one
    transaction, their lookups read once (pricing_service.PricingLookups), their ratings,
    statuses, invoices and lines written in bulk, numbered last; how many were rated or queued
    for review here. Same outcome per CDR as `cdr_rate`, which rates the rest one by one: the
    CDRs another worker holds (skipped, not waited for, in the batch), the ones not pending,
    and all of them when the batch fails on something other than the database (that CDR's
    error is raised after the others were rated)."""
    ids = sorted(set(cdr_ids))
    handled: set[int] = set()
    for start in range(0, len(ids), BATCH_SIZE):  # bounded transactions (the sweeper sends 1000)
        chunk = ids[start : start + BATCH_SIZE]
        try:
            handled |= _batch_rate(chunk)
        except (OperationalError, InterfaceError):
            raise  # the task retries: this chunk wrote nothing, the ones before are done
        except Exception:
            logger.exception(
                "Rating the CDRs %s..%s together failed; rating one by one", chunk[0], chunk[-1]
            )
    rest = [cdr_id for cdr_id in ids if cdr_id not in handled]
    if rest:  # what cdr_rate would act on (or wait for, when another worker holds it)
        rest = list(
            CDR.objects.filter(pk__in=rest)
            .exclude(rating_status__in=(*DONE, Rating.NEEDS_REVIEW))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    first_error = None
    for cdr_id in rest:
        try:
            cdr_rate(cdr_id=cdr_id)
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            first_error = first_error or error
            logger.exception("Rating CDR %s failed", cdr_id)
    if first_error is not None:
        raise first_error
    return len(handled)


def _batch_rate(ids: list[int]) -> set[int]:
    with transaction.atomic():
        cdrs = list(
            CDR.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("location", "session", "token__user__profile")
            .filter(pk__in=ids, rating_status=Rating.PENDING)
            .order_by("pk")
        )
        if not cdrs:
            return set()
        lookups = PricingLookups()
        lookups.plans_prime(token_ids=sorted({c.token_id for c in cdrs if c.token_id}))
        ratings, drafts, statuses = [], [], {Rating.RATED: [], Rating.NEEDS_REVIEW: []}
        for cdr in cdrs:
            rating = CdrRating(cdr=cdr)
            try:
                user = _driver_of(cdr)
                _values_check(cdr)
                drafts.append(_rate(cdr, rating, user, approved=False, lookups=lookups))
            except ReviewNeeded as review:
                rating.review_reason, rating.review_message = review.reason, review.message[:500]
                statuses[Rating.NEEDS_REVIEW].append(cdr.pk)
                logger.info("CDR %s needs review: %s", cdr, review.message)
            else:
                statuses[Rating.RATED].append(cdr.pk)
            ratings.append(rating)
        CdrRating.objects.bulk_create(ratings)
        now = timezone.now()
        for status, pks in statuses.items():
            if pks:
                CDR.objects.filter(pk__in=pks).update(rating_status=status, updated_at=now)
        invoices = invoices_save(drafts) if drafts else []  # numbered last, just before commit
        invoice_ids = [str(invoice.pk) for invoice in invoices]
        if invoice_ids:
            transaction.on_commit(lambda: _charge_many_later(invoice_ids), robust=True)
        return {cdr.pk for cdr in cdrs}


def _rate(
    cdr: CDR, rating: CdrRating, user, *, approved: bool, lookups: PricingLookups | None = None
) -> InvoiceDraft:
    """The CDR priced, reconciled and its invoice drafted (numbered and saved by the caller,
    last); `rating` filled in, not saved. ReviewNeeded when it cannot be charged."""
    try:
        driver, cpo = cdr_prices(cdr=cdr, lookups=lookups)
    except PriceUnavailable as error:
        reason = Reason.UNKNOWN_TARIFF if error.unknown_tariff else Reason.CANNOT_PRICE
        raise ReviewNeeded(reason, str(error)) from error
    except PricingError as error:
        reason = Reason.CURRENCY_MISMATCH if error.path == "currency" else Reason.CANNOT_PRICE
        raise ReviewNeeded(reason, f"The CDR cannot be priced: {error}") from error
    if driver.breakdown.currency != cdr.currency and not approved:
        raise ReviewNeeded(
            Reason.CURRENCY_MISMATCH,
            f"The CDR is in {cdr.currency}, the driver's price in {driver.breakdown.currency}.",
        )
    _reconcile(rating, cdr, cpo)
    draft = invoice_draft(
        cdr=cdr, user=user, breakdown=driver.breakdown, plan_name=driver.plan_name
    )
    rating.driver_total_incl_vat = draft.invoice.total_incl_vat
    rating.notes = list(driver.breakdown.notes)[:20]
    return draft


def _reconcile(rating: CdrRating, cdr: CDR, cpo: PriceBreakdown) -> None:
    """Our rounded price of the CPO's tariff beside the CPO's stated total; flagged beyond the
    tolerance (BILLING_RECONCILIATION_TOLERANCE, in currency units, excl. or incl. VAT)."""
    ours = cpo.rounded().total_cost
    rating.currency = cdr.currency
    rating.cpo_total_excl_vat = cdr.total_cost_excl_vat
    rating.cpo_total_incl_vat = cdr.total_cost_incl_vat
    rating.our_cpo_total_excl_vat = ours.excl_vat
    rating.our_cpo_total_incl_vat = ours.incl_vat
    rating.difference_excl_vat = ours.excl_vat - cdr.total_cost_excl_vat
    rating.difference_incl_vat = (
        None
        if cdr.total_cost_incl_vat is None or ours.incl_vat is None
        else ours.incl_vat - cdr.total_cost_incl_vat
    )
    tolerance = Decimal(settings.BILLING_RECONCILIATION_TOLERANCE)
    differences = [d for d in (rating.difference_excl_vat, rating.difference_incl_vat) if d]
    rating.reconciliation_flagged = any(abs(d) > tolerance for d in differences) or (
        cpo.currency != cdr.currency
    )
    rating.reconciliation_note = (
        f"Our price of the CPO tariff differs from the CPO's total by {differences[0]} "
        f"{cdr.currency}."
        if rating.reconciliation_flagged and differences
        else ""
    )


def _driver_of(cdr: CDR):
    if cdr.credit:
        raise ReviewNeeded(
            Reason.CREDIT_CDR,
            f"A credit CDR (correcting {cdr.credit_reference_id or 'an earlier CDR'}): issue a "
            "credit note on the corrected invoice.",
        )
    if cdr.token is None or cdr.token.user is None:
        raise ReviewNeeded(
            Reason.UNKNOWN_TOKEN, f"Token {cdr.token_uid} ({cdr.token_type}) is not one of ours."
        )
    return cdr.token.user


def _values_check(cdr: CDR) -> None:
    problems = []
    if cdr.total_energy < 0:
        problems.append(f"negative energy ({cdr.total_energy} kWh)")
    if cdr.total_energy > Decimal(settings.BILLING_CDR_MAX_KWH):
        problems.append(f"{cdr.total_energy} kWh is more than {settings.BILLING_CDR_MAX_KWH}")
    if cdr.end_date_time < cdr.start_date_time:
        problems.append("it ends before it starts")
    elif cdr.end_date_time - cdr.start_date_time > timedelta(days=settings.BILLING_CDR_MAX_DAYS):
        problems.append(f"it lasts more than {settings.BILLING_CDR_MAX_DAYS} days")
    if cdr.total_time < 0 or (cdr.total_parking_time or 0) < 0:
        problems.append("negative time")
    if cdr.total_cost_excl_vat < 0:
        problems.append("a negative total cost")
    if problems:
        raise ReviewNeeded(Reason.IMPOSSIBLE_VALUES, "Impossible values: " + "; ".join(problems))
    session = cdr.session
    if session is not None and session.currency and session.currency != cdr.currency:
        raise ReviewNeeded(
            Reason.CURRENCY_MISMATCH,
            f"The CDR is in {cdr.currency}, its session in {session.currency}.",
        )


def _status_set(cdr: CDR, status: str) -> None:
    cdr.rating_status = status
    cdr.save(update_fields=["rating_status", "updated_at"])


def _charge_later(invoice_id: str) -> None:
    from billing.tasks import invoice_charge_task

    # Stripe-bound work may have a queue (and workers) of its own, so a slow Stripe never
    # holds up rating.
    queue = settings.BILLING_CHARGE_QUEUE or None
    invoice_charge_task.apply_async(args=[invoice_id], queue=queue)


def _charge_many_later(invoice_ids: list[str]) -> None:
    from billing.tasks import invoices_charge_enqueue_task

    # One message for the batch: the charge queue's worker sends each invoice its own charge
    # task (invoices_charge_enqueue), so a batch is charged exactly as invoices rated alone.
    queue = settings.BILLING_CHARGE_QUEUE or None
    invoices_charge_enqueue_task.apply_async(args=[invoice_ids], queue=queue)


def invoices_charge_enqueue(*, invoice_ids: Sequence[str]) -> int:
    """Enqueue one charge task per invoice; how many."""
    for invoice_id in invoice_ids:
        _charge_later(invoice_id)
    return len(invoice_ids)


# --- the review queue ------------------------------------------------------------------------


def cdr_review_approve(*, rating_id: int, user, note: str) -> CdrRating:
    """Staff approve a queued CDR: it is rated anyway (the value checks skipped)."""
    with transaction.atomic():
        rating = CdrRating.objects.select_for_update().get(pk=rating_id)
        if rating.cdr.rating_status != Rating.NEEDS_REVIEW:
            return rating
        _decide(rating, CdrRating.Decision.APPROVED, user, note)
        return cdr_rate(cdr_id=rating.cdr_id, approved=True)


def cdr_review_not_billable(*, rating_id: int, user, note: str) -> CdrRating:
    """Staff close a queued CDR without charging anyone."""
    with transaction.atomic():
        rating = CdrRating.objects.select_for_update().get(pk=rating_id)
        cdr = CDR.objects.select_for_update().get(pk=rating.cdr_id)
        if cdr.rating_status not in (Rating.NEEDS_REVIEW, Rating.FAILED, Rating.PENDING):
            return rating
        _decide(rating, CdrRating.Decision.NOT_BILLABLE, user, note)
        _status_set(cdr, Rating.NOT_BILLABLE)
        return rating


def _decide(rating: CdrRating, decision: str, user, note: str) -> None:
    note = (note or "").strip()
    if not note:
        raise ValueError("A note saying why is required.")
    rating.decision = decision
    rating.decision_note = note[:500]
    rating.decided_by = user
    rating.decided_at = timezone.now()
    rating.save()


def cdrs_stale_pending(*, older_than_seconds: int) -> list[int]:
    """CDRs whose rating task was lost (still pending after a while): the sweeper re-enqueues."""
    moment = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        CDR.objects.filter(
            rating_status__in=(Rating.PENDING, Rating.IN_PROGRESS), created_at__lte=moment
        ).values_list("pk", flat=True)[:1000]
    )
