"""Subscriptions: a driver subscribes, changes plan mid-month, cancels; a session is priced with
the plan in force when it started; monthly fees due for billing, pro rata when cut short."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tariffs.models import PlanSubscription, PricePlan
from tariffs.pricing_service import cdr_driver_price
from tariffs.selectors import (
    month_add,
    plan_history_list,
    plan_in_force_get,
    plan_public_list,
    subscription_fees_due,
)
from tariffs.services import (
    PlanError,
    plan_subscribe,
    plan_subscription_cancel,
    subscription_fee_billed,
)
from tests.billing.factories import PaymentMethodFactory
from tests.tariffs.factories import (
    PricePlanFactory,
    cdr_store,
    component,
    cpo_tariff_store,
    element,
    location_store,
    own_tariff,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
MARCH_1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MARCH_15 = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def card(driver):
    return PaymentMethodFactory(user=driver)


@pytest.fixture
def plus():
    return PricePlanFactory(
        name="Plus", monthly_fee=Decimal("4.99"), method="own_tariff", tariff=own_tariff(0.39)
    )


@pytest.fixture
def max_plan():
    return PricePlanFactory(
        name="Max", monthly_fee=Decimal("9.99"), method="own_tariff", tariff=own_tariff(0.29)
    )


def test_a_driver_subscribes_and_is_on_the_plan_from_then_on(driver, card, plus):
    subscription = plan_subscribe(user=driver, plan=plus, now=MARCH_1)

    assert subscription.valid_from == MARCH_1
    assert subscription.valid_until is None
    assert plan_in_force_get(user=driver, moment=MARCH_1 - timedelta(seconds=1)).is_default
    assert plan_in_force_get(user=driver, moment=MARCH_1) == plus


def test_a_plan_with_a_fee_needs_a_card(driver, plus):
    with pytest.raises(PlanError, match="payment card"):
        plan_subscribe(user=driver, plan=plus, now=MARCH_1)

    assert not PlanSubscription.objects.exists()


def test_drivers_cannot_take_plans_that_are_not_offered_nor_the_default(driver, card, plus):
    plus.is_public = False
    plus.save()

    with pytest.raises(PlanError, match="not offered"):
        plan_subscribe(user=driver, plan=plus)
    with pytest.raises(PlanError, match="default"):
        plan_subscribe(user=driver, plan=PricePlan.objects.get(is_default=True), by_staff=True)
    assert plan_subscribe(user=driver, plan=plus, by_staff=True).plan == plus


def test_subscribing_twice_keeps_one_subscription(driver, card, plus):
    first = plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    again = plan_subscribe(user=driver, plan=plus, now=MARCH_15)

    assert again == first
    assert PlanSubscription.objects.count() == 1


def test_a_change_of_plan_mid_month_prices_each_session_with_the_plan_at_its_start(
    driver, card, plus, max_plan, cpo, token
):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.25, vat=21))))
    location = location_store(cpo)
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    plan_subscribe(user=driver, plan=max_plan, now=MARCH_15)
    before = cdr_store(cpo, location, token, MARCH_15 - timedelta(hours=1), 120, 20)
    after = cdr_store(cpo, location, token, MARCH_15 + timedelta(hours=1), 60, 20)
    long_before = cdr_store(cpo, location, token, MARCH_1 - timedelta(days=1), 60, 20)

    prices = {
        name: cdr_driver_price(cdr=cdr)
        for name, cdr in (("before", before), ("after", after), ("long before", long_before))
    }

    # started on Plus (0.39/kWh), though it ended on Max; 21 % VAT of the Netherlands
    assert prices["before"][1].plan == plus
    assert prices["before"][0].rounded().total_cost.incl_vat == Decimal("9.44")  # 7.80 * 1.21
    assert prices["after"][1].plan == max_plan
    assert prices["after"][0].rounded().total_cost.incl_vat == Decimal("7.02")  # 5.80 * 1.21
    assert prices["long before"][1].plan.is_default
    assert prices["long before"][0].rounded().total_cost.incl_vat == Decimal("6.66")


def test_the_plan_history_shows_every_change_newest_first(driver, card, plus, max_plan):
    driver.date_joined = datetime(2026, 1, 5, tzinfo=UTC)
    driver.save()
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    plan_subscribe(user=driver, plan=max_plan, now=MARCH_15)
    plan_subscription_cancel(user=driver, now=MARCH_15 + timedelta(days=3))

    history = plan_history_list(user=driver)

    assert [(p.plan.name, p.valid_from, p.valid_until) for p in history] == [
        ("Pay as you go", datetime(2026, 4, 15, 8, 0, tzinfo=UTC), None),
        ("Max", MARCH_15, datetime(2026, 4, 15, 8, 0, tzinfo=UTC)),
        ("Plus", MARCH_1, MARCH_15),
        ("Pay as you go", datetime(2026, 1, 5, tzinfo=UTC), MARCH_1),
    ]


def test_cancelling_keeps_the_plan_until_the_end_of_the_paid_month(driver, card, plus):
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)

    subscription = plan_subscription_cancel(user=driver, now=MARCH_15)
    again = plan_subscription_cancel(user=driver, now=MARCH_15 + timedelta(days=1))

    end = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    assert subscription.valid_until == end
    assert again.valid_until == end
    assert plan_in_force_get(user=driver, moment=end - timedelta(seconds=1)) == plus
    assert plan_in_force_get(user=driver, moment=end).is_default
    assert plan_subscription_cancel(user=driver, now=end) is None


def test_subscribing_again_withdraws_a_pending_cancellation(driver, card, plus):
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    plan_subscription_cancel(user=driver, now=MARCH_15)

    subscription = plan_subscribe(user=driver, plan=plus, now=MARCH_15 + timedelta(days=1))

    assert subscription.valid_until is None


def test_monthly_fees_are_due_after_each_month_and_pro_rata_when_cut_short(
    driver, card, plus, max_plan
):
    driver.profile.country = "DE"
    driver.profile.save()
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    plan_subscribe(user=driver, plan=max_plan, now=MARCH_15)

    due = subscription_fees_due(now=datetime(2026, 4, 20, tzinfo=UTC))

    # Plus for 14 of March's 31 days: 4.99 * 14/31 = 2.2535... -> 2.25; Max for 15 Mar - 15 Apr
    assert [(f.subscription.plan.name, f.period_start, f.period_end, f.amount) for f in due] == [
        ("Plus", MARCH_1, MARCH_15, Decimal("2.25")),
        ("Max", MARCH_15, datetime(2026, 4, 15, 8, 0, tzinfo=UTC), Decimal("9.99")),
    ]
    assert [(f.currency, f.vat, f.full_period) for f in due] == [
        ("EUR", Decimal("19.00"), False),
        ("EUR", Decimal("19.00"), True),
    ]
    assert len({f.key for f in due}) == 2


def test_a_billed_fee_is_not_due_again(driver, card, plus):
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)
    now = datetime(2026, 5, 2, tzinfo=UTC)
    march, april = subscription_fees_due(now=now)

    subscription_fee_billed(subscription_id=march.subscription.pk, period_end=march.period_end)
    subscription_fee_billed(subscription_id=march.subscription.pk, period_end=march.period_end)

    assert [fee.key for fee in subscription_fees_due(now=now)] == [april.key]
    subscription_fee_billed(subscription_id=april.subscription.pk, period_end=april.period_end)
    subscription_fee_billed(subscription_id=march.subscription.pk, period_end=march.period_end)
    assert subscription_fees_due(now=now) == []


def test_a_fee_of_a_month_not_yet_over_is_not_due(driver, card, plus):
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)

    assert subscription_fees_due(now=MARCH_15) == []


def test_a_plan_without_fee_has_no_fees_due(driver):
    free = PricePlanFactory(monthly_fee=Decimal(0))
    plan_subscribe(user=driver, plan=free, now=MARCH_1)

    assert subscription_fees_due(now=datetime(2027, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), 2, datetime(2026, 3, 31, tzinfo=UTC)),
        (datetime(2028, 1, 30, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 12, 15, tzinfo=UTC), 1, datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 14, datetime(2028, 1, 15, tzinfo=UTC)),
    ],
)
def test_monthly_periods_keep_their_day_or_the_months_last(start, months, expected):
    assert month_add(start, months) == expected


def test_the_offered_plans_are_listed_cheapest_first(plus, max_plan):
    PricePlanFactory(name="Staff only", is_public=False)

    assert list(plan_public_list()) == [plus, max_plan]


@pytest.mark.django_db(transaction=True)
def test_concurrent_plan_changes_never_overlap(plus, max_plan):
    """Two plan changes of one driver at once (two devices): the lock on the driver's row makes
    them one after the other; exactly one subscription is open afterwards."""
    import threading

    from django.db import connection

    from tests.drivers.factories import DriverFactory

    driver = DriverFactory()
    PaymentMethodFactory(user=driver)
    barrier = threading.Barrier(2)
    errors = []

    def change(plan):
        try:
            barrier.wait()
            for _round in range(5):
                plan_subscribe(user=driver, plan=plan)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(plan,)) for plan in (plus, max_plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    subscriptions = list(PlanSubscription.objects.filter(user=driver).order_by("valid_from", "pk"))
    assert [s.valid_until for s in subscriptions].count(None) == 1
    for earlier, later in itertools.pairwise(subscriptions):
        assert earlier.valid_until is not None
        assert earlier.valid_until <= later.valid_from


def test_a_change_in_the_very_moment_a_subscription_began_replaces_it(driver, card, plus, max_plan):
    plan_subscribe(user=driver, plan=plus, now=MARCH_1)

    plan_subscribe(user=driver, plan=max_plan, now=MARCH_1)

    assert list(PlanSubscription.objects.values_list("plan__name", "valid_until")) == [
        ("Max", None)
    ]
