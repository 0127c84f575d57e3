"""Reads of CPO tariffs (the current one, the one valid at a moment, a connector's tariffs), of
driver price plans and subscriptions, and of VAT rates. The pricing entry points (what a driver
pays) are in `tariffs.pricing_service`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django_countries import countries

from roaming.models import Connector
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import format_datetime
from roaming.services.summaries import connector_power_w
from tariffs.models import PlanSubscription, PowerClass, PricePlan, Tariff, TariffVersion, VatRate
from tariffs.pricing import cost_round


def tariff_get(*, country_code: str, party_id: str, tariff_id: str) -> Tariff:
    """The current, not deleted Tariff; OcpiError 404 otherwise."""
    tariff = Tariff.objects.filter(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        ocpi_id__iexact=tariff_id,
        deleted_at__isnull=True,
    ).first()
    if tariff is None:
        raise OcpiError.not_found(f"Unknown Tariff {tariff_id}.")
    return tariff


def tariff_object(tariff: Tariff) -> dict[str, Any]:
    """The Tariff as OCPI sends it (as received, with its last_updated in our format)."""
    return {**tariff.raw, "last_updated": format_datetime(tariff.last_updated)}


def tariff_version_at(
    *, country_code: str, party_id: str, tariff_id: str, moment: datetime
) -> TariffVersion | None:
    """The version of a Tariff in force at `moment` (the latest published at or before it),
    to price a session with the tariff valid when it started. None if none was known yet."""
    return (
        TariffVersion.objects.filter(
            tariff__country_code=country_code.upper(),
            tariff__party_id=party_id.upper(),
            tariff__ocpi_id__iexact=tariff_id,
            last_updated__lte=moment,
        )
        .order_by("-last_updated")
        .first()
    )


def connector_tariffs(*, connector: Connector) -> QuerySet[Tariff]:
    """The current Tariffs a Connector points to (its tariff_ids, same CPO party)."""
    location = connector.evse.location
    return (
        Tariff.objects.annotate(key=Upper("ocpi_id"))
        .filter(
            country_code=location.country_code,
            party_id=location.party_id,
            key__in=[tariff_id.upper() for tariff_id in connector.tariff_ids],
            deleted_at__isnull=True,
        )
        .order_by("pk")
    )


# Driver price plans and subscriptions.


class NoDefaultPlanError(LookupError):
    """No plan is marked as the default: staff must mark one in the admin."""


def plan_default_get() -> PricePlan:
    plan = PricePlan.objects.filter(is_default=True).first()
    if plan is None:
        raise NoDefaultPlanError("No default price plan: mark one as the default in the admin.")
    return plan


def plan_in_force_get(*, user: Any, moment: datetime) -> PricePlan:
    """The driver's plan at `moment`: their subscription in force, else the default plan.
    One query."""
    return plan_in_force_for(user_id=user.pk, moment=moment)


def plan_in_force_for(
    *, moment: datetime, user_id: int | None = None, token_id: int | None = None
) -> PricePlan:
    """`plan_in_force_get` by the driver's id, or by the id of one of their tokens (a CDR or a
    Session knows its token): one query either way."""
    subscriptions = _subscriptions_at(moment)
    if token_id is not None:
        subscriptions = subscriptions.filter(user__tokens=token_id)
    else:
        subscriptions = subscriptions.filter(user_id=user_id)
    plan = (
        PricePlan.objects.filter(Q(is_default=True) | Q(pk__in=subscriptions.values("plan_id")))
        .order_by("is_default")
        .first()
    )
    if plan is None:
        raise NoDefaultPlanError("No default price plan: mark one as the default in the admin.")
    return plan


class PlansInForce:
    """The plans in force of many tokens' drivers, read at once (`plans_in_force_for_tokens`):
    `at(token_id=, moment=)` answers as `plan_in_force_for(token_id=, moment=)` would."""

    def __init__(self, default: PricePlan | None, subscriptions: dict[int, list]) -> None:
        self.default = default
        self.subscriptions = subscriptions

    def __contains__(self, token_id: object) -> bool:
        return token_id in self.subscriptions

    def at(self, *, token_id: int, moment: datetime) -> PricePlan:
        in_force = [
            subscription.plan
            for subscription in self.subscriptions[token_id]
            if subscription.valid_from <= moment
            and (subscription.valid_until is None or subscription.valid_until > moment)
        ]
        candidates = [plan for plan in in_force if not plan.is_default] or [
            *([self.default] if self.default else []),
            *in_force,
        ]
        if not candidates:
            raise NoDefaultPlanError("No default price plan: mark one as the default in the admin.")
        return candidates[0]


def plans_in_force_for_tokens(*, token_ids: Sequence[int]) -> PlansInForce:
    """The subscriptions of the drivers of these tokens and the default plan: two queries for
    any number of tokens (a rating batch), then `at()` per token and moment."""
    subscriptions: dict[int, list] = {token_id: [] for token_id in token_ids}
    rows = (
        PlanSubscription.objects.filter(user__tokens__in=list(subscriptions))
        .select_related("plan")
        .annotate(token_id=F("user__tokens__id"))
        .order_by("plan_id")
    )
    for subscription in rows:
        subscriptions[subscription.token_id].append(subscription)
    return PlansInForce(PricePlan.objects.filter(is_default=True).first(), subscriptions)


def subscription_in_force_get(
    *, user: Any, moment: datetime | None = None
) -> PlanSubscription | None:
    moment = moment or timezone.now()
    return _subscriptions_at(moment).filter(user=user).select_related("plan").first()


def _subscriptions_at(moment: datetime) -> QuerySet[PlanSubscription]:
    return PlanSubscription.objects.filter(valid_from__lte=moment).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=moment)
    )


def plan_public_list() -> QuerySet[PricePlan]:
    """The plans drivers can subscribe to, cheapest first."""
    plans = PricePlan.objects.filter(is_public=True, is_default=False)
    return plans.order_by("monthly_fee", "name")


@dataclass(frozen=True)
class PlanPeriod:
    """A stretch of a driver's plan history; `subscription` None: the default plan."""

    plan: PricePlan
    valid_from: datetime | None
    valid_until: datetime | None
    subscription: PlanSubscription | None


