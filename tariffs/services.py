"""Writes of CPO tariffs (the OCPI Tariffs receiver and the pulls): versioned, never regressed;
and of drivers' plan subscriptions."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.selectors import payment_method_usable_get
from roaming.models import Partner
from roaming.ocpi import tariffs as ocpi
from roaming.ocpi.errors import OcpiError
from roaming.selectors import partner_party_check
from roaming.services.common import StoreResult, ocpi_validate, same_id
from tariffs.models import PlanSubscription, PricePlan, Tariff, TariffVersion
from tariffs.pricing import TariffError, tariff_parse
from tariffs.selectors import subscription_period_at


def tariff_validate(data: Any) -> ocpi.Tariff:
    """The one place a received Tariff is validated before we store it: the OCPI schema (types,
    required fields), then the pricing engine, so a tariff we could not price is refused on
    arrival (HTTP 400, OCPI 2001, naming the field) rather than when a CDR needs it."""
    model = ocpi_validate(ocpi.Tariff, data)
    try:
        tariff_parse(data)
    except TariffError as error:
        raise OcpiError.invalid(f"Invalid tariff: {error}") from None
    return model


@transaction.atomic
def tariff_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str | None = None,
    party_id: str | None = None,
    tariff_id: str | None = None,
) -> StoreResult[Tariff]:
    """Store a new version of a Tariff. An older last_updated than the stored one is ignored
    (`stale`); every accepted version is kept in TariffVersion; a deleted Tariff comes back."""
    model = tariff_validate(data)
    same_id("country_code", country_code, model.country_code)
    same_id("party_id", party_id, model.party_id)
    same_id("id", tariff_id, model.id)
    partner_party_check(partner=partner, country_code=model.country_code, party_id=model.party_id)
    tariff = (
        Tariff.objects.select_for_update()
        .filter(
            country_code=model.country_code.upper(),
            party_id=model.party_id.upper(),
            ocpi_id__iexact=model.id,
        )
        .first()
    )
    if tariff is not None and model.last_updated < tariff.last_updated:
        return StoreResult(tariff, created=False, stale=True)
    created = tariff is None or tariff.deleted_at is not None
    tariff = tariff or Tariff(
        country_code=model.country_code, party_id=model.party_id, ocpi_id=model.id
    )
    tariff.partner = partner
    tariff.currency = model.currency
    tariff.tariff_type = model.type or ""
    tariff.start_date_time = model.start_date_time
    tariff.end_date_time = model.end_date_time
    tariff.raw = data
    tariff.last_updated = model.last_updated
    tariff.deleted_at = None
    tariff.save()
    TariffVersion.objects.update_or_create(
        tariff=tariff, last_updated=model.last_updated, defaults={"raw": data}
    )
    return StoreResult(tariff, created=created)


@transaction.atomic
def tariff_delete(*, partner: Partner, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """The CPO no longer uses this Tariff: it is served no more, its history stays."""
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    tariff = (
        Tariff.objects.select_for_update()
        .filter(
            country_code=country_code.upper(),
            party_id=party_id.upper(),
            ocpi_id__iexact=tariff_id,
            deleted_at__isnull=True,
        )
        .first()
    )
    if tariff is None:
        raise OcpiError.not_found(f"Unknown Tariff {tariff_id}.")
    tariff.deleted_at = timezone.now()
    tariff.save(update_fields=["deleted_at", "updated_at"])
    return tariff


# Drivers' plan subscriptions.


class PlanError(ValueError):
    """A plan change that cannot be made (str() says why, for the driver)."""


@transaction.atomic
def plan_subscribe(
    *, user: Any, plan: PricePlan, now: datetime | None = None, by_staff: bool = False
) -> PlanSubscription:
    """Put the driver on `plan` from `now` on. A subscription to another plan ends at once (its
    fee is billed pro rata), the new one starts its own monthly periods; subscribing again to
    the plan one is on keeps that subscription (and withdraws a pending cancellation).

    Drivers may only take plans offered to them, and a plan with a fee only with a usable
    card; staff (`by_staff`) may put a driver on any plan but the default one. Holds a lock on
    the driver's row, so a driver's subscriptions never overlap.
    """
    now = now or timezone.now()
    if plan.is_default:
        raise PlanError(_("Everyone without a subscription is on the default plan."))
    if not by_staff and not plan.is_public:
        raise PlanError(_("This plan is not offered."))
    _driver_lock(user)
    current = _subscription_current(user, now)
    if current is not None and current.plan_id == plan.pk:
        if current.valid_until is not None:
            current.valid_until = None
            current.save(update_fields=["valid_until"])
        return current
    if not by_staff and plan.monthly_fee and payment_method_usable_get(user=user) is None:
        raise PlanError(_("Add a payment card before you subscribe to a plan with a fee."))
    if current is not None and current.valid_from >= now:
        current.delete()  # changed in the very moment it began: it was never in force
    elif current is not None:
        current.valid_until = now
        current.save(update_fields=["valid_until"])
    PlanSubscription.objects.filter(user=user, valid_from__gt=now).delete()
    return PlanSubscription.objects.create(user=user, plan=plan, valid_from=now)


@transaction.atomic
def plan_subscription_cancel(
    *, user: Any, now: datetime | None = None, at_once: bool = False
) -> PlanSubscription | None:
    """End the driver's subscription at the end of its current monthly period (the fee for it
    is paid; `at_once` for staff: now, billed pro rata); then the default plan applies. None
    when the driver has no subscription. Calling it again changes nothing."""
    now = now or timezone.now()
    _driver_lock(user)
    current = _subscription_current(user, now)
    if current is None:
        return None
    end = now if at_once else subscription_period_at(current, now)[1]
    if current.valid_until is None or end < current.valid_until:
        current.valid_until = end
        current.save(update_fields=["valid_until"])
    return current


@transaction.atomic
def subscription_fee_billed(*, subscription_id: int, period_end: datetime) -> PlanSubscription:
    """Record that the monthly fee is billed up to `period_end` (a `SubscriptionFee`'s); safe to
    call twice, never moves back."""
    subscription = PlanSubscription.objects.select_for_update().get(pk=subscription_id)
    if subscription.billed_until is None or subscription.billed_until < period_end:
        subscription.billed_until = period_end
        subscription.save(update_fields=["billed_until"])
    return subscription


def _driver_lock(user: Any) -> None:
    type(user).objects.select_for_update().filter(pk=user.pk).first()


def _subscription_current(user: Any, now: datetime) -> PlanSubscription | None:
    return (
        PlanSubscription.objects.filter(user=user, valid_from__lte=now)
        .exclude(valid_until__lte=now)
        .order_by("-valid_from")
        .first()
    )
