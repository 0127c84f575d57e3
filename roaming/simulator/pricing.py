"""How the simulated CPO prices a session: one call, `session_cost()`.

Interim: until the project's pricing engine (`tariffs.pricing`) is on main, this applies per
dimension the first price component whose element has no restrictions (FLAT once, ENERGY per
kWh, TIME per charging hour, PARKING_TIME per parking hour, each with its step_size and VAT),
then the tariff's min_price and max_price. When `tariffs.pricing` lands, only this module's
body changes.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
DIMENSION_TOTALS = {
    "FLAT": "total_fixed_cost",
    "ENERGY": "total_energy_cost",
    "TIME": "total_time_cost",
    "PARKING_TIME": "total_parking_cost",
}


def _components(tariff: dict[str, Any]) -> dict[str, dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for element in tariff.get("elements", []):
        if element.get("restrictions"):
            continue
        for component in element.get("price_components", []):
            chosen.setdefault(component["type"], component)
    return chosen


def _volumes(periods: list[dict[str, Any]]) -> dict[str, Decimal]:
    totals = {"ENERGY": Decimal(0), "TIME": Decimal(0), "PARKING_TIME": Decimal(0)}
    for period in periods:
        for dimension in period.get("dimensions", []):
            if dimension["type"] in totals:
                totals[dimension["type"]] += Decimal(str(dimension["volume"]))
    return totals


def _stepped(volume: Decimal, dimension: str, step_size: int) -> Decimal:
    step = max(int(step_size or 1), 1)
    if dimension == "ENERGY":  # step_size in Wh
        return Decimal(math.ceil(volume * 1000 / step) * step) / 1000
    return Decimal(math.ceil(volume * 3600 / step) * step) / 3600  # seconds


def _price(excl: Decimal, incl: Decimal) -> dict[str, float]:
    return {
        "excl_vat": float(excl.quantize(CENT, ROUND_HALF_UP)),
        "incl_vat": float(incl.quantize(CENT, ROUND_HALF_UP)),
    }


def session_cost(*, tariff: dict[str, Any] | None, periods: list[dict[str, Any]]) -> dict:
    """The CDR's cost fields (total_cost and the per-dimension totals) for these periods."""
    if tariff is None:
        zero = _price(Decimal(0), Decimal(0))
        return {"total_cost": zero}
    components = _components(tariff)
    volumes = _volumes(periods)
    result: dict[str, dict[str, float]] = {}
    total_excl = total_incl = Decimal(0)
    for dimension, field in DIMENSION_TOTALS.items():
        component = components.get(dimension)
        if component is None:
            continue
        if dimension == "FLAT":
            quantity = Decimal(1)
        else:
            quantity = _stepped(volumes[dimension], dimension, component.get("step_size", 1))
        excl = Decimal(str(component["price"])) * quantity
        incl = excl * (1 + Decimal(str(component.get("vat") or 0)) / 100)
        result[field] = _price(excl, incl)
        total_excl += excl
        total_incl += incl
    for bound, keep in (("min_price", max), ("max_price", min)):
        if tariff.get(bound):
            total_excl = keep(total_excl, Decimal(str(tariff[bound]["excl_vat"])))
            total_incl = keep(total_incl, Decimal(str(tariff[bound]["incl_vat"])))
    result["total_cost"] = _price(total_excl, total_incl)
    return result
