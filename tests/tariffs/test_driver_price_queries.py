"""The pricing entry points cost a handful of queries, whatever the plan; a second pricing of the
same tariffs parses nothing again (the process cache)."""

from datetime import UTC, datetime

import pytest

from tariffs import cpo_tariffs
from tariffs.preview import price_preview_get
from tariffs.pricing_service import (
    cdr_cpo_price,
    cdr_driver_price,
    connector_for_pricing_get,
    driver_tariff_get,
    session_driver_price,
)
from tariffs.selectors import vat_rates_table
from tests.tariffs.factories import (
    PlanSubscriptionFactory,
    PricePlanFactory,
    PricePlanRuleFactory,
    cdr_store,
    component,
    connector_dict,
    connector_of,
    cpo_tariff_store,
    element,
    example,
    location_store,
    own_tariff,
    session_store,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def place(cpo):
    cpo_tariff_store(cpo, example("tariff_9_025kwh_start.json"))
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.9))), id="T2", type="AD_HOC_PAYMENT"
    )
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.5))), last_updated="2026-03-01T00:00:00Z"
    )
    return location_store(cpo, connectors=[connector_dict(tariff_ids=("T2", "T1"))])


@pytest.fixture(autouse=True)
def _vat_table_cached():
    """The VAT table is read once per 5 minutes per cache, not per price."""
    vat_rates_table()


@pytest.fixture(params=["default plan", "subscription with rules"])
def plan_of(request, token):
    if request.param == "subscription with rules":
        plan = PricePlanFactory(markup_percent=5)
        PricePlanRuleFactory(plan=plan, power_class="DC", tariff=own_tariff(0.4))
        PricePlanRuleFactory(plan=plan, power_class="HPC", tariff=own_tariff(0.6))
        PlanSubscriptionFactory(
            user=token.user, plan=plan, valid_from=datetime(2026, 1, 1, tzinfo=UTC)
        )
    return request.param


def test_rating_a_cdr_costs_four_queries(place, cpo, token, plan_of, django_assert_max_num_queries):
    cdr = cdr_store(cpo, place, token, START, 60, 20)

    # the connector, the plan in force, its matching rules, the CPO tariff versions
    with django_assert_max_num_queries(4):
        cdr_driver_price(cdr=cdr)
    with django_assert_max_num_queries(2):
        cdr_cpo_price(cdr=cdr)


def test_a_live_session_costs_four_queries(
    place, cpo, token, plan_of, django_assert_max_num_queries
):
    session = session_store(cpo, place, token, START, 60, 20)

    with django_assert_max_num_queries(4):
        session_driver_price(session=session)


def test_the_driver_tariff_and_the_preview_cost_three_queries_plus_the_connector(
    place, token, plan_of, django_assert_max_num_queries
):
    connector_id = connector_of(place).pk
    with django_assert_max_num_queries(1):
        connector = connector_for_pricing_get(connector_id=connector_id)
    with django_assert_max_num_queries(3):
        driver_tariff_get(user=token.user, connector=connector, moment=START)
    with django_assert_max_num_queries(3):
        price_preview_get(user=token.user, connector=connector, start=START)


def test_an_own_tariff_needs_no_cpo_tariff_query(cpo, driver, django_assert_num_queries):
    plan = PricePlanFactory(method="own_tariff", tariff=own_tariff(0.4, vat=21))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    connector = connector_of(location_store(cpo))

    with django_assert_num_queries(2):
        driver_tariff_get(user=driver, connector=connector, moment=START)


def test_tariffs_are_parsed_once_per_version(place, cpo, token, monkeypatch):
    cdr = cdr_store(cpo, place, token, START, 60, 20)
    parsed = []
    real_parse = cpo_tariffs.pricing.tariff_parse

    def counting_parse(data):
        parsed.append(data.get("id"))
        return real_parse(data)

    monkeypatch.setattr(cpo_tariffs.pricing, "tariff_parse", counting_parse)
    first, _ = cdr_driver_price(cdr=cdr)
    second, _ = cdr_driver_price(cdr=cdr)

    assert first.total_cost == second.total_cost
    assert sorted(parsed) == ["T1", "T2"]  # both of the connector's tariffs, once
