"""The price preview of a planned charge: defaults from the connector's power class, the
summary and unit prices a driver reads, the plan in force at the planned start."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tariffs.preview import duration_text, price_preview_get
from tariffs.pricing import SessionError
from tariffs.pricing_service import NoCpoTariffError
from tests.tariffs.factories import (
    PlanSubscriptionFactory,
    PricePlanFactory,
    PricePlanRuleFactory,
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

AC = connector_dict(power_type="AC_3_PHASE", max_electric_power=22000)
DC = connector_dict(power_type="DC", max_electric_power=50000, max_voltage=500, max_amperage=100)
HPC = connector_dict(power_type="DC", max_electric_power=300000, max_voltage=920, max_amperage=500)


@pytest.fixture
def fast_plan(driver):
    """A subscription with own rates per power class (VAT stated: 21 %)."""
    plan = PricePlanFactory(name="Fast")
    for power_class, price in (("AC", 0.30), ("DC", 0.40), ("HPC", 0.50)):
        PricePlanRuleFactory(plan=plan, power_class=power_class, tariff=own_tariff(price, vat=21))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    return plan


@pytest.mark.parametrize(
    ("connector", "power", "summary", "unit_prices"),
    [
        # 30 kWh at 11 kW (AC cap) = 163.6 min; 30 * 0.30 = 9.00, 10.89 incl. 21 % VAT
        (AC, "11", "about 10.89 EUR for 30 kWh (~2 h 44 min)", "0.363 EUR/kWh"),
        # 30 kWh at 50 kW = 36 min; 30 * 0.40 = 12.00, 14.52
        (DC, "50", "about 14.52 EUR for 30 kWh (~36 min)", "0.484 EUR/kWh"),
        # 30 kWh at 150 kW (HPC cap, the connector gives 300) = 12 min; 15.00, 18.15
        (HPC, "150", "about 18.15 EUR for 30 kWh (~12 min)", "0.605 EUR/kWh"),
    ],
    ids=["AC", "DC", "HPC"],
)
def test_the_preview_for_each_power_class(
    cpo, driver, fast_plan, connector, power, summary, unit_prices
):
    location = location_store(cpo, connectors=[connector])

    preview = price_preview_get(user=driver, connector=connector_of(location), start=START)

    assert preview.power_kw == Decimal(power)
    assert preview.energy_kwh == Decimal(30)
    assert preview.summary == summary
    assert preview.unit_prices == unit_prices
    assert preview.driver_tariff.plan == fast_plan
    assert preview.breakdown.is_rounded


def test_the_preview_of_a_pass_through_plan_with_parking(cpo, driver):
    cpo_tariff_store(
        cpo,
        tariff_dict(
            element(component("ENERGY", 0.25, vat=21)),
            element(component("PARKING_TIME", 6, vat=21, step_size=60), min_duration=3600),
        ),
    )
    location = location_store(cpo, connectors=[DC])

    preview = price_preview_get(
        user=driver,
        connector=connector_of(location),
        energy_kwh=Decimal(40),
        power_kw=Decimal(40),
        parking_minutes=30,
        start=START,
    )

    # 40 kWh * 0.275 = 11.00; then 1 h charged, so the 30 min parked are after the first hour:
    # 0.5 h * 6.60 = 3.30; 14.30 excl., 17.303 -> 17.30 incl. 21 % VAT
    assert (preview.total_excl_vat, preview.total) == (Decimal("14.30"), Decimal("17.30"))
    assert preview.summary == "about 17.30 EUR for 40 kWh (~1 h) and 30 min parked"
    assert (
        preview.unit_prices == "0.33275 EUR/kWh, parking 7.986 EUR/h (billed per 1 min) after 1 h"
    )


def test_a_power_above_the_connector_s_is_priced_at_the_connector_s(cpo, driver, fast_plan):
    location = location_store(cpo, connectors=[AC])

    preview = price_preview_get(
        user=driver, connector=connector_of(location), power_kw=Decimal(150), start=START
    )

    assert preview.power_kw == Decimal(22)


def test_the_preview_uses_the_plan_in_force_at_the_planned_start(cpo, driver, fast_plan):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.25, vat=21))))
    location = location_store(cpo, connectors=[AC])

    before = price_preview_get(
        user=driver, connector=connector_of(location), start=datetime(2025, 12, 1, tzinfo=UTC)
    )

    assert before.driver_tariff.plan.is_default


def test_staff_preview_a_plan_without_a_driver(cpo, fast_plan):
    location = location_store(cpo, connectors=[HPC])

    preview = price_preview_get(
        user=None, plan=fast_plan, connector=connector_of(location), start=START
    )

    assert preview.total == Decimal("18.15")


def test_the_preview_in_the_driver_s_language(cpo, driver, fast_plan):
    location = location_store(cpo, connectors=[AC])

    with translation.override("de"):
        preview = price_preview_get(user=driver, connector=connector_of(location), start=START)
        summary, unit_prices = preview.summary, preview.unit_prices

    assert "30 kWh" in summary
    assert unit_prices == "0.363 EUR/kWh"


def test_the_preview_where_there_is_no_price(cpo, driver):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    with pytest.raises(NoCpoTariffError):
        price_preview_get(user=driver, connector=connector_of(location), start=START)


@pytest.mark.parametrize(
    ("figures", "field"),
    [
        ({"power_kw": Decimal(0)}, "power_kw"),
        ({"energy_kwh": Decimal(-1)}, "energy_kwh"),
        ({"energy_kwh": Decimal(10**7), "power_kw": Decimal("0.5")}, "energy_kwh"),
        ({"parking_minutes": -5}, "parking_minutes"),
    ],
)
def test_impossible_figures_are_refused_naming_them(cpo, driver, fast_plan, figures, field):
    location = location_store(cpo, connectors=[AC])

    with pytest.raises(SessionError) as raised:
        price_preview_get(user=driver, connector=connector_of(location), start=START, **figures)

    assert raised.value.path == field


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0 min"), (36, "36 min"), (60, "1 h"), (125, "2 h 5 min")]
)
def test_durations_read_naturally(minutes, text):
    assert duration_text(minutes) == text
