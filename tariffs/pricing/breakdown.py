"""What the engine returns: costs that mirror the CDR's cost fields, and one line per period and
dimension so a driver or staff member can see why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from .errors import SessionError
from .localtime import from_micros
from .model import ENERGY, FLAT, Price, price_make, to_json_value
from .money import cost_rounder
from .parse import parse_number

# A PriceLine before it is built: (engine line, billed_quantity, excl_vat, incl_vat), the engine
# line being [dimension, component, reservation, period_index, start, end, quantity].
LineRow = tuple
# The CDR's cost fields (OCPI Price), in the CDR's order.
COST_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)

UNITS = {ENERGY: "kWh", FLAT: "session"}  # TIME and PARKING_TIME: "h"


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One dimension in one (part of a) charging period, priced by one PriceComponent.

    `quantity` is what was measured (kWh or hours; 1 for FLAT); `billed_quantity` adds what
    step_size rounded up (only ever on the last line of its group). `unit_price` is the
    component's price excl. VAT per unit; `vat` its percentage, None when no VAT applies.
    `reservation` marks reservation costs. `period_index` is None for FLAT lines.
    """

    dimension: str
    reservation: bool
    period_index: int | None
    start_micros: int
    end_micros: int
    quantity: Decimal
    billed_quantity: Decimal
    unit_price: Decimal
    vat: Decimal | None
    cost: Price
    element_index: int
    component_index: int

    @property
    def unit(self) -> str:
        return UNITS.get(self.dimension, "h")

    @property
    def start_date_time(self) -> datetime:
        return from_micros(self.start_micros)

    @property
    def end_date_time(self) -> datetime:
        return from_micros(self.end_micros)


