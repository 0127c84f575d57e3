"""PricingLookups (one rating batch's reads, made once) price every CDR exactly as reading each
time does: tariff versions in force at each start (and the first one for CDRs older than what
we know), a tariff deleted mid-way, a plan change mid-way; and read nothing more for the next
CDRs of the batch."""

from datetime import UTC, datetime, timedelta

import pytest

from tariffs.models import Tariff
from tariffs.pricing_service import PricingLookups, cdr_cpo_price, cdr_driver_price
from tariffs.selectors import vat_rates_table
from tests.tariffs.factories import (
    PlanSubscriptionFactory,
    PricePlanFactory,
    cdr_store,
    component,
    connector_dict,
    cpo_tariff_store,
    element,
    location_store,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MOMENTS = [DAY + timedelta(days=days, hours=hours) for days in range(-3, 14, 2) for hours in (0, 5)]


@pytest.fixture
def place(cpo, token):
    # T1: first known from 1 March (CDRs before it use that first version), 0.6 from 6 March.
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.5))), last_updated="2026-03-01T00:00:00Z"
    )
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.6))), last_updated="2026-03-06T00:00:00Z"
    )
    # T0: first known from 27 February (before it: that version), 0.95 from 3 March, preferred
    # by the connector while it exists, deleted on 8 March.
    cpo_tariff_store(
        cpo,
        tariff_dict(element(component("ENERGY", 0.9))),
        id="T0",
        last_updated="2026-02-27T00:00:00Z",
    )
    cpo_tariff_store(
        cpo,
        tariff_dict(element(component("ENERGY", 0.95))),
        id="T0",
        last_updated="2026-03-03T00:00:00Z",
    )
    Tariff.objects.filter(ocpi_id="T0").update(deleted_at=datetime(2026, 3, 8, tzinfo=UTC))
    # From 4 March the driver is on a plan with a 20 % markup.
    PlanSubscriptionFactory(
        user=token.user,
        plan=PricePlanFactory(markup_percent=20),
        valid_from=datetime(2026, 3, 4, tzinfo=UTC),
    )
    vat_rates_table()
    return location_store(cpo, connectors=[connector_dict(tariff_ids=("T0", "T1"))])


def test_a_batch_prices_each_cdr_as_pricing_it_alone(place, cpo, token):
    cdrs = [cdr_store(cpo, place, token, moment, 45, 12) for moment in MOMENTS]
    alone = [(cdr_driver_price(cdr=cdr)[0], cdr_cpo_price(cdr=cdr)) for cdr in cdrs]

    lookups = PricingLookups()
    lookups.plans_prime(token_ids=[token.pk])
    together = [
        (cdr_driver_price(cdr=cdr, lookups=lookups)[0], cdr_cpo_price(cdr=cdr, lookups=lookups))
        for cdr in cdrs
    ]

    assert together == alone
    driver_totals = sorted({driver.rounded().total_cost.excl_vat for driver, _ in alone})
    # T0's first version by the default plan (+10 %), its second by the new plan (+20 %), then
    # T1's second version (+20 %); T1's first one is always behind T0
    assert len(driver_totals) == 3


def test_a_batch_reads_once_for_any_number_of_cdrs(
    place, cpo, token, django_assert_max_num_queries
):
    cdrs = [cdr_store(cpo, place, token, moment, 45, 12) for moment in MOMENTS]
    for cdr in cdrs:  # the tariff versions parsed in this process (as after the first batch)
        cdr_driver_price(cdr=cdr)
    lookups = PricingLookups()
    lookups.plans_prime(token_ids=[token.pk])

    # the connector, the rules of each of the 2 plans, the tariffs and their versions: 5 for
    # all 18 CDRs (reading each time: 6 per CDR)
    with django_assert_max_num_queries(5):
        for cdr in cdrs:
            cdr_driver_price(cdr=cdr, lookups=lookups)
            cdr_cpo_price(cdr=cdr, lookups=lookups)
