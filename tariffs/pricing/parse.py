"""From an OCPI 2.2.1 Tariff JSON object (a dict) to a validated `Tariff`.

Every refusal is a `TariffError` naming the field path, e.g.
``elements[1].price_components[0].price: must be >= 0``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from .errors import PricingError, TariffError
from .model import (
    DAYS_OF_WEEK,
    FLAT,
    RESERVATION_RESTRICTIONS,
    TARIFF_DIMENSIONS,
    TARIFF_TYPES,
    TIME,
    DisplayText,
    Price,
    PriceComponent,
    Tariff,
    TariffElement,
    TariffRestrictions,
)
from .money import CURRENCY_EXPONENTS

_TIME = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)


def parse_number(value: Any, path: str, error: type[PricingError] = TariffError) -> Decimal:
    """A JSON number as an exact Decimal (a float is read by its shortest repr, as it was written
    in the JSON text). Refuses booleans, strings, NaN and infinities."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise error(path, "must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise error(path, "must be a finite number")
        return value
    raise error(path, "must be a number")


def parse_date_time(value: Any, path: str, error: type[PricingError] = TariffError) -> datetime:
    """An OCPI DateTime (RFC 3339; no designator means UTC) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise error(path, "must be a DateTime string such as 2015-06-29T20:39:09Z")
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise error(path, f"{value!r} is not an RFC 3339 DateTime such as 2015-06-29T20:39:09Z")
    whole, fraction, zone = match.groups()
    text = whole + (fraction[:7] if fraction else "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise error(path, f"{value!r} is not a valid date and time") from exc
    if zone in (None, "Z"):
        return moment.replace(tzinfo=UTC)
    return datetime.fromisoformat(text + zone).astimezone(UTC)


def tariff_parse(data: Mapping[str, Any]) -> Tariff:
    """Validate an OCPI 2.2.1 Tariff object and return it as a `Tariff`.

    Lenient only where the spec's own examples are defective: `step_size` 0 is accepted (and
    priced as 1), `last_updated` and the identity fields may be absent.
    """
    if not isinstance(data, Mapping):
        raise TariffError("", "a Tariff must be a JSON object")
    currency = data.get("currency")
    if not isinstance(currency, str) or currency not in CURRENCY_EXPONENTS:
        raise TariffError("currency", f"{currency!r} is not an ISO 4217 currency code")
    elements = data.get("elements")
    if not isinstance(elements, list) or not elements:
        raise TariffError("elements", "must be a non-empty list of TariffElements")
    tariff_type = data.get("type")
    if tariff_type is not None and tariff_type not in TARIFF_TYPES:
        raise TariffError("type", f"must be one of {', '.join(TARIFF_TYPES)}")
    min_price = _price(data.get("min_price"), "min_price")
    max_price = _price(data.get("max_price"), "max_price")
    if min_price and max_price and min_price.excl_vat > max_price.excl_vat:
        raise TariffError("min_price.excl_vat", "must not exceed max_price.excl_vat")
    start = _optional_date_time(data, "start_date_time")
    end = _optional_date_time(data, "end_date_time")
    if start and end and end <= start:
        raise TariffError("end_date_time", "must be later than start_date_time")
    return Tariff(
        currency=currency,
        elements=tuple(_element(e, f"elements[{i}]") for i, e in enumerate(elements)),
        country_code=_optional_str(data, "country_code"),
        party_id=_optional_str(data, "party_id"),
        id=_optional_str(data, "id"),
        type=tariff_type,
        tariff_alt_text=_display_texts(data.get("tariff_alt_text")),
        tariff_alt_url=_optional_str(data, "tariff_alt_url"),
        min_price=min_price,
        max_price=max_price,
        start_date_time=start,
        end_date_time=end,
        last_updated=_optional_date_time(data, "last_updated"),
    )


def _element(data: Any, path: str) -> TariffElement:
    if not isinstance(data, Mapping):
        raise TariffError(path, "must be a TariffElement object")
    components = data.get("price_components")
    if not isinstance(components, list) or not components:
        raise TariffError(f"{path}.price_components", "must be a non-empty list")
    restrictions = data.get("restrictions")
    parsed = None if restrictions is None else _restrictions(restrictions, f"{path}.restrictions")
    parsed_components = tuple(
        _component(c, f"{path}.price_components[{i}]") for i, c in enumerate(components)
    )
    if parsed is not None and parsed.reservation is not None:
        for i, component in enumerate(parsed_components):
            if component.type not in (FLAT, TIME):
                raise TariffError(
                    f"{path}.price_components[{i}].type",
                    "a reservation element can only price FLAT and TIME",
                )
    return TariffElement(price_components=parsed_components, restrictions=parsed)


def _component(data: Any, path: str) -> PriceComponent:
    if not isinstance(data, Mapping):
        raise TariffError(path, "must be a PriceComponent object")
    kind = data.get("type")
    if kind not in TARIFF_DIMENSIONS:
        raise TariffError(f"{path}.type", f"{kind!r} is not one of {', '.join(TARIFF_DIMENSIONS)}")
    if "price" not in data:
        raise TariffError(f"{path}.price", "is required")
    price = _non_negative(data["price"], f"{path}.price")
    vat = data.get("vat")
    parsed_vat = None if vat is None else _non_negative(vat, f"{path}.vat")
    if parsed_vat is not None and parsed_vat > 100:
        raise TariffError(f"{path}.vat", "is a percentage and must be <= 100")
    if "step_size" not in data:
        raise TariffError(f"{path}.step_size", "is required")
    step_size = _whole(data["step_size"], f"{path}.step_size")
    return PriceComponent(type=kind, price=price, vat=parsed_vat, step_size=step_size)


def _restrictions(data: Any, path: str) -> TariffRestrictions:
    if not isinstance(data, Mapping):
        raise TariffError(path, "must be a TariffRestrictions object")
    values: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        if data.get(name) is not None:
            values[name] = _pattern(data[name], f"{path}.{name}", _TIME, "HH:MM (24 h), e.g. 13:30")
    for name in ("start_date", "end_date"):
        if data.get(name) is not None:
            text = _pattern(data[name], f"{path}.{name}", _DATE, "YYYY-MM-DD")
            try:
                date.fromisoformat(text)
            except ValueError as exc:
                raise TariffError(f"{path}.{name}", f"{text!r} is not a calendar date") from exc
            values[name] = text
    for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
        if data.get(name) is not None:
            values[name] = _non_negative(data[name], f"{path}.{name}")
    for name in ("min_duration", "max_duration"):
        if data.get(name) is not None:
            values[name] = _whole(data[name], f"{path}.{name}")
    days = data.get("day_of_week")
    if days is not None:
        if not isinstance(days, list):
            raise TariffError(f"{path}.day_of_week", "must be a list of DayOfWeek values")
        for i, day in enumerate(days):
            if day not in DAYS_OF_WEEK:
                raise TariffError(f"{path}.day_of_week[{i}]", f"{day!r} is not a DayOfWeek")
        values["day_of_week"] = tuple(days)
    reservation = data.get("reservation")
    if reservation is not None:
        if reservation not in RESERVATION_RESTRICTIONS:
            raise TariffError(
                f"{path}.reservation", f"must be one of {', '.join(RESERVATION_RESTRICTIONS)}"
            )
        values["reservation"] = reservation
    if values.get("start_date") and values.get("end_date", "9") <= values["start_date"]:
        raise TariffError(f"{path}.end_date", "must be later than start_date (it is exclusive)")
    return TariffRestrictions(**values)


def _price(data: Any, path: str) -> Price | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or "excl_vat" not in data:
        raise TariffError(path, "must be a Price object with excl_vat")
    excl = _non_negative(data["excl_vat"], f"{path}.excl_vat")
    incl = data.get("incl_vat")
    return Price(excl, None if incl is None else _non_negative(incl, f"{path}.incl_vat"))


def _non_negative(value: Any, path: str) -> Decimal:
    number = parse_number(value, path)
    if number < 0:
        raise TariffError(path, "must be >= 0")
    return number


def _whole(value: Any, path: str) -> int:
    number = _non_negative(value, path)
    if number != number.to_integral_value():
        raise TariffError(path, "must be a whole number")
    return int(number)


def _pattern(value: Any, path: str, pattern: re.Pattern[str], shape: str) -> str:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise TariffError(path, f"{value!r} is not in the format {shape}")
    return value


def _optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise TariffError(name, "must be a string")
    return value


def _optional_date_time(data: Mapping[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    return None if value is None else parse_date_time(value, name)


def _display_texts(data: Any) -> tuple[DisplayText, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise TariffError("tariff_alt_text", "must be a list of DisplayText objects")
    texts = []
    for i, item in enumerate(data):
        if not (
            isinstance(item, Mapping)
            and isinstance(item.get("language"), str)
            and isinstance(item.get("text"), str)
        ):
            raise TariffError(f"tariff_alt_text[{i}]", "must have a language and a text")
        texts.append(DisplayText(language=item["language"], text=item["text"]))
    return tuple(texts)