@dataclass(frozen=True)
class PriceBreakdown:
    """A session's cost, named as in the OCPI CDR; every Price has excl_vat and incl_vat
    (incl_vat equals excl_vat where no VAT applies).

    The engine returns exact figures (`is_rounded` False); `rounded()` applies the one rounding
    rule to every cost. `total_cost` includes `min_price_adjustment`/`max_price_adjustment`
    (positive or negative Price, None when the tariff's min/max price did not apply); the
    per-dimension totals do not. `notes` explain interpretations applied to this session.
    `lines` (PriceLine objects, in time order) are built on first access from `line_rows`.
    """

    currency: str
    total_cost: Price
    total_fixed_cost: Price
    total_energy: Decimal
    total_energy_cost: Price
    total_time: Decimal
    total_time_cost: Price
    total_parking_time: Decimal
    total_parking_cost: Price
    total_reservation_cost: Price
    line_rows: tuple[LineRow, ...] = field(default=(), repr=False)
    min_price_adjustment: Price | None = None
    max_price_adjustment: Price | None = None
    notes: tuple[str, ...] = ()
    is_rounded: bool = False

    @classmethod
    def _from_fields(cls, values: dict[str, Any]) -> PriceBreakdown:
        """Build from a dict of every field's value (which it keeps as the instance's
        __dict__), without the frozen dataclass's per-field object.__setattr__ calls (the
        engine builds two per CDR). Still frozen afterwards."""
        made = object.__new__(cls)
        object.__setattr__(made, "__dict__", values)
        return made

    @cached_property
    def lines(self) -> tuple[PriceLine, ...]:
        rounding = _rounding(self.currency) if self.is_rounded else None
        lines = []
        for line, billed, excl, incl in self.line_rows:
            dimension, component, reservation, index, start, end, quantity = line
            if rounding is not None:
                excl, incl = rounding(excl), rounding(incl)
            lines.append(
                _line_make(
                    dimension,
                    reservation,
                    index,
                    start,
                    end,
                    quantity,
                    billed,
                    component.price,
                    component.vat,
                    price_make(excl, incl),
                    component.element_index,
                    component.component_index,
                )
            )
        return tuple(lines)

    def rounded(self) -> PriceBreakdown:
        """Every cost rounded half-up to the currency's minor unit (`cost_round`), each from its
        exact figure (so rounded lines need not add up to the rounded total to the last unit)."""
        if self.is_rounded:
            return self
        price = _price_rounder(self.currency)
        minimum, maximum = self.min_price_adjustment, self.max_price_adjustment
        return PriceBreakdown._from_fields(
            {
                "currency": self.currency,
                "total_cost": price(self.total_cost),
                "total_fixed_cost": price(self.total_fixed_cost),
                "total_energy": self.total_energy,
                "total_energy_cost": price(self.total_energy_cost),
                "total_time": self.total_time,
                "total_time_cost": price(self.total_time_cost),
                "total_parking_time": self.total_parking_time,
                "total_parking_cost": price(self.total_parking_cost),
                "total_reservation_cost": price(self.total_reservation_cost),
                "line_rows": self.line_rows,
                "min_price_adjustment": None if minimum is None else price(minimum),
                "max_price_adjustment": None if maximum is None else price(maximum),
                "notes": self.notes,
                "is_rounded": True,
            }
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: OCPI CDR field names, amounts and quantities as strings."""
        data: dict[str, Any] = {"currency": self.currency}
        for name in (*COST_FIELDS, "min_price_adjustment", "max_price_adjustment"):
            value = getattr(self, name)
            if value is not None:
                data[name] = price_json(value)
        for name in ("total_energy", "total_time", "total_parking_time"):
            data[name] = quantity_text(getattr(self, name))
        data["lines"] = [_line_json(line) for line in self.lines]
        data["notes"] = list(self.notes)
        return data


_LINE_SETTERS = tuple(PriceLine.__dict__[f.name].__set__ for f in fields(PriceLine))


def _line_make(*values: Any) -> PriceLine:
    """PriceLine(*values), without the frozen dataclass's checked __init__ (`lines` makes one
    per line of every CDR billed)."""
    line = object.__new__(PriceLine)
    for setter, value in zip(_LINE_SETTERS, values, strict=True):
        setter(line, value)
    return line


def price_json(price: Price) -> dict[str, str]:
    return {
        "excl_vat": str(price.excl_vat),
        "incl_vat": str(price.excl_vat if price.incl_vat is None else price.incl_vat),
    }


def quantity_text(value: Decimal) -> str:
    """A quantity for people: at most 6 decimals, no trailing zeros, never exponent notation."""
    text = f"{value.quantize(Decimal('0.000001')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _line_json(line: PriceLine) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dimension": line.dimension,
        "reservation": line.reservation,
        "period_index": line.period_index,
        "start_date_time": to_json_value(line.start_date_time),
        "end_date_time": to_json_value(line.end_date_time),
        "quantity": quantity_text(line.quantity),
        "billed_quantity": quantity_text(line.billed_quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "vat": None if line.vat is None else str(line.vat),
        "cost": price_json(line.cost),
        "element_index": line.element_index,
    }
    return data


def _rounding(currency: str) -> Callable[[Decimal], Decimal]:
    return cost_rounder(currency)


@lru_cache(maxsize=256)
def _price_rounder(currency: str) -> Callable[[Price | None], Price | None]:
    """`cost_round` applied to both figures of a Price (a zero Price is one shared object)."""
    rounding = cost_rounder(currency)
    zero = rounding(Decimal(1)) * 0
    nothing = Price(zero, zero)

    def price(value: Price | None) -> Price | None:
        if value is None:
            return None
        excl, incl = value.excl_vat, value.incl_vat
        if not excl and not incl:
            return nothing if incl is not None else Price(zero, None)
        return price_make(rounding(excl), None if incl is None else rounding(incl))

    return price


def cost_comparison(breakdown: PriceBreakdown, cdr: Mapping[str, Any]) -> dict[str, Any]:
    """Our rounded figures beside the CPO's for each cost field the CDR carries:
    {field: {"ours": Price, "cpo": Price, "difference": Price (ours - cpo)}}. A CPO figure
    that is not an OCPI Price raises SessionError naming the field."""
    ours = breakdown.rounded()
    result: dict[str, Any] = {}
    for name in COST_FIELDS:
        value = cdr.get(name)
        if value is None:
            continue
        if not isinstance(value, Mapping) or "excl_vat" not in value:
            raise SessionError(name, "must be a Price object with excl_vat")
        excl = parse_number(value["excl_vat"], f"{name}.excl_vat", SessionError)
        incl = value.get("incl_vat")
        theirs = Price(
            excl, None if incl is None else parse_number(incl, f"{name}.incl_vat", SessionError)
        )
        mine = getattr(ours, name)
        result[name] = {
            "ours": mine,
            "cpo": theirs,
            "difference": Price(
                mine.excl_vat - theirs.excl_vat,
                None if theirs.incl_vat is None else mine.incl_vat - theirs.incl_vat,
            ),
        }
    return result
