"""What driver price plans build on: a CPO tariff passed through with our markup, and a price
preview of a planned charge."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from .breakdown import PriceBreakdown
from .engine import ChargingPeriod, session_price
from .errors import SessionError, TariffError
from .model import ENERGY, FLAT, Price, PriceComponent, Tariff, TariffElement
from .parse import parse_number

_HUNDRED = Decimal(100)
_SIXTY = Decimal(60)
_HOURS_IN_A_YEAR = Decimal(366 * 24)


def tariff_with_markup(
    tariff: Tariff,
    *,
    percent: Decimal = Decimal(0),
    per_kwh: Decimal = Decimal(0),
    per_session: Decimal = Decimal(0),
    vat: Decimal | None = None,
) -> Tariff:
    """The tariff a driver pays when `tariff` is passed through with a markup.

    Every price (and min_price/max_price) is multiplied by (1 + percent/100); `per_kwh` is added
    to every ENERGY component and `per_session` to every FLAT one (reservation elements aside),
    so the markup shows in the unit prices. Where no unrestricted element prices ENERGY (or
    FLAT), a final unrestricted element carries the markup alone, so it applies at all times;
    its VAT is `vat`, else that of the tariff's first component of the dimension, else of its
    first component. min_price and max_price also grow by `per_session`; max_price still caps
    the whole cost (the per-kWh markup included). A negative percent is a discount (> -100).
    """
    percent = parse_number(percent, "percent")
    per_kwh = _non_negative(per_kwh, "per_kwh")
    per_session = _non_negative(per_session, "per_session")
    if percent <= -_HUNDRED:
        raise TariffError("percent", "must be greater than -100")
    if vat is not None:
        vat = _non_negative(vat, "vat")
    factor = 1 + percent / _HUNDRED
    extra = {ENERGY: per_kwh, FLAT: per_session}
    elements = []
    covered = {ENERGY: False, FLAT: False}
    for element in tariff.elements:
        restrictions = element.restrictions
        is_reservation = restrictions is not None and restrictions.reservation is not None
        unrestricted = restrictions is None or restrictions.is_empty
        components = []
        for component in element.price_components:
            price = component.price * factor
            if not is_reservation and component.type in extra:
                price += extra[component.type]
                covered[component.type] |= unrestricted
            components.append(replace(component, price=price))
        elements.append(replace(element, price_components=tuple(components)))
    fallback = tuple(
        PriceComponent(
            type=dimension,
            price=extra[dimension],
            step_size=1,
            vat=vat if vat is not None else _vat_of(tariff, dimension),
        )
        for dimension in (FLAT, ENERGY)
        if extra[dimension] and not covered[dimension]
    )
    if fallback:
        elements.append(TariffElement(price_components=fallback))
    return replace(
        tariff,
        elements=tuple(elements),
        min_price=_scaled(tariff.min_price, factor, per_session, tariff, vat),
        max_price=_scaled(tariff.max_price, factor, per_session, tariff, vat),
    )


def tariff_preview(
    tariff: Tariff,
    *,
    start_date_time: datetime,
    energy_kwh: Decimal,
    power_kw: Decimal,
    time_zone: str,
    parking_minutes: Decimal = Decimal(0),
    reservation_minutes: Decimal = Decimal(0),
    current_a: Decimal | None = None,
) -> PriceBreakdown:
    """Price a planned charge: optional reservation time, then `energy_kwh` at a steady
    `power_kw` (and `current_a`, when the tariff has current restrictions), then
    `parking_minutes` plugged in without charging. Exact figures; `.rounded()` for display."""
    energy = _non_negative(energy_kwh, "energy_kwh", SessionError)
    power = _non_negative(power_kw, "power_kw", SessionError)
    parking = _non_negative(parking_minutes, "parking_minutes", SessionError)
    reservation = _non_negative(reservation_minutes, "reservation_minutes", SessionError)
    current = None if current_a is None else _non_negative(current_a, "current_a", SessionError)
    if not power:
        raise SessionError("power_kw", "must be > 0")
    if energy / power + (parking + reservation) / _SIXTY > _HOURS_IN_A_YEAR:
        raise SessionError("energy_kwh", "this charge would last more than a year")
    periods = []
    moment = start_date_time
    if reservation:
        periods.append(ChargingPeriod(moment, reservation_time=reservation / _SIXTY))
        moment += timedelta(microseconds=int(reservation * 60_000_000))
    hours = energy / power
    periods.append(
        ChargingPeriod(
            moment,
            energy=energy,
            time=hours,
            min_power=power,
            max_power=power,
            min_current=current,
            max_current=current,
        )
    )
    moment += timedelta(microseconds=int(hours * 3_600_000_000))
    if parking:
        periods.append(ChargingPeriod(moment, parking_time=parking / _SIXTY))
        moment += timedelta(microseconds=int(parking * 60_000_000))
    return session_price(
        tariff,
        charging_periods=periods,
        start_date_time=start_date_time,
        end_date_time=moment,
        time_zone=time_zone,
    )


def _non_negative(value, path, error=TariffError) -> Decimal:
    number = parse_number(value, path, error)
    if number < 0:
        raise error(path, "must be >= 0")
    return number


def _vat_of(tariff: Tariff, dimension: str) -> Decimal | None:
    components = [c for e in tariff.elements for c in e.price_components]
    for component in components:
        if component.type == dimension:
            return component.vat
    return components[0].vat


def _scaled(
    price: Price | None, factor: Decimal, per_session: Decimal, tariff: Tariff, vat
) -> Price | None:
    if price is None:
        return None
    flat_vat = vat if vat is not None else _vat_of(tariff, FLAT)
    incl_extra = per_session if flat_vat is None else per_session * (1 + flat_vat / _HUNDRED)
    incl = None if price.incl_vat is None else price.incl_vat * factor + incl_extra
    return Price(price.excl_vat * factor + per_session, incl)
