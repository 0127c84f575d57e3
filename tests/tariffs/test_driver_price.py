"""What a driver pays: the CPO tariff passed through with each kind of markup, VAT of the country,
currencies, a connector without tariff; hand-computed from the spec's example tariffs."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from roaming.models import Connector
from tariffs.models import PricePlan
from tariffs.pricing import Price
from tariffs.pricing_service import (
    NoCpoTariffError,
    cdr_cpo_price,
    cdr_driver_price,
    cpo_tariff_get,
    driver_tariff_get,
    session_driver_price,
)
from tests.tariffs.factories import (
    PlanSubscriptionFactory,
    PricePlanFactory,
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
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Amsterdam


def default_plan(**markup) -> PricePlan:
    plan = PricePlan.objects.get(is_default=True)
    for name, value in markup.items():
        setattr(plan, name, Decimal(value))
    plan.save()
    return plan


def total(breakdown) -> tuple[Decimal, Decimal]:
    rounded = breakdown.rounded().total_cost
    return rounded.excl_vat, rounded.incl_vat


def test_the_default_plan_passes_the_cpo_tariff_through_with_ten_percent(cpo, token):
    cpo_tariff_store(cpo, example("tariff_8_simple_025kwh.json"))  # 0.25/kWh, 10 % VAT
    location = location_store(cpo)

    breakdown, driver_tariff = cdr_driver_price(cdr=cdr_store(cpo, location, token, START, 60, 20))

    # 0.25 * 1.10 = 0.275/kWh; 20 kWh = 5.50, VAT 10 % = 6.05
    assert total(breakdown) == (Decimal("5.50"), Decimal("6.05"))
    assert driver_tariff.plan.is_default
    assert driver_tariff.scope == "plan"
    assert driver_tariff.cpo_tariff.tariff_id == "T1"
    assert driver_tariff.currency == "EUR"
    assert driver_tariff.description == "0.3025 EUR/kWh"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # tariff_9: 0.50 start fee (20 % VAT) + 0.25/kWh (10 % VAT); 20 kWh: 5.50 / 6.10
        ({}, ("5.50", "6.10")),
        # +10 %: 0.55 + 20 * 0.275 = 6.05; 0.66 + 6.05 = 6.71
        ({"markup_percent": "10"}, ("6.05", "6.71")),
        # +0.05/kWh: 0.50 + 20 * 0.30 = 6.50; 0.60 + 6.60 = 7.20
        ({"markup_per_kwh": "0.05"}, ("6.50", "7.20")),
        # +0.35/session on the start fee: 0.85 + 5.00 = 5.85; 1.02 + 5.50 = 6.52
        ({"markup_per_session": "0.35"}, ("5.85", "6.52")),
        # all three: (0.55 + 0.35) + 20 * (0.275 + 0.05) = 7.40; 1.08 + 7.15 = 8.23
        (
            {"markup_percent": "10", "markup_per_kwh": "0.05", "markup_per_session": "0.35"},
            ("7.40", "8.23"),
        ),
    ],
    ids=["no-markup", "percent", "per-kwh", "per-session", "all-three"],
)
def test_pass_through_with_each_kind_of_markup(cpo, token, markup, expected):
    default_plan(**{"markup_percent": "0", **markup})
    cpo_tariff_store(cpo, example("tariff_9_025kwh_start.json"))
    location = location_store(cpo)

    breakdown, _ = cdr_driver_price(cdr=cdr_store(cpo, location, token, START, 60, 20))

    assert total(breakdown) == (Decimal(expected[0]), Decimal(expected[1]))


def test_a_per_kwh_markup_on_a_time_only_tariff_is_its_own_component_with_the_country_vat(
    cpo, token
):
    default_plan(markup_percent="0", markup_per_kwh="0.05")
    cpo_tariff_store(cpo, example("tariff_1_simple_2hour.json"))  # 2.00/h, 10 % VAT
    location = location_store(cpo)  # in the Netherlands: 21 % VAT

    breakdown, driver_tariff = cdr_driver_price(cdr=cdr_store(cpo, location, token, START, 150, 20))

    # 2.5 h * 2.00 = 5.00 (5.50); 20 kWh * 0.05 = 1.00 (1.21)
    assert total(breakdown) == (Decimal("6.00"), Decimal("6.71"))
    assert driver_tariff.vat_rate == Decimal("21.00")


def test_a_cpo_tariff_without_vat_gets_the_vat_of_the_country_of_the_charge(cpo, token):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.25))))
    nl = location_store(cpo, "NL1")
    de = location_store(cpo, "DE1", country_code="DE", country="DEU", time_zone="Europe/Berlin")

    in_nl, _ = cdr_driver_price(cdr=cdr_store(cpo, nl, token, START, 60, 20))
    de_tariff = cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.25))), country_code="DE"
    )
    in_de, _ = cdr_driver_price(cdr=cdr_store(cpo, de, token, START, 61, 20))

    # 20 kWh * 0.275 = 5.50; NL 21 %: 6.655 -> 6.66; DE 19 %: 6.545 -> 6.55
    assert total(in_nl) == (Decimal("5.50"), Decimal("6.66"))
    assert total(in_de) == (Decimal("5.50"), Decimal("6.55"))
    assert de_tariff.country_code == "DE"


def test_the_vat_rate_is_the_one_in_force_on_the_local_date_of_the_charge(cpo, token):
    cpo_tariff_store(
        cpo,
        tariff_dict(element(component("ENERGY", 0.25))),
        country_code="DE",
        last_updated="2020-01-01T00:00:00Z",
    )
    de = location_store(cpo, "DE1", country_code="DE", country="DEU", time_zone="Europe/Berlin")
    # Germany charged 16 % from 1 July to 31 December 2020: 22:30 UTC on 30 June is 00:30 in Berlin
    summer_2020 = datetime(2020, 6, 30, 22, 30, tzinfo=UTC)

    breakdown, driver_tariff = cdr_driver_price(cdr=cdr_store(cpo, de, token, summer_2020, 60, 20))

    assert driver_tariff.vat_rate == Decimal("16.00")
    assert total(breakdown) == (Decimal("5.50"), Decimal("6.38"))


def test_fixed_markups_in_another_currency_leave_only_the_percentage(cpo, token):
    default_plan(markup_percent="10", markup_per_kwh="0.05", markup_per_session="1")
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 3, vat=25)), currency="SEK"))
    location = location_store(cpo, country="SWE", time_zone="Europe/Stockholm")

    breakdown, driver_tariff = cdr_driver_price(
        cdr=cdr_store(cpo, location, token, START, 60, 20, currency="SEK")
    )

    # 3.00 * 1.10 = 3.30 SEK/kWh; 20 kWh = 66.00, 25 % VAT = 82.50
    assert driver_tariff.currency == "SEK"
    assert total(breakdown) == (Decimal("66.00"), Decimal("82.50"))


def test_a_zero_decimal_currency_is_rounded_to_whole_yen(cpo, token):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 50, vat=10)), currency="JPY"))
    location = location_store(cpo, country="JPN", time_zone="Asia/Tokyo")

    breakdown, driver_tariff = cdr_driver_price(
        cdr=cdr_store(cpo, location, token, START, 60, 20.5, currency="JPY")
    )

    # 50 * 1.10 = 55 JPY/kWh; 20.5 kWh = 1127.5 -> 1128; 10 % VAT: 1240.25 -> 1240
    assert driver_tariff.currency == "JPY"
    assert total(breakdown) == (Decimal("1128"), Decimal("1240"))
    assert driver_tariff.describe() == "60.5 JPY/kWh"


def test_a_connector_without_tariff_has_no_pass_through_price(cpo, driver):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    with pytest.raises(NoCpoTariffError, match="No usable CPO tariff"):
        driver_tariff_get(user=driver, connector=connector_of(location), moment=START)


def test_a_connector_without_tariff_is_priced_by_an_own_tariff_plan(cpo, driver):
    plan = PricePlanFactory(method="own_tariff", tariff=own_tariff(0.45, vat=21))
    PlanSubscriptionFactory(user=driver, plan=plan, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=())])

    driver_tariff = driver_tariff_get(user=driver, connector=connector_of(location), moment=START)

    assert driver_tariff.plan == plan
    assert driver_tariff.cpo_tariff is None
    assert driver_tariff.description == "0.5445 EUR/kWh"


def test_a_tariff_the_connector_names_but_we_never_received_is_no_tariff(cpo, driver):
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("UNKNOWN",))])

    with pytest.raises(NoCpoTariffError):
        driver_tariff_get(user=driver, connector=connector_of(location), moment=START)


def test_ad_hoc_payment_tariffs_are_not_for_our_drivers(cpo, driver):
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.79, vat=21)), type="AD_HOC_PAYMENT")
    )
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.30, vat=21))), id="T2")
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("T1", "T2"))])

    cpo_tariff = cpo_tariff_get(connector=connector_of(location), moment=START)

    assert cpo_tariff.tariff_id == "T2"
    assert cpo_tariff.tariff.elements[0].price_components[0].price == Decimal("0.3")


def test_a_session_is_priced_with_the_cpo_tariff_version_in_force_when_it_started(cpo, token):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.25, vat=21))))
    cpo_tariff_store(
        cpo,
        tariff_dict(element(component("ENERGY", 0.35, vat=21))),
        last_updated="2026-03-10T09:30:00Z",  # during the charge
    )
    location = location_store(cpo)
    cdr = cdr_store(cpo, location, token, START, 60, 20)

    driver_breakdown, _ = cdr_driver_price(cdr=cdr)
    cpo_breakdown = cdr_cpo_price(cdr=cdr)

    assert total(cpo_breakdown) == (Decimal("5.00"), Decimal("6.05"))
    assert total(driver_breakdown) == (Decimal("5.50"), Decimal("6.66"))


def test_the_cpo_price_uses_the_tariff_the_cdr_periods_name(cpo, token):
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.25, vat=21))))
    cpo_tariff_store(cpo, tariff_dict(element(component("TIME", 3, vat=21))), id="T2")
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("T1", "T2"))])
    cdr = cdr_store(cpo, location, token, START, 60, 20, tariff_id="T2")

    assert total(cdr_cpo_price(cdr=cdr)) == (Decimal("3.00"), Decimal("3.63"))


def test_a_cdr_carrying_its_tariff_is_priced_with_it_when_we_never_stored_one(cpo, token):
    carried = example("cdr_example.json")["tariffs"]  # TIME 2.00/h, step 300 s, 10 % VAT
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("12",))])
    cdr = cdr_store(cpo, location, token, START, 60, 20, tariff_id="12", tariffs=carried)

    breakdown, driver_tariff = cdr_driver_price(cdr=cdr)

    assert total(cdr_cpo_price(cdr=cdr)) == (Decimal("2.00"), Decimal("2.20"))
    assert total(breakdown) == (Decimal("2.20"), Decimal("2.42"))
    assert driver_tariff.cpo_tariff.version_id is None


def test_a_live_session_is_priced_up_to_the_moment_asked(cpo, token):
    cpo_tariff_store(cpo, example("tariff_1_simple_2hour.json"))  # 2.00/h, billed per minute
    location = location_store(cpo)
    session = session_store(cpo, location, token, START, 30, 10)
    session.end_date_time = None
    # a running session whose period reports energy only: its time runs until now
    session.raw["charging_periods"][0]["dimensions"] = [{"type": "ENERGY", "volume": 10}]

    at_half_past = session_driver_price(session=session, moment=START + timedelta(minutes=30))
    at_ten = session_driver_price(session=session, moment=START + timedelta(hours=1))

    # 2.00/h * 1.10 = 2.20/h (10 % VAT)
    assert total(at_half_past) == (Decimal("1.10"), Decimal("1.21"))
    assert total(at_ten) == (Decimal("2.20"), Decimal("2.42"))


def test_a_session_with_energy_but_no_charging_periods_yet_is_priced_by_its_kwh(cpo, token):
    cpo_tariff_store(cpo, example("tariff_8_simple_025kwh.json"))
    location = location_store(cpo)
    session = session_store(cpo, location, token, START, 30, 12)
    session.raw["charging_periods"] = []

    breakdown = session_driver_price(session=session)

    # 12 kWh * 0.275 = 3.30, 10 % VAT = 3.63
    assert total(breakdown) == (Decimal("3.30"), Decimal("3.63"))


def test_a_cdr_at_a_location_we_do_not_know_cannot_be_priced(cpo, token):
    from tariffs.pricing_service import DriverPriceError

    location = location_store(cpo)
    cdr = cdr_store(cpo, location, token, START, 60, 20)
    cdr.location = None

    with pytest.raises(DriverPriceError, match="time zone"):
        cdr_driver_price(cdr=cdr)


def test_a_cdr_of_a_token_that_is_not_ours_has_no_driver_price(cpo, token):
    from tariffs.pricing_service import DriverPriceError

    cpo_tariff_store(cpo, example("tariff_8_simple_025kwh.json"))
    location = location_store(cpo)
    cdr = cdr_store(cpo, location, token, START, 60, 20)
    cdr.token = None

    with pytest.raises(DriverPriceError, match="no token of ours"):
        cdr_driver_price(cdr=cdr)
    assert total(cdr_cpo_price(cdr=cdr)) == (Decimal("5.00"), Decimal("5.50"))


def test_the_cpo_tariff_is_found_by_its_id(cpo):
    cpo_tariff_store(cpo, example("tariff_8_simple_025kwh.json"), id="ab-12")

    found = cpo_tariff_get(country_code="nl", party_id="cpo", tariff_id="AB-12", moment=START)

    assert found.tariff.currency == "EUR"
    assert found.tariff_id == "ab-12"
    with pytest.raises(NoCpoTariffError):
        cpo_tariff_get(country_code="NL", party_id="CPO", tariff_id="nope", moment=START)


def test_a_price_is_never_made_of_floats(cpo, token):
    cpo_tariff_store(cpo, example("tariff_9_025kwh_start.json"))
    location = location_store(cpo)
    breakdown, _ = cdr_driver_price(cdr=cdr_store(cpo, location, token, START, 60, 20))

    rounded = breakdown.rounded()
    assert isinstance(rounded.total_cost, Price)
    assert isinstance(rounded.total_cost.excl_vat, Decimal)
    assert isinstance(rounded.total_cost.incl_vat, Decimal)
    assert all(isinstance(line.cost.incl_vat, Decimal) for line in rounded.lines)
    assert Connector.objects.count() == 1


def test_a_cdr_at_a_connector_we_never_got_is_classed_by_the_power_type_it_states(cpo, token):
    from tariffs.models import PricePlanRule

    plan = PricePlanFactory()
    PricePlanRule.objects.create(
        plan=plan, scope="power_class", power_class="DC", method="own_tariff",
        tariff=own_tariff(0.45, vat=21),
    )  # fmt: skip
    PlanSubscriptionFactory(user=token.user, plan=plan, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    location = location_store(cpo)
    cdr = cdr_store(cpo, location, token, START, 60, 20, connector_id="9")
    cdr.raw["cdr_location"]["connector_power_type"] = "DC"

    breakdown, driver_tariff = cdr_driver_price(cdr=cdr)

    assert (driver_tariff.power_class, driver_tariff.scope) == ("DC", "power_class")
    assert total(breakdown) == (Decimal("9.00"), Decimal("10.89"))


def test_a_regular_tariff_is_preferred_to_a_profile_one_and_a_valid_one_to_an_expired_one(
    cpo, driver
):
    cpo_tariff_store(
        cpo, tariff_dict(element(component("ENERGY", 0.20, vat=21)), type="PROFILE_CHEAP")
    )
    cpo_tariff_store(
        cpo,
        tariff_dict(
            element(component("ENERGY", 0.25, vat=21)), end_date_time="2025-12-31T23:00:00Z"
        ),
        id="OLD",
    )
    cpo_tariff_store(cpo, tariff_dict(element(component("ENERGY", 0.30, vat=21))), id="NOW")
    location = location_store(cpo, connectors=[connector_dict(tariff_ids=("T1", "OLD", "NOW"))])

    assert cpo_tariff_get(connector=connector_of(location), moment=START).tariff_id == "NOW"
