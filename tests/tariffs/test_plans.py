"""Driver price plans: the most specific rule wins (location > CPO > power class > plan), power
classes, own tariffs, the default plan for everyone without a subscription."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tariffs.models import PricePlan, PricePlanRule
from tariffs.pricing_service import cdr_driver_price, driver_tariff_get
from tariffs.selectors import (
    NoDefaultPlanError,
    connector_power_class,
    plan_in_force_get,
)
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
    location_store,
    own_tariff,
    tariff_dict,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_data_migration_made_a_pass_through_default_plan_with_a_modest_markup():
    plan = PricePlan.objects.get(is_default=True)

    assert plan.method == "pass_through"
    assert Decimal(0) < plan.markup_percent <= Decimal(15)
    assert plan.monthly_fee == 0
    assert not plan.is_public


def test_a_driver_without_subscription_is_on_the_default_plan(driver):
    assert plan_in_force_get(user=driver, moment=START).is_default


def test_without_a_default_plan_pricing_says_so(driver):
    PricePlan.objects.filter(is_default=True).update(is_default=False)

    with pytest.raises(NoDefaultPlanError, match="default"):
        plan_in_force_get(user=driver, moment=START)


def test_there_is_only_one_default_plan():
    with pytest.raises(IntegrityError), transaction.atomic():
        PricePlan.objects.create(name="Another default", is_default=True)


@pytest.fixture
def plus(cpo, other_cpo, driver):
    """A subscription plan with own tariffs for one location, one CPO and AC; the plan's default
    passes the CPO tariff through unchanged."""
    plan = PricePlanFactory(name="Plus")
    hub = location_store(cpo, "HUB")
    PricePlanRuleFactory(
        plan=plan, scope="location", location=hub, power_class="", tariff=own_tariff(0.50, vat=21)
    )
    PricePlanRuleFactory(
        plan=plan, scope="partner", partner=cpo, power_class="", tariff=own_tariff(0.45, vat=21)
    )
    PricePlanRuleFactory(plan=plan, power_class="AC", tariff=own_tariff(0.40, vat=21))
    PricePlanRuleFactory(plan=plan, power_class="HPC", tariff=own_tariff(0.69, vat=21))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=SINCE)
    return plan


@pytest.mark.parametrize(
    ("where", "scope", "price"),
    [
        ("the hub of the CPO, AC", "location", "0.50"),
        ("another location of the CPO, AC", "partner", "0.45"),
        ("another CPO, AC", "power_class", "0.40"),
        ("another CPO, HPC", "power_class", "0.69"),
        ("another CPO, DC", "plan", "0.30"),
    ],
)
def test_the_most_specific_rule_wins(plus, cpo, other_cpo, driver, where, scope, price):
    cpo_tariff_store(
        other_cpo, tariff_dict(element(component("ENERGY", 0.30, vat=21))), party_id="OTH"
    )
    connectors = {
        "the hub of the CPO, AC": ("HUB", cpo, "CPO", connector_dict()),
        "another location of the CPO, AC": ("STREET", cpo, "CPO", connector_dict()),
        "another CPO, AC": ("MALL", other_cpo, "OTH", connector_dict()),
        "another CPO, HPC": (
            "HIGHWAY",
            other_cpo,
            "OTH",
            connector_dict(power_type="DC", max_electric_power=300000),
        ),
        "another CPO, DC": (
            "GARAGE",
            other_cpo,
            "OTH",
            connector_dict(power_type="DC", max_electric_power=50000),
        ),
    }
    location_id, partner, party_id, connector = connectors[where]
    location = location_store(partner, location_id, connectors=[connector], party_id=party_id)

    driver_tariff = driver_tariff_get(user=driver, connector=connector_of(location), moment=START)

    assert driver_tariff.plan == plus
    assert driver_tariff.scope == scope
    assert driver_tariff.tariff.elements[0].price_components[0].price == Decimal(price)
    assert (driver_tariff.cpo_tariff is None) == (scope != "plan")


def test_a_rule_of_the_plan_in_force_only(plus, cpo, other_driver):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.30, vat=21))))
    location = location_store(cpo, "HUB")

    driver_tariff = driver_tariff_get(
        user=other_driver, connector=connector_of(location), moment=START
    )

    assert driver_tariff.plan.is_default
    assert driver_tariff.scope == "plan"
    assert driver_tariff.description == "0.3993 EUR/kWh"  # 0.30 * 1.10 * 1.21


def test_a_subscription_with_own_rates_prices_a_cdr(plus, other_cpo, driver):
    from tests.roaming.factories import TokenFactory

    location = location_store(other_cpo, "MALL", party_id="OTH")
    token = TokenFactory(user=driver)

    breakdown, driver_tariff = cdr_driver_price(
        cdr=cdr_store(other_cpo, location, token, START, 60, 20)
    )

    # AC at another CPO: 0.40/kWh, 21 % VAT; 20 kWh = 8.00, 9.68
    total = breakdown.rounded().total_cost
    assert (total.excl_vat, total.incl_vat) == (Decimal("8.00"), Decimal("9.68"))
    assert driver_tariff.rule.power_class == "AC"


@pytest.mark.parametrize(
    ("power_type", "watts", "volts", "amperes", "expected"),
    [
        ("AC_1_PHASE", 7400, 230, 32, "AC"),
        ("AC_3_PHASE", None, 230, 32, "AC"),
        ("DC", 50000, 500, 125, "DC"),
        ("DC", 149999, 500, 300, "DC"),
        ("DC", 150000, 500, 300, "HPC"),
        ("DC", None, 920, 500, "HPC"),  # 460 kW from voltage and amperage
        ("DC", None, 400, 125, "DC"),  # 50 kW
    ],
)
def test_the_power_class_of_a_connector(cpo, power_type, watts, volts, amperes, expected):
    location = location_store(
        cpo,
        connectors=[
            connector_dict(
                power_type=power_type,
                max_electric_power=watts,
                max_voltage=volts,
                max_amperage=amperes,
            )
        ],
    )

    assert connector_power_class(connector_of(location)) == expected


def test_the_hpc_threshold_is_a_setting(cpo, settings):
    location = location_store(
        cpo, connectors=[connector_dict(power_type="DC", max_electric_power=100000)]
    )
    assert connector_power_class(connector_of(location)) == "DC"

    settings.PRICING_HPC_MIN_KW = "100"

    assert connector_power_class(connector_of(location)) == "HPC"


def test_an_own_tariff_without_vat_is_charged_the_vat_of_the_country(cpo, driver):
    plan = PricePlanFactory(method="own_tariff", tariff=own_tariff(0.40))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=SINCE)
    nl = location_store(cpo, "NL1")
    de = location_store(cpo, "DE1", country_code="DE", country="DEU", time_zone="Europe/Berlin")

    in_nl = driver_tariff_get(user=driver, connector=connector_of(nl), moment=START)
    in_de = driver_tariff_get(user=driver, connector=connector_of(de), moment=START)

    assert (in_nl.vat_rate, in_nl.description) == (Decimal("21.00"), "0.484 EUR/kWh")
    assert (in_de.vat_rate, in_de.description) == (Decimal("19.00"), "0.476 EUR/kWh")


def test_an_own_tariff_in_a_zero_decimal_currency(cpo, token):
    plan = PricePlanFactory(
        method="own_tariff", tariff=own_tariff(45, currency="JPY", vat=10), fee_currency="JPY"
    )
    PlanSubscriptionFactory(user=token.user, plan=plan, valid_from=SINCE)
    location = location_store(cpo, country="JPN", time_zone="Asia/Tokyo")

    breakdown, _ = cdr_driver_price(cdr=cdr_store(cpo, location, token, START, 60, 12.3))

    # 12.3 kWh * 45 = 553.5 -> 554 JPY; 10 % VAT: 608.85 -> 609
    total = breakdown.rounded().total_cost
    assert (total.excl_vat, total.incl_vat) == (Decimal("554"), Decimal("609"))


def test_a_changed_rule_is_priced_at_once_despite_the_cache(plus, cpo, other_cpo, driver):
    location = location_store(other_cpo, "MALL", party_id="OTH")
    connector = connector_of(location)
    assert driver_tariff_get(user=driver, connector=connector, moment=START).description == (
        "0.484 EUR/kWh"
    )
    rule = PricePlanRule.objects.get(plan=plus, power_class="AC")
    rule.tariff = own_tariff(0.35, vat=21)
    rule.save()

    assert driver_tariff_get(user=driver, connector=connector, moment=START).description == (
        "0.4235 EUR/kWh"
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scope": "location"}, "location"),
        ({"scope": "partner", "power_class": "AC"}, "partner"),
        ({"scope": "power_class", "power_class": ""}, "power_class"),
    ],
)
def test_a_rule_names_exactly_what_its_scope_needs(fields, field):
    rule = PricePlanRule(
        plan=PricePlan.objects.get(), method="own_tariff", tariff=own_tariff(0.3), **fields
    )

    with pytest.raises(ValidationError) as raised:
        rule.full_clean()

    assert field in raised.value.message_dict


def test_a_plan_with_an_invalid_own_tariff_names_the_field():
    plan = PricePlan(
        name="Broken",
        method="own_tariff",
        tariff={"currency": "EUR", "elements": [{"price_components": [{"type": "ENERGY"}]}]},
    )

    with pytest.raises(ValidationError) as raised:
        plan.full_clean()

    assert raised.value.message_dict["tariff"] == [
        "Invalid tariff: elements[0].price_components[0].price: is required"
    ]


def test_a_pass_through_plan_has_no_own_tariff_and_the_default_no_fee():
    plan = PricePlan.objects.get(is_default=True)
    plan.tariff = own_tariff(0.3)
    plan.monthly_fee = Decimal("1")

    with pytest.raises(ValidationError) as raised:
        plan.full_clean()

    assert "tariff" in raised.value.message_dict
    assert "__all__" in raised.value.message_dict


def test_the_demo_has_a_subscription_plan_and_its_driver_on_the_default_plan():
    from io import StringIO

    from django.core.management import call_command

    from drivers.models import User
    from emsp.demo import DEMO_DRIVER

    for _run in range(2):
        call_command("demo_data", stdout=StringIO())

    plus = PricePlan.objects.get(name="Plus")
    assert (plus.is_public, plus.monthly_fee) == (True, Decimal("4.99"))
    assert sorted(plus.rules.values_list("power_class", flat=True)) == ["AC", "DC", "HPC"]
    driver = User.objects.get(email=DEMO_DRIVER.email)
    assert plan_in_force_get(user=driver, moment=START).is_default


def test_a_changed_vat_rate_applies_at_once(cpo, driver):
    from tariffs.models import VatRate

    plan = PricePlanFactory(method="own_tariff", tariff=own_tariff(0.40))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=SINCE)
    connector = connector_of(location_store(cpo))
    assert driver_tariff_get(user=driver, connector=connector, moment=START).vat_rate == 21

    VatRate.objects.create(country="NL", rate=Decimal("23"), valid_from=START.date())

    assert driver_tariff_get(user=driver, connector=connector, moment=START).vat_rate == 23
