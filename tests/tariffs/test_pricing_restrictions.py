"""Hand-computed cases: each restriction kind, splits inside a period, DST, step_size, VAT,
min/max price, currencies."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tariffs.pricing import (
    ChargingPeriod,
    cdr_price,
    cost_round,
    session_price,
    tariff_parse,
    to_json_value,
)

from .factories import AMSTERDAM, cdr_dict, cdr_from_utc, component, element, tariff_dict

D = Decimal


def price(tariff: dict, cdr: dict, **options):
    return cdr_price(tariff_parse(tariff), cdr, time_zone=options.pop("tz", AMSTERDAM), **options)


def energy_tariff(first: dict, price_first="0.30", fallback="0.20", **extra) -> dict:
    return tariff_dict(
        element(component("ENERGY", float(price_first)), **first),
        element(component("ENERGY", float(fallback))),
        **extra,
    )


def costs(result) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.dimension, line.quantity, line.cost.excl_vat) for line in result.lines]


def test_time_of_day_change_in_the_middle_of_a_period_splits_it_pro_rata():
    tariff = energy_tariff({"start_time": "07:00", "end_time": "17:00"})
    result = price(tariff, cdr_dict("2024-01-15T16:30", [(60, {"ENERGY": 10})]))
    assert costs(result) == [("ENERGY", D(5), D("1.50")), ("ENERGY", D(5), D("1.00"))]
    assert result.lines[1].start_date_time == datetime(2024, 1, 15, 16, 0, tzinfo=UTC)
    assert result.rounded().total_cost.excl_vat == D("2.50")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2024-01-15T21:00", D("0.80")),  # 2 kWh day rate, then 2 kWh night rate
        ("2024-01-16T05:00", D("0.80")),  # 2 kWh night rate (before 06:00), then 2 day rate
        ("2024-01-16T01:00", D("0.40")),  # all night, across no boundary
    ],
    ids=["into the night", "out of the night", "inside the night"],
)
def test_a_window_that_wraps_past_midnight(start, expected):
    tariff = energy_tariff({"start_time": "22:00", "end_time": "06:00"}, "0.10", "0.30")
    result = price(tariff, cdr_dict(start, [(120, {"ENERGY": 4})]))
    assert result.rounded().total_cost.excl_vat == expected


def test_end_time_midnight_means_the_end_of_the_day():
    tariff = energy_tariff({"start_time": "20:00", "end_time": "00:00"}, "0.10", "0.30")
    result = price(tariff, cdr_dict("2024-01-15T23:00", [(120, {"ENERGY": 4})]))
    assert costs(result) == [("ENERGY", D(2), D("0.20")), ("ENERGY", D(2), D("0.60"))]


def test_start_equal_to_end_time_is_the_whole_day():
    tariff = energy_tariff({"start_time": "08:00", "end_time": "08:00"}, "0.10", "0.30")
    result = price(tariff, cdr_dict("2024-01-15T07:00", [(120, {"ENERGY": 4})]))
    assert result.total_cost.excl_vat == D("0.40")


def test_day_of_week_changes_at_local_midnight():
    tariff = energy_tariff({"day_of_week": ["SATURDAY", "SUNDAY"]}, "0.20", "0.40")
    result = price(tariff, cdr_dict("2024-01-19T23:00", [(120, {"ENERGY": 4})]))  # Friday
    assert costs(result) == [("ENERGY", D(2), D("0.80")), ("ENERGY", D(2), D("0.40"))]


def test_a_wrapping_window_is_anded_with_the_day_of_week_at_each_instant():
    tariff = energy_tariff(
        {"start_time": "22:00", "end_time": "06:00", "day_of_week": ["FRIDAY"]}, "0.10", "0.30"
    )
    result = price(tariff, cdr_dict("2024-01-19T23:00", [(120, {"ENERGY": 4})]))
    # Friday 23:00-24:00 matches; Saturday 00:00-01:00 is not a Friday.
    assert costs(result) == [("ENERGY", D(2), D("0.20")), ("ENERGY", D(2), D("0.60"))]


def test_start_date_is_inclusive_and_end_date_exclusive():
    tariff = energy_tariff({"start_date": "2024-06-01", "end_date": "2024-07-01"}, "0.30", "0.40")
    june_end = price(tariff, cdr_dict("2024-06-30T23:00", [(120, {"ENERGY": 4})]))
    assert costs(june_end) == [("ENERGY", D(2), D("0.60")), ("ENERGY", D(2), D("0.80"))]
    june_start = price(tariff, cdr_dict("2024-05-31T23:00", [(120, {"ENERGY": 4})]))
    assert costs(june_start) == [("ENERGY", D(2), D("0.80")), ("ENERGY", D(2), D("0.60"))]


def test_kwh_threshold_reached_in_the_middle_of_a_period():
    tariff = energy_tariff({"max_kwh": 10}, "0.40", "0.30")
    result = price(
        tariff, cdr_dict("2024-01-15T10:00", [(30, {"ENERGY": 4}), (90, {"ENERGY": 12})])
    )
    # 4 kWh, then 6 kWh until 10 kWh consumed (45 min into the second period), then 6 kWh.
    assert costs(result) == [
        ("ENERGY", D(4), D("1.60")),
        ("ENERGY", D(6), D("2.40")),
        ("ENERGY", D(6), D("1.80")),
    ]
    # 11:15 local
    assert result.lines[2].start_date_time == datetime(2024, 1, 15, 10, 15, tzinfo=UTC)


def test_min_kwh_is_inclusive():
    tariff = energy_tariff({"min_kwh": 10}, "0.10", "0.30")
    result = price(
        tariff, cdr_dict("2024-01-15T10:00", [(30, {"ENERGY": 10}), (30, {"ENERGY": 5})])
    )
    assert costs(result) == [("ENERGY", D(10), D("3.00")), ("ENERGY", D(5), D("0.50"))]


def test_current_restrictions_read_the_periods_min_and_max_current():
    tariff = tariff_dict(
        element(component("TIME", 1.0), max_current=32),
        element(component("TIME", 2.0), min_current=32),
    )
    cdr = cdr_dict(
        "2024-01-15T10:00",
        [(60, {"TIME": "t", "MAX_CURRENT": 16}), (60, {"TIME": "t", "MIN_CURRENT": 32})],
    )
    assert [line.unit_price for line in price(tariff, cdr).lines] == [D("1.0"), D("2.0")]


def test_without_current_readings_current_restrictions_do_not_hold():
    tariff = tariff_dict(
        element(component("TIME", 1.0), max_current=32), element(component("TIME", 3.0))
    )
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"TIME": "t"})]))
    assert result.lines[0].unit_price == D("3.0")
    assert result.notes == (
        "charging periods without a current reading, where current restrictions do not hold: 0",
    )


def test_power_falls_back_to_the_periods_average_power():
    tariff = energy_tariff({"max_power": 16}, "0.20", "0.50")
    slow = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 11, "TIME": "t"})]))
    fast = price(tariff, cdr_dict("2024-01-15T10:00", [(30, {"ENERGY": 11, "TIME": "t"})]))
    assert slow.lines[0].unit_price == D("0.2")  # 11 kW
    assert fast.lines[0].unit_price == D("0.5")  # 22 kW


def test_min_power_is_inclusive_and_max_power_exclusive():
    tariff = tariff_dict(
        element(component("ENERGY", 0.5), min_power=50),
        element(component("ENERGY", 0.3), max_power=22),
        element(component("ENERGY", 0.4)),
    )
    cdr = cdr_dict(
        "2024-01-15T10:00",
        [
            (10, {"ENERGY": 1, "MIN_POWER": 50, "MAX_POWER": 60}),
            (10, {"ENERGY": 1, "MIN_POWER": 10, "MAX_POWER": 22}),
            (10, {"ENERGY": 1, "MIN_POWER": 10, "MAX_POWER": 21.9}),
        ],
    )
    assert [line.unit_price for line in price(tariff, cdr).lines] == [D("0.5"), D("0.4"), D("0.3")]


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        ("22", "0.4"),  # max_power is exclusive
        ("22.0", "0.4"),
        ("22.000000000000004", "0.4"),  # the float just above 22
        ("21.999999999999996", "0.3"),  # the float just below 22
        ("0.30000000000000004", "0.5"),  # 0.1 + 0.2: at least min_power 0.3
        ("0.3", "0.5"),
        ("0.29999999999999993", "0.3"),
    ],
)
def test_power_readings_compare_as_written_in_the_json_text(reading, expected):
    """A float reading is the number its JSON text states (its shortest repr), not the binary
    value: 0.3 kW reaches a min_power of 0.3 though the float 0.3 lies just below 3/10."""
    tariff = tariff_dict(
        element(component("ENERGY", 0.5), min_power=0.3, max_power=1),
        element(component("ENERGY", 0.3), max_power=22),
        element(component("ENERGY", 0.4)),
    )
    cdr = cdr_dict("2024-01-15T10:00", [(10, {"ENERGY": 1})])
    readings = f'[{{"type": "MIN_POWER", "volume": {reading}}}, ' + (
        f'{{"type": "MAX_POWER", "volume": {reading}}}]'
    )
    cdr["charging_periods"][0]["dimensions"] += json.loads(readings)
    assert price(tariff, cdr).lines[0].unit_price == D(expected)


def test_parking_fee_after_a_minimum_duration_splits_at_that_moment():
    tariff = tariff_dict(
        element(component("ENERGY", 0.25), component("FLAT", 1.0)),
        element(component("PARKING_TIME", 5.0), min_duration=3 * 3600),
    )
    cdr = cdr_dict("2024-01-15T10:00", [(120, {"ENERGY": 20}), (120, {"PARKING_TIME": "t"})])
    result = price(tariff, cdr)
    parking = [line for line in result.lines if line.dimension == "PARKING_TIME"]
    assert [(p.quantity, p.cost.excl_vat) for p in parking] == [(D(1), D("5.0"))]
    assert parking[0].start_date_time == datetime(2024, 1, 15, 12, 0, tzinfo=UTC)  # 13:00 local
    assert result.rounded().total_cost.excl_vat == D("11.00")


def test_max_duration_is_exclusive():
    tariff = energy_tariff({"max_duration": 1800}, "0.00", "0.25")
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(40, {"ENERGY": 4})]))
    assert costs(result) == [("ENERGY", D(3), D("0.00")), ("ENERGY", D(1), D("0.25"))]


def test_dst_spring_forward_boundary_in_the_skipped_hour_applies_at_the_jump():
    # 2024-03-31 in Amsterdam: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    tariff = energy_tariff({"start_time": "02:30", "end_time": "06:00"}, "0.10", "0.30")
    cdr = cdr_from_utc(datetime(2024, 3, 31, 0, 0, tzinfo=UTC), [(120, {"ENERGY": 2})])
    result = price(tariff, cdr)
    assert costs(result) == [("ENERGY", D(1), D("0.30")), ("ENERGY", D(1), D("0.10"))]
    assert result.lines[1].start_date_time == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)


def test_dst_spring_forward_prices_the_real_duration():
    tariff = tariff_dict(element(component("TIME", 2.0)))
    cdr = cdr_dict("2024-03-31T01:30", [(60, {})])  # 01:30 CET to 03:30 CEST: one hour
    result = price(tariff, cdr)
    assert result.total_time == D(1)
    assert result.total_cost.excl_vat == D("2.0")


def test_dst_fall_back_repeated_half_hour_is_matched_twice():
    # 2024-10-27 in Amsterdam: 03:00 CEST becomes 02:00 CET (01:00 UTC).
    tariff = energy_tariff({"start_time": "02:00", "end_time": "02:30"}, "0.10", "0.30")
    cdr = cdr_from_utc(datetime(2024, 10, 27, 0, 0, tzinfo=UTC), [(120, {"ENERGY": 4})])
    result = price(tariff, cdr)
    assert costs(result) == [
        ("ENERGY", D(1), D("0.10")),  # 02:00-02:30 CEST
        ("ENERGY", D(1), D("0.30")),  # 02:30-03:00 CEST
        ("ENERGY", D(1), D("0.10")),  # 02:00-02:30 CET
        ("ENERGY", D(1), D("0.30")),  # 02:30-03:00 CET
    ]


def test_dst_fall_back_evening_rate_uses_the_new_offset():
    tariff = energy_tariff({"start_time": "18:00", "end_time": "22:00"}, "0.50", "0.20")
    # 2024-10-27 16:00 UTC is 17:00 CET (it would be 18:00 in summer time).
    cdr = cdr_from_utc(datetime(2024, 10, 27, 16, 0, tzinfo=UTC), [(120, {"ENERGY": 2})])
    assert costs(price(tariff, cdr)) == [("ENERGY", D(1), D("0.20")), ("ENERGY", D(1), D("0.50"))]


def test_step_size_time_across_an_element_switch():
    # mod_cdrs: 5/h before 17:00, 7/h after, step 10 min; 6 min + 22 min -> 30 min in total.
    tariff = tariff_dict(
        element(component("TIME", 5.0, step_size=600), end_time="17:00"),
        element(component("TIME", 7.0, step_size=600)),
    )
    result = price(tariff, cdr_dict("2024-01-15T16:54", [(28, {"TIME": "t"})]))
    assert [line.billed_quantity * 60 for line in result.lines] == [D(6), D(24)]
    assert result.rounded().total_cost.excl_vat == D("3.30")


def test_step_size_energy_on_the_session_total():
    # mod_cdrs: 0.20 before 17:00, 0.27 after, step 500 Wh: 4.3 + 1.1 = 5.4 -> 5.5 kWh.
    tariff = tariff_dict(
        element(component("ENERGY", 0.20, step_size=500), end_time="17:00"),
        element(component("ENERGY", 0.27, step_size=500)),
    )
    cdr = cdr_dict("2024-01-15T16:00", [(60, {"ENERGY": 4.3}), (30, {"ENERGY": 1.1})])
    result = price(tariff, cdr)
    assert [line.billed_quantity for line in result.lines] == [D("4.3"), D("1.2")]
    assert result.total_cost.excl_vat == D("1.184")


@pytest.mark.parametrize(
    ("charging", "parking", "billed_parking", "excl"),
    [(21, 16, 20, "1.02"), (21, 7, 10, "0.68")],
    ids=["mod_cdrs example", "parking rounded, charging not"],
)
def test_step_size_time_then_parking_rounds_the_parking_only(
    charging, parking, billed_parking, excl
):
    tariff = tariff_dict(
        element(
            component("TIME", 1.0, step_size=600), component("PARKING_TIME", 2.0, step_size=600)
        )
    )
    cdr = cdr_dict(
        "2024-01-15T10:00", [(charging, {"TIME": "t"}), (parking, {"PARKING_TIME": "t"})]
    )
    result = price(tariff, cdr)
    assert [line.billed_quantity * 60 for line in result.lines] == [D(charging), D(billed_parking)]
    assert result.rounded().total_cost.excl_vat == D(excl)


def test_explicit_expired_reservation():
    tariff = tariff_dict(
        element(component("FLAT", 4.0, vat=20), reservation="RESERVATION_EXPIRES"),
        element(component("TIME", 2.0, vat=20, step_size=600), reservation="RESERVATION"),
        element(component("ENERGY", 0.25)),
    )
    cdr = cdr_dict("2024-01-15T10:00", [(30, {"RESERVATION_TIME": "t"})])
    assert price(tariff, cdr, reservation_expired=False).total_cost.excl_vat == D("1.0")
    assert price(tariff, cdr).total_cost.excl_vat == D("5.0")


def test_zero_decimal_currency_rounds_to_whole_yen():
    tariff = tariff_dict(element(component("ENERGY", 35, vat=10)), currency="JPY")
    result = price(
        tariff,
        cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 12.3})], tz="Asia/Tokyo"),
        tz="Asia/Tokyo",
    )
    assert result.total_cost.excl_vat == D("430.5")
    rounded = result.rounded()
    assert (rounded.total_cost.excl_vat, rounded.total_cost.incl_vat) == (D("431"), D("474"))
    assert str(rounded.total_cost.excl_vat) == "431"


def test_three_decimal_currency():
    assert cost_round(D("1.2345"), "KWD") == D("1.235")
    assert cost_round(D("0.125"), "EUR") == D("0.13")
    assert cost_round(D("2.5"), "JPY") == D("3")


def test_no_vat_differs_from_zero_vat_in_the_lines_not_in_the_totals():
    cdr = cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 10})])
    without = price(tariff_dict(element(component("ENERGY", 0.30))), cdr)
    zero = price(tariff_dict(element(component("ENERGY", 0.30, vat=0))), cdr)
    assert without.lines[0].vat is None
    assert zero.lines[0].vat == D(0)
    assert without.total_cost.incl_vat == without.total_cost.excl_vat == D("3.0")
    assert zero.total_cost.incl_vat == zero.total_cost.excl_vat


def test_free_of_charge_tariff():
    tariff = tariff_dict(element(component("FLAT", 0.0, step_size=0)))
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 30, "TIME": "t"})]))
    assert result.rounded().total_cost.excl_vat == D("0.00")
    assert result.rounded().total_cost.incl_vat == D("0.00")


def test_min_price_applies_to_excl_and_incl_vat_separately():
    tariff = tariff_dict(
        element(component("ENERGY", 0.30, vat=10)),
        min_price={"excl_vat": 1.00, "incl_vat": 1.50},
    )
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 3})]))
    assert (result.total_cost.excl_vat, result.total_cost.incl_vat) == (D("1.0"), D("1.5"))
    assert result.min_price_adjustment.excl_vat == D("0.1")
    assert result.min_price_adjustment.incl_vat == D("0.51")
    assert result.total_energy_cost.excl_vat == D("0.9")  # the dimension total is untouched


def test_max_price_incl_vat_can_bind_while_excl_does_not():
    tariff = tariff_dict(
        element(component("ENERGY", 0.30, vat=21)),
        max_price={"excl_vat": 10.00, "incl_vat": 11.00},
    )
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 33})]))
    assert (result.total_cost.excl_vat, result.total_cost.incl_vat) == (D("9.9"), D("11.0"))


def test_min_price_without_incl_vat_moves_incl_in_proportion():
    tariff = tariff_dict(element(component("ENERGY", 0.50, vat=20)), min_price={"excl_vat": 2})
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 2})]))
    assert (result.total_cost.excl_vat, result.total_cost.incl_vat) == (D(2), D("2.4"))


def test_energy_fed_back_is_not_billed():
    tariff = tariff_dict(element(component("ENERGY", 0.30)))
    cdr = cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 5}), (60, {"ENERGY": -2})])
    result = price(tariff, cdr)
    assert result.total_energy == D(3)
    assert result.total_cost.excl_vat == D("1.5")


def test_a_period_without_time_dimension_is_charging_time():
    tariff = tariff_dict(element(component("TIME", 2.0)))
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(90, {"ENERGY": 10})]))
    assert result.total_cost.excl_vat == D("3.0")
    assert "without a time dimension" in result.notes[0]


def test_a_tariff_outside_its_validity_is_applied_with_a_note():
    tariff = energy_tariff({}, end_date_time="2019-06-30T23:59:59Z")
    result = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 1})]))
    assert result.notes == ("the tariff is not valid at the session's start_date_time",)


def test_flat_is_counted_once_from_the_first_matching_element():
    tariff = tariff_dict(
        element(component("FLAT", 2.0), start_time="18:00", end_time="22:00"),
        element(component("FLAT", 1.0), component("ENERGY", 0.3)),
    )
    cdr = cdr_dict("2024-01-15T17:00", [(60, {"ENERGY": 1}), (120, {"ENERGY": 1})])
    flats = [line for line in price(tariff, cdr).lines if line.dimension == "FLAT"]
    assert [(f.quantity, f.unit_price) for f in flats] == [(D(1), D("1.0"))]


def test_rounded_breakdown_keeps_exact_figures_apart():
    tariff = tariff_dict(element(component("ENERGY", 0.333, vat=21)))
    exact = price(tariff, cdr_dict("2024-01-15T10:00", [(60, {"ENERGY": 10})]))
    rounded = exact.rounded()
    assert exact.total_cost.excl_vat == D("3.330")
    assert exact.total_cost.incl_vat == D("4.02930")
    assert rounded.total_cost.incl_vat == D("4.03")
    assert rounded.lines[0].cost.incl_vat == D("4.03")
    assert exact.lines[0].cost.incl_vat == D("4.02930")
    assert rounded.rounded() is rounded


def test_half_a_cent_rounds_up_whatever_the_arithmetic_path():
    # 5 min at 3.18/h is exactly 0.265; 28-digit division must not make it 0.2649999...
    tariff = tariff_dict(element(component("PARKING_TIME", 3.18, step_size=300)))
    second = timedelta(seconds=1)
    whole = cdr_dict("2024-01-15T10:00", [(4 * second, {"PARKING_TIME": "t"})])
    parts = cdr_dict(
        "2024-01-15T10:00", [(second, {"PARKING_TIME": "t"}), (3 * second, {"PARKING_TIME": "t"})]
    )
    for cdr in (whole, parts):
        assert price(tariff, cdr).rounded().total_cost.excl_vat == D("0.27")


def test_step_size_is_not_fooled_by_division_noise():
    # 113 s taken pro rata from a period of 1019 s whose TIME is itself a 28-digit quotient is
    # 113.000...01 s: it must still be billed as 113 s (step_size 1), not 114 s.
    tariff = tariff_dict(
        element(component("TIME", 36), max_duration=113), element(component("ENERGY", 0))
    )
    first = D("1.1325") * (D(1019) / D(4077))
    cdr = cdr_from_utc(
        datetime(2024, 3, 30, tzinfo=UTC),
        [
            (timedelta(seconds=1019), {"TIME": first}),
            (timedelta(seconds=3058), {"TIME": D("1.1325") - first}),
        ],
    )
    result = price(tariff, cdr)
    assert result.lines[0].billed_quantity * 3600 == 113
    assert cost_round(result.total_cost.excl_vat, "EUR") == D("1.13")


def test_charging_periods_from_ocpi_and_session_price_agree_with_cdr_price():
    tariff = tariff_parse(
        tariff_dict(
            element(component("ENERGY", 0.5), min_power=50),
            element(component("ENERGY", 0.3), component("FLAT", 1.0)),
        )
    )
    cdr = json.loads(
        json.dumps(
            to_json_value(
                cdr_dict(
                    "2024-01-15T10:00",
                    [
                        (30, {"ENERGY": 25, "MIN_POWER": 48.5, "MAX_POWER": 51}),
                        (30, {"ENERGY": 10}),
                    ],
                )
            )
        )
    )
    periods = [ChargingPeriod.from_ocpi(p) for p in cdr["charging_periods"]]
    assert periods[0].min_power == D("48.5")
    assert periods[1].time is None
    result = session_price(
        tariff,
        charging_periods=periods,
        start_date_time=datetime(2024, 1, 15, 9, 0, tzinfo=UTC),
        end_date_time=datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
        time_zone=AMSTERDAM,
    )
    assert result == cdr_price(tariff, cdr, time_zone=AMSTERDAM)
    assert result.total_cost.excl_vat == D("11.5")  # 35 kWh at 0.30 (48.5 kW < 50) + 1.00