def plan_history_list(*, user: Any) -> list[PlanPeriod]:
    """The driver's plans over time, newest first, the default plan filling the gaps between
    subscriptions (from the driver's sign-up). Two queries."""
    default = plan_default_get()
    subscriptions = list(
        PlanSubscription.objects.filter(user=user).select_related("plan").order_by("valid_from")
    )
    periods: list[PlanPeriod] = []
    cursor: datetime | None = getattr(user, "date_joined", None)
    for subscription in subscriptions:
        if cursor is None or cursor < subscription.valid_from:
            periods.append(PlanPeriod(default, cursor, subscription.valid_from, None))
        periods.append(
            PlanPeriod(
                subscription.plan, subscription.valid_from, subscription.valid_until, subscription
            )
        )
        cursor = subscription.valid_until
        if cursor is None:
            break
    else:
        periods.append(PlanPeriod(default, cursor, None, None))
    return periods[::-1]


def subscription_period_at(
    subscription: PlanSubscription, moment: datetime
) -> tuple[datetime, datetime]:
    """The monthly billing period [start, end) of `subscription` that contains `moment` (periods
    run a month from valid_from, each starting on the same day of the month, clipped to the
    month's last day), not clipped to valid_until."""
    start, months = subscription.valid_from, 0
    while month_add(start, months + 1) <= moment:
        months += 1
    return month_add(start, months), month_add(start, months + 1)


