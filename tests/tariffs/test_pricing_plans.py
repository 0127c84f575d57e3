"""What driver price plans build on: markup, price preview, description, template filter."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from tariffs.pricing import (
    SessionError,
    TariffError,
    cdr_price,
    tariff_describe,
    tariff_parse,
    tariff_preview,
    tariff_with_markup,
    to_json_value,
)

from .factories import AMSTERDAM, cdr_dict, component, element, example, tariff_dict

D = Decimal


def test_markup_shows_in_the_unit_prices_and_in_the_cost():
    cpo = tariff_parse(example("tariff_9_025kwh_start.json"))  # 0.25/kWh + 0.50 start
    driver = tariff_with_markup(cpo, percent=D(10), per_kwh=D("0.05"), per_session=D("0.30"))
    prices = {c.type: c.price for c in driver.elements[0].price_components}
    assert prices == {"ENERGY": D("0.325"), "FLAT": D("0.85")}
    assert len(driver.elements) == 1  # unrestricted ENERGY and FLAT already carry the markup
    cdr = cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 20})])
    assert cdr_price(driver, cdr, time_zone=AMSTERDAM).total_cost.excl_vat == D("7.35")
    assert cpo.elements[0].price_components[1].price == D("0.25")  # the CPO tariff is untouched


def test_markup_applies_at_all_times_even_where_the_cpo_charges_no_energy():
    cpo = tariff_parse(example("tariff_14_step_size.json"))  # time only, restricted
    driver = tariff_with_markup(cpo, per_kwh=D("0.05"), per_session=D("0.30"), vat=D(21))
    fallback = driver.elements[-1]
    assert fallback.restrictions is None
    assert [(c.type, c.price, c.vat) for c in fallback.price_components] == [
        ("FLAT", D("0.30"), D(21)),
        ("ENERGY", D("0.05"), D(21)),
    ]
    cdr = cdr_dict("2024-01-15T16:35", [(35, {"TIME": "t", "ENERGY": 10})])
    result = cdr_price(driver, cdr, time_zone=AMSTERDAM).rounded()
    assert result.total_cost.excl_vat == D("1.30") + D("0.50") + D("0.30")
    assert driver.as_ocpi()["elements"][-1] == fallback.as_ocpi()
    stored = json.loads(json.dumps(to_json_value(driver.as_ocpi())))
    assert tariff_parse(stored) == driver  # the derived tariff is a valid tariff, kept as JSON


def test_markup_scales_min_and_max_price():
    cpo = tariff_parse(example("tariff_6_025kwh_start_max_price.json"))
    driver = tariff_with_markup(cpo, percent=D(20), per_session=D("1.00"))
    assert driver.max_price.excl_vat == D("13.00")
    assert driver.max_price.incl_vat == D("13.200") + D("1.20")  # FLAT's 20 % VAT on the 1.00


def test_a_discount_and_bad_markups():
    cpo = tariff_parse(example("tariff_8_simple_025kwh.json"))
    assert tariff_with_markup(cpo, percent=D(-20)).elements[0].price_components[0].price == D(
        "0.2000"
    )
    with pytest.raises(TariffError, match="percent: must be greater than -100"):
        tariff_with_markup(cpo, percent=D(-100))
    with pytest.raises(TariffError, match="per_kwh: must be >= 0"):
        tariff_with_markup(cpo, per_kwh=D("-0.01"))
    with pytest.raises(TariffError, match="per_session: must be a number"):
        tariff_with_markup(cpo, per_session="1")


def test_preview_of_a_planned_charge_crossing_a_tariff_boundary():
    tariff = tariff_parse(
        tariff_dict(
            element(component("ENERGY", 0.40, vat=21), start_time="07:00", end_time="23:00"),
            element(component("ENERGY", 0.20, vat=21), component("PARKING_TIME", 1.0, vat=21)),
        )
    )
    # 30 kWh at 50 kW from 22:42 local: 36 min, 18 min before 23:00 (15 kWh), 18 after.
    result = tariff_preview(
        tariff,
        start_date_time=datetime(2024, 1, 15, 21, 42, tzinfo=UTC),
        energy_kwh=D(30),
        power_kw=D(50),
        parking_minutes=D(30),
        time_zone=AMSTERDAM,
    ).rounded()
    assert [(line.dimension, line.quantity) for line in result.lines] == [
        ("ENERGY", D(15)),
        ("ENERGY", D(15)),
        ("PARKING_TIME", D("0.5")),
    ]
    assert result.total_cost.excl_vat == D("9.50")
    assert result.total_cost.incl_vat == D("11.50")


def test_preview_with_reservation_and_current():
    tariff = tariff_parse(example("tariff_4_complex.json"))
    result = tariff_preview(
        tariff,
        start_date_time=datetime(2024, 1, 15, 8, 30, tzinfo=UTC),  # Monday 09:30
        energy_kwh=D(11),
        power_kw=D(11),
        current_a=D(16),
        time_zone=AMSTERDAM,
    )
    assert result.total_cost.excl_vat == D("3.50")  # 2.50 start + 1 h at 1.00


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"power_kw": D(0)}, "power_kw: must be > 0"),
        ({"energy_kwh": D(-1)}, "energy_kwh: must be >= 0"),
        ({"parking_minutes": "ten"}, "parking_minutes: must be a number"),
        ({"energy_kwh": D("1e12")}, "energy_kwh: this charge would last more than a year"),
        ({"parking_minutes": D("1e9")}, "energy_kwh: this charge would last more than a year"),
    ],
)
def test_preview_refuses_a_nonsensical_plan(changes, message):
    arguments = {
        "start_date_time": datetime(2024, 1, 15, 8, 30, tzinfo=UTC),
        "energy_kwh": D(10),
        "power_kw": D(11),
        "time_zone": AMSTERDAM,
    }
    with pytest.raises(SessionError, match=message):
        tariff_preview(
            tariff_parse(example("tariff_8_simple_025kwh.json")), **(arguments | changes)
        )


DESCRIPTIONS = {
    "tariff_10_025kwh_parking_start.json": (
        "0.25 EUR/kWh + 0.50 EUR start fee + parking 2.00 EUR/h (billed per 15 min)"
    ),
    "tariff_12_025kwh_min_price.json": "0.25 EUR/kWh, minimum 0.50 EUR",
    "tariff_6_025kwh_start_max_price.json": "0.25 EUR/kWh + 0.50 EUR start fee, maximum 10.00 EUR",
    "tariff_5_free_of_charge.json": "free of charge",
    "tariff_4_complex.json": (
        "2.50 EUR start fee, 1.00 EUR/h (billed per 15 min) below 32 A, "
        "2.00 EUR/h (billed per 10 min) on Mon–Fri from 32 A, "
        "1.25 EUR/h (billed per 10 min) on Sat, Sun from 32 A, "
        "parking 5.00 EUR/h (billed per 5 min) between 09:00 and 18:00 on Mon–Fri, "
        "parking 6.00 EUR/h (billed per 5 min) between 10:00 and 17:00 on Sat"
    ),
    "tariffrestriction_example_max_power.json": (
        "0.20 EUR/kWh below 16 kW, 0.35 EUR/kWh below 32 kW, 0.50 EUR/kWh"
    ),
    "tariff_17_reservation_with_expire_fee.json": (
        "4.00 EUR reservation fee if the reservation expires, "
        "reservation 2.00 EUR/h (billed per 10 min), 0.25 EUR/kWh + 0.50 EUR start fee"
    ),
}


@pytest.mark.parametrize(("name", "expected"), DESCRIPTIONS.items(), ids=DESCRIPTIONS)
def test_describe_the_spec_tariffs(name, expected):
    assert tariff_describe(example(name)) == expected


def test_describe_the_common_shapes():
    tariff = tariff_dict(
        element(component("ENERGY", 0.25), component("FLAT", 1.00)),
        element(component("PARKING_TIME", 5.00), min_duration=3 * 3600),
        element(component("TIME", 0.10), min_power=50, max_duration=5400),
        element(component("ENERGY", 0.2875), min_kwh=20, max_kwh=50, end_date="2025-01-01"),
        currency="EUR",
    )
    assert tariff_describe(tariff) == (
        "0.25 EUR/kWh + 1.00 EUR start fee, parking 5.00 EUR/h after 3 h, "
        "0.10 EUR/h from 50 kW for the first 1 h 30 min"
    )  # the last element can never apply: ENERGY is always priced by the first


def test_describe_in_other_languages_and_incl_vat():
    tariff = example("tariff_13_simple_3hour_5parking.json")
    assert tariff_describe(tariff, "nl", incl_vat=True) == (
        "3.30 EUR/uur (per 1 min gerekend) + parkeren 6.00 EUR/uur (per 5 min gerekend)"
    )
    assert tariff_describe(tariff, "de").startswith("3.00 EUR/Std.")
    assert tariff_describe(tariff, "pt") == tariff_describe(tariff, "en")
    yen = tariff_dict(element(component("ENERGY", 35), start_time="22:00", end_time="06:00"))
    yen["currency"] = "JPY"
    assert tariff_describe(yen) == "35 JPY/kWh between 22:00 and 06:00"


def test_template_filter_describes_a_tariff_dict_in_the_active_language():
    template = Template("{% load tariffs %}{{ tariff|tariff_describe }}")
    tariff = example("tariff_9_025kwh_start.json")
    assert template.render(Context({"tariff": tariff})) == "0.25 EUR/kWh + 0.50 EUR start fee"
    with translation.override("nl"):
        assert template.render(Context({"tariff": tariff})) == "0.25 EUR/kWh + 0.50 EUR starttarief"
    explicit = Template('{% load tariffs %}{{ tariff|tariff_describe:"de" }}')
    assert explicit.render(Context({"tariff": tariff})).endswith("Startgebühr")


def test_template_filter_falls_back_to_the_alt_text_for_a_broken_tariff():
    template = Template("{% load tariffs %}{{ tariff|tariff_describe }}")
    tariff = example("tariff_2_alt_text.json")
    tariff["elements"][0]["price_components"][0]["price"] = -1
    assert template.render(Context({"tariff": tariff})) == "2.00 euro p/hour including VAT."
    assert template.render(Context({"tariff": {"currency": "EUR"}})) == ""
    assert template.render(Context({"tariff": "<script>"})) == ""
