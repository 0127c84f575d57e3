"""From a session's priced lines to its PriceBreakdown: step_size, costs, totals, bounds."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from operator import itemgetter
from typing import Any

from .breakdown import PriceBreakdown
from .compiled import CATEGORIES, FIXED, RESERVED
from .localtime import HOUR
from .model import ENERGY, PARKING_TIME, TIME, Price, Tariff, price_make
from .money import denoise

ZERO = Decimal(0)
_HOUR = Decimal(HOUR)
_SECONDS_PER_HOUR = Decimal(3600)
_WH_PER_KWH = Decimal(1000)
_START_OF_LINE = itemgetter(4)
_NOTHING = Price(ZERO, ZERO)  # a category without lines
_FIXED, _ENERGY, _TIME, _PARKING, _RESERVED = (
    CATEGORIES.index(c) for c in (FIXED, ENERGY, TIME, PARKING_TIME, RESERVED)
)


def breakdown_build(
    tariff: Tariff,
    lines: list[list[Any]],
    *,
    start: int,
    end: int,
    total_energy: Decimal,
    total_parking_time: Decimal,
    notes: list[str],
) -> PriceBreakdown:
    """The exact breakdown of a session's lines ([dimension, component, reservation,
    period_index, start, end, quantity]): step_size, costs, totals, min/max price."""
    # Chronological (stable: a FLAT line comes first at its instant): step_size looks at
    # the last line.
    lines.sort(key=_START_OF_LINE)
    billed = _billed_quantities(lines)
    # Per category (CATEGORIES order): excl. and incl. VAT totals, summed in line order.
    excl_totals = [ZERO, ZERO, ZERO, ZERO, ZERO]
    incl_totals = [ZERO, ZERO, ZERO, ZERO, ZERO]
    rows = []
    for line, quantity in zip(lines, billed, strict=True):
        component = line[1]
        excl = quantity * component.price
        factor = component.incl_factor
        incl = excl if factor is None else excl * factor
        category = component.category_index
        excl_totals[category] += excl
        incl_totals[category] += incl
        rows.append((line, quantity, excl, incl))
    excl = sum(excl_totals, ZERO)
    incl = sum(incl_totals, ZERO)
    minimum = maximum = None
    if tariff.min_price is not None:
        excl, incl, minimum = _bound(excl, incl, tariff.min_price, max)
    if tariff.max_price is not None:
        excl, incl, maximum = _bound(excl, incl, tariff.max_price, min)
    return PriceBreakdown._from_fields(
        {
            "currency": tariff.currency,
            "total_cost": price_make(excl, incl),
            "total_fixed_cost": _price(excl_totals[_FIXED], incl_totals[_FIXED]),
            "total_energy": total_energy,
            "total_energy_cost": _price(excl_totals[_ENERGY], incl_totals[_ENERGY]),
            "total_time": Decimal(end - start) / _HOUR,
            "total_time_cost": _price(excl_totals[_TIME], incl_totals[_TIME]),
            "total_parking_time": total_parking_time,
            "total_parking_cost": _price(excl_totals[_PARKING], incl_totals[_PARKING]),
            "total_reservation_cost": _price(excl_totals[_RESERVED], incl_totals[_RESERVED]),
            "line_rows": tuple(rows),
            "min_price_adjustment": minimum,
            "max_price_adjustment": maximum,
            "notes": tuple(notes),
            "is_rounded": False,
        }
    )


def _price(excl: Decimal, incl: Decimal) -> Price:
    return _NOTHING if excl is ZERO and incl is ZERO else price_make(excl, incl)


def _billed_quantities(lines: list[list[Any]]) -> list[Decimal]:
    """Each line's quantity as billed: negative (energy fed back) as zero, and step_size once
    per group: ENERGY; TIME and PARKING_TIME; reservation TIME. The group's
    last billable line decides: its dimension's session total is rounded up with its
    component's step, and the difference is added to it (so with parking last, parking is
    rounded and charging time is not)."""
    billed = []
    totals: dict[str, Decimal] = {}  # per category: ENERGY, TIME, PARKING_TIME, RESERVED
    last: dict[str, int] = {}  # per step group
    for position, line in enumerate(lines):
        quantity = line[6]
        if quantity > ZERO:
            billed.append(quantity)
            component = line[1]
            if component.step_group is not None:  # not FLAT
                category = component.category
                totals[category] = totals.get(category, ZERO) + quantity
                last[component.step_group] = position
        else:
            billed.append(ZERO)
    for position in last.values():
        component = lines[position][1]
        total = totals[component.category]
        unit = _WH_PER_KWH if component.dimension == ENERGY else _SECONDS_PER_HOUR
        step = component.step_size
        steps = denoise(total * unit / step).to_integral_value(ROUND_CEILING)
        billed[position] += steps * step / unit - total
    return billed


def _bound(excl: Decimal, incl: Decimal, bound: Price, pick) -> tuple[Decimal, Decimal, Any]:
    """Apply min_price (pick=max) or max_price (pick=min) to excl. and incl. VAT separately.
    Without an incl_vat bound, the incl. VAT total moves in proportion to the excl. total."""
    new_excl = pick(excl, bound.excl_vat)
    if bound.incl_vat is not None:
        new_incl = pick(incl, bound.incl_vat)
    elif new_excl == excl:
        new_incl = incl
    else:
        new_incl = incl * new_excl / excl if excl else new_excl
    if new_excl == excl and new_incl == incl:
        return excl, incl, None
    return new_excl, new_incl, Price(new_excl - excl, new_incl - incl)
