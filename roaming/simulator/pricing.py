"""How the simulated CPO prices a session: one call, `session_cost()`, on the project's pricing
engine (tariffs.pricing, pure Python), so the CDRs it sends are priced by the OCPI rules our
billing reads them with (restrictions in the location's time zone, step_size, min/max price).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from roaming.ocpi.types import format_datetime
from tariffs.pricing import COST_FIELDS, PriceBreakdown, Tariff, cdr_price, tariff_parse


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


_PARSED: dict[tuple[str, str, str], Tariff] = {}


def _tariff(tariff: dict[str, Any]) -> Tariff:
    """The parsed tariff, parsed once per version (a tariff's content changes only with its
    last_updated)."""
    key = (tariff["currency"], tariff["id"], tariff["last_updated"])
    if key not in _PARSED:
        _PARSED[key] = tariff_parse(tariff)
    return _PARSED[key]


def session_cost(
    *,
    tariff: dict[str, Any] | None,
    periods: list[dict[str, Any]],
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
) -> dict[str, Any]:
    """The CDR's cost fields (total_cost and the per-dimension totals), rounded as our billing
    rounds (half-up to the currency's minor unit)."""
    if tariff is None:
        return {"total_cost": {"excl_vat": 0, "incl_vat": 0}}
    session = {
        "start_date_time": format_datetime(start),
        "end_date_time": format_datetime(end),
        "charging_periods": periods,
        "currency": tariff["currency"],
    }
    breakdown: PriceBreakdown = cdr_price(_tariff(tariff), session, time_zone=time_zone).rounded()
    costs = {}
    for name in COST_FIELDS:
        price = getattr(breakdown, name)
        if price is None or (name != "total_cost" and not price.excl_vat):
            continue
        incl = price.excl_vat if price.incl_vat is None else price.incl_vat
        costs[name] = {"excl_vat": _number(price.excl_vat), "incl_vat": _number(incl)}
    return costs