def month_add(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months, on the same day of the month or the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


@dataclass(frozen=True)
class SubscriptionFee:
    """One monthly fee to bill: the period [period_start, period_end) of a subscription, which
    ended (or was cut short by a change of plan: then `amount` is pro rata). `amount` is
    excl. VAT, rounded (`cost_round`); `vat` is the rate of the driver's country (their
    profile's, else ours). `key` is stable: the idempotency key of the invoice for it."""

    subscription: PlanSubscription
    period_start: datetime
    period_end: datetime
    amount: Decimal
    currency: str
    vat: Decimal
    full_period: bool

    @property
    def key(self) -> str:
        return f"plan-fee:{self.subscription.pk}:{self.period_start:%Y%m%dT%H%M%S}"


def subscription_fees_due(*, now: datetime | None = None) -> list[SubscriptionFee]:
    """Every monthly fee due and not yet billed (`billed_until`), oldest period first. Billing
    invoices each (idempotency key `fee.key`) and then calls
    `tariffs.services.subscription_fee_billed`. One query, plus the VAT table when not cached."""
    now = now or timezone.now()
    subscriptions = (
        PlanSubscription.objects.filter(valid_from__lt=now, plan__monthly_fee__gt=0)
        .exclude(billed_until__gte=F("valid_until"))
        .select_related("plan", "user__profile")
        .order_by("valid_from", "pk")
    )
    fees = []
    for subscription in subscriptions:
        fees.extend(_fees_of(subscription, now))
    return sorted(fees, key=lambda fee: (fee.period_end, fee.subscription.pk))


def _fees_of(subscription: PlanSubscription, now: datetime) -> list[SubscriptionFee]:
    fees = []
    plan = subscription.plan
    months = 0
    billed = subscription.billed_until or subscription.valid_from
    while True:
        start = month_add(subscription.valid_from, months)
        full_end = month_add(subscription.valid_from, months + 1)
        months += 1
        if subscription.valid_until is not None and start >= subscription.valid_until:
            break
        end = min(full_end, subscription.valid_until or full_end)
        if end > now:
            break
        if end <= billed:
            continue
        fraction = Decimal((end - start) // timedelta(seconds=1)) / Decimal(
            (full_end - start) // timedelta(seconds=1)
        )
        country = getattr(getattr(subscription.user, "profile", None), "country", None)
        fees.append(
            SubscriptionFee(
                subscription=subscription,
                period_start=start,
                period_end=end,
                amount=cost_round(plan.monthly_fee * fraction, plan.fee_currency),
                currency=plan.fee_currency,
                vat=vat_rate_get(country=str(country or settings.OCPI_COUNTRY_CODE), on=end.date()),
                full_period=end == full_end,
            )
        )
    return fees


# VAT rates per country.

_VAT_CACHE_KEY = "tariffs:vat-rates"
_VAT_CACHE_SECONDS = 300


class VatRateMissingError(LookupError):
    """No VAT rate is known for a country (staff add it in the admin)."""


def vat_rate_get(*, country: str, on: date) -> Decimal:
    """The VAT rate (percent) of `country` (ISO 3166-1 alpha-2 or alpha-3) on the date `on`.
    The table is cached (settings cache, 5 minutes; changed rows clear it)."""
    code = countries.alpha2(country) or country.upper()
    rates = vat_rates_table().get(code)
    for valid_from, rate in rates or ():
        if valid_from <= on:
            return rate
    raise VatRateMissingError(f"No VAT rate for country {country} on {on}: add one in the admin.")


def vat_rates_table() -> dict[str, list[tuple[date, Decimal]]]:
    """{country alpha-2: [(valid_from, rate), ...] newest first}, from the cache or one query."""
    table = cache.get(_VAT_CACHE_KEY)
    if table is None:
        table = {}
        for row in VatRate.objects.order_by("country", "-valid_from"):
            table.setdefault(str(row.country), []).append((row.valid_from, row.rate))
        cache.set(_VAT_CACHE_KEY, table, _VAT_CACHE_SECONDS)
    return table


def vat_rates_cache_clear(**kwargs: Any) -> None:
    cache.delete(_VAT_CACHE_KEY)


# Connectors: power and power class.


def connector_power_kw(connector: Connector) -> Decimal:
    """The connector's maximum power in kW: max_electric_power (W), else voltage x amperage x
    phases (OCPI gives AC_3_PHASE's voltage line to neutral)."""
    return Decimal(connector_power_w(connector)) / 1000


def power_class_of(*, power_type: str, power_kw: Decimal | None) -> str:
    """AC for alternating current; DC below settings.PRICING_HPC_MIN_KW, HPC from it."""
    if power_type != "DC":
        return PowerClass.AC
    if power_kw is not None and power_kw >= Decimal(settings.PRICING_HPC_MIN_KW):
        return PowerClass.HPC
    return PowerClass.DC


def connector_power_class(connector: Connector) -> str:
    return power_class_of(power_type=connector.power_type, power_kw=connector_power_kw(connector))
