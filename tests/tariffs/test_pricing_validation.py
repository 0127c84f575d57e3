"""A tariff that breaks the spec, or session data that cannot be priced, is refused with one
exception type whose message names the field."""

import copy
import json
from datetime import datetime
from decimal import Decimal

import pytest

from tariffs.pricing import (
    ChargingPeriod,
    PricingError,
    SessionError,
    TariffError,
    cdr_price,
    session_price,
    tariff_parse,
    to_json_value,
)

from .factories import AMSTERDAM, cdr_dict, component, element, example, tariff_dict


def broken(change) -> dict:
    data = copy.deepcopy(example("tariff_4_complex.json"))
    change(data)
    return data


def setter(path: list, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


BAD_TARIFFS = {
    "negative price": (
        ["elements", 1, "price_components", 0, "price"],
        -1,
        "elements[1].price_components[0].price: must be >= 0",
    ),
    "price as a string": (
        ["elements", 1, "price_components", 0, "price"],
        "1.00",
        "elements[1].price_components[0].price: must be a number",
    ),
    "price true": (
        ["elements", 1, "price_components", 0, "price"],
        True,
        "elements[1].price_components[0].price: must be a number",
    ),
    "price NaN": (
        ["elements", 1, "price_components", 0, "price"],
        float("nan"),
        "elements[1].price_components[0].price: must be a finite number",
    ),
    "missing price": (
        ["elements", 0, "price_components", 0, "price"],
        KeyError,
        "elements[0].price_components[0].price: is required",
    ),
    "unknown dimension": (
        ["elements", 0, "price_components", 0, "type"],
        "KWH",
        "elements[0].price_components[0].type: "
        "'KWH' is not one of ENERGY, FLAT, PARKING_TIME, TIME",
    ),
    "negative step_size": (
        ["elements", 1, "price_components", 0, "step_size"],
        -300,
        "elements[1].price_components[0].step_size: must be >= 0",
    ),
    "fractional step_size": (
        ["elements", 1, "price_components", 0, "step_size"],
        1.5,
        "elements[1].price_components[0].step_size: must be a whole number",
    ),
    "missing step_size": (
        ["elements", 1, "price_components", 0, "step_size"],
        KeyError,
        "elements[1].price_components[0].step_size: is required",
    ),
    "VAT above 100 %": (
        ["elements", 1, "price_components", 0, "vat"],
        2000,
        "elements[1].price_components[0].vat: is a percentage and must be <= 100",
    ),
    "time without leading zero": (
        ["elements", 4, "restrictions", "start_time"],
        "9:00",
        "elements[4].restrictions.start_time: '9:00' is not in the format HH:MM (24 h), e.g. 13:30",
    ),
    "time 24:00": (
        ["elements", 4, "restrictions", "end_time"],
        "24:00",
        "elements[4].restrictions.end_time: '24:00' is not in the format HH:MM (24 h), e.g. 13:30",
    ),
    "malformed date": (
        ["elements", 4, "restrictions", "start_date"],
        "2024/01/01",
        "elements[4].restrictions.start_date: '2024/01/01' is not in the format YYYY-MM-DD",
    ),
    "impossible date": (
        ["elements", 4, "restrictions", "end_date"],
        "2023-02-30",
        "elements[4].restrictions.end_date: '2023-02-30' is not a calendar date",
    ),
    "unknown weekday": (
        ["elements", 4, "restrictions", "day_of_week", 1],
        "TUES",
        "elements[4].restrictions.day_of_week[1]: 'TUES' is not a DayOfWeek",
    ),
    "weekday not in a list": (
        ["elements", 4, "restrictions", "day_of_week"],
        "MONDAY",
        "elements[4].restrictions.day_of_week: must be a list of DayOfWeek values",
    ),
    "negative max_current": (
        ["elements", 1, "restrictions", "max_current"],
        -32,
        "elements[1].restrictions.max_current: must be >= 0",
    ),
    "fractional duration": (
        ["elements", 1, "restrictions", "min_duration"],
        10.5,
        "elements[1].restrictions.min_duration: must be a whole number",
    ),
    "unknown reservation kind": (
        ["elements", 1, "restrictions", "reservation"],
        "BOOKING",
        "elements[1].restrictions.reservation: must be one of RESERVATION, RESERVATION_EXPIRES",
    ),
    "empty elements": (["elements"], [], "elements: must be a non-empty list of TariffElements"),
    "no elements": (["elements"], KeyError, "elements: must be a non-empty list of TariffElements"),
    "empty price components": (
        ["elements", 0, "price_components"],
        [],
        "elements[0].price_components: must be a non-empty list",
    ),
    "element not an object": (["elements", 2], "x", "elements[2]: must be a TariffElement object"),
    "currency not ISO 4217": (
        ["currency"],
        "EURO",
        "currency: 'EURO' is not an ISO 4217 currency code",
    ),
    "currency lower case": (
        ["currency"],
        "eur",
        "currency: 'eur' is not an ISO 4217 currency code",
    ),
    "malformed start_date_time": (
        ["start_date_time"],
        "2024-13-01T00:00:00Z",
        "start_date_time: '2024-13-01T00:00:00Z' is not a valid date and time",
    ),
    "date only as DateTime": (
        ["end_date_time"],
        "2024-01-01",
        "end_date_time: '2024-01-01' is not an RFC 3339 DateTime such as 2015-06-29T20:39:09Z",
    ),
    "unknown tariff type": (
        ["type"],
        "CHEAP",
        "type: must be one of AD_HOC_PAYMENT, PROFILE_CHEAP, PROFILE_FAST, PROFILE_GREEN, REGULAR",
    ),
    "min_price without excl_vat": (
        ["min_price"],
        {"incl_vat": 1},
        "min_price: must be a Price object with excl_vat",
    ),
}


@pytest.mark.parametrize(("path", "value", "message"), BAD_TARIFFS.values(), ids=BAD_TARIFFS)
def test_a_tariff_that_breaks_the_spec_is_refused_naming_the_field(path, value, message):
    with pytest.raises(TariffError) as caught:
        tariff_parse(broken(setter(path, value)))
    assert str(caught.value) == message
    assert isinstance(caught.value, PricingError)
    assert caught.value.path == message.split(":")[0]


def test_a_reservation_element_prices_only_flat_and_time():
    data = tariff_dict(element(component("ENERGY", 0.3), reservation="RESERVATION"))
    with pytest.raises(TariffError, match=r"elements\[0\].price_components\[0\].type: a reserv"):
        tariff_parse(data)


def test_conflicting_bounds_are_refused():
    data = tariff_dict(
        element(component("ENERGY", 0.3)), min_price={"excl_vat": 5}, max_price={"excl_vat": 2}
    )
    with pytest.raises(TariffError, match=r"min_price\.excl_vat: must not exceed"):
        tariff_parse(data)
    data = tariff_dict(
        element(component("ENERGY", 0.3)),
        start_date_time="2024-02-01T00:00:00Z",
        end_date_time="2024-01-01T00:00:00Z",
    )
    with pytest.raises(TariffError, match="end_date_time: must be later"):
        tariff_parse(data)


@pytest.mark.parametrize("value", [None, [], "tariff", 12])
def test_a_tariff_must_be_an_object(value):
    with pytest.raises(TariffError, match="a Tariff must be a JSON object"):
        tariff_parse(value)


TARIFF = tariff_parse(tariff_dict(element(component("ENERGY", 0.3))))


def good_cdr() -> dict:
    return cdr_dict("2024-01-15T10:00", [(30, {"ENERGY": 5}), (30, {"PARKING_TIME": "t"})])


BAD_CDRS = {
    "period before the session start": (
        lambda c: c.update(start_date_time="2024-01-15T09:30:00Z"),
        "charging_periods[0].start_date_time: is before the session's start_date_time",
    ),
    "periods out of order": (
        lambda c: c["charging_periods"].reverse(),
        "charging_periods[1].start_date_time: is before the previous period's start",
    ),
    "end before start": (
        lambda c: c.update(end_date_time="2024-01-15T08:00:00Z"),
        "end_date_time: is before start_date_time",
    ),
    "placeholder start of 1970": (
        lambda c: (
            c.update(start_date_time="1970-01-01T00:00:00Z")
            or c["charging_periods"][0].update(start_date_time="1970-01-01T00:00:00Z")
        ),
        "end_date_time: the session would last more than a year",
    ),
    "no end": (
        lambda c: c.pop("end_date_time"),
        "end_date_time: is required (for a running session: now)",
    ),
    "bad timestamp": (
        lambda c: c.update(start_date_time="yesterday"),
        "start_date_time: 'yesterday' is not an RFC 3339 DateTime such as 2015-06-29T20:39:09Z",
    ),
    "unknown dimension": (
        lambda c: c["charging_periods"][0]["dimensions"][0].update(type="KWH"),
        "charging_periods[0].dimensions[0].type: 'KWH' is not a CdrDimensionType",
    ),
    "volume as text": (
        lambda c: c["charging_periods"][0]["dimensions"][0].update(volume="5"),
        "charging_periods[0].dimensions[0].volume: must be a number",
    ),
    "negative parking time": (
        lambda c: c["charging_periods"][1]["dimensions"][0].update(volume=-0.5),
        "charging_periods[1].dimensions[0].volume: must be >= 0",
    ),
    "dimension twice": (
        lambda c: c["charging_periods"][0]["dimensions"].append({"type": "ENERGY", "volume": 1}),
        "charging_periods[0].dimensions[1].type: ENERGY appears twice in this period",
    ),
    "periods not a list": (
        lambda c: c.update(charging_periods={"a": 1}),
        "charging_periods: must be a list of ChargingPeriods",
    ),
    "other currency": (
        lambda c: c.update(currency="USD"),
        "currency: 'USD' is not the tariff's 'EUR'",
    ),
}


@pytest.mark.parametrize("as_json", [False, True], ids=["Decimal volumes", "JSON text"])
@pytest.mark.parametrize(("change", "message"), BAD_CDRS.values(), ids=BAD_CDRS)
def test_session_data_that_cannot_be_priced_is_refused_naming_the_field(change, message, as_json):
    cdr = good_cdr()
    if as_json:
        cdr = json.loads(json.dumps(to_json_value(cdr)))
    change(cdr)
    with pytest.raises(SessionError) as caught:
        cdr_price(TARIFF, cdr, time_zone=AMSTERDAM)
    assert str(caught.value) == message


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "Europe/"])
def test_an_unknown_time_zone_is_refused(zone):
    with pytest.raises(SessionError, match=r"time_zone: .* is not an IANA time zone name"):
        cdr_price(TARIFF, good_cdr(), time_zone=zone)


def test_session_only_dimensions_are_ignored():
    cdr = good_cdr()
    cdr["charging_periods"][0]["dimensions"].append({"type": "STATE_OF_CHARGE", "volume": 80})
    assert cdr_price(TARIFF, cdr, time_zone=AMSTERDAM).total_cost.excl_vat == 1.5


def test_timestamps_without_designator_or_with_an_offset_are_read_as_the_instant_they_are():
    cdr = good_cdr()  # starts 2024-01-15T09:00:00Z
    cdr["start_date_time"] = "2024-01-15T09:00:00"
    cdr["charging_periods"][0]["start_date_time"] = "2024-01-15T10:00:00.000+01:00"
    result = cdr_price(TARIFF, cdr, time_zone=AMSTERDAM)
    assert result.total_time == 1


def test_session_price_refuses_naive_datetimes():
    naive = datetime(2024, 1, 15, 10, 0)  # the mistake under test
    with pytest.raises(SessionError, match="datetimes must be timezone-aware"):
        session_price(
            TARIFF,
            charging_periods=[ChargingPeriod(naive, energy=Decimal(1))],
            start_date_time=naive,
            end_date_time=naive,
            time_zone=AMSTERDAM,
        )
