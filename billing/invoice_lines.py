"""From the pricing engine's exact breakdown to invoice lines. Pure Python (no Django).

The VAT policy, per line: one line per cost component and VAT rate; its amount excl. VAT is the
exact sum of the engine's lines, rounded once; its VAT is computed on that rounded amount and
rounded once; incl. VAT is their sum. Totals are sums of the lines. The one rounding rule is
`tariffs.pricing.cost_round` (half-up to the currency's ISO 4217 exponent).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tariffs.pricing import PriceBreakdown, cost_round

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# engine dimension -> invoice component (reservation lines are one component of their own)
COMPONENTS = {"ENERGY": "energy", "TIME": "time", "PARKING_TIME": "parking", "FLAT": "fixed"}
ORDER = ("fixed", "reservation", "energy", "time", "parking", "min_price", "max_price")
UNITS = {"energy": "kWh", "time": "h", "parking": "h", "fixed": "session", "reservation": "h"}


@dataclass(frozen=True)
class LineData:
    component: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    vat_rate: Decimal | None
    amount_excl_vat: Decimal
    vat_amount: Decimal
    amount_incl_vat: Decimal


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


def invoice_lines(breakdown: PriceBreakdown) -> tuple[list[LineData], Totals]:
    """Invoice lines and totals for an exact breakdown (rounded here, once per line)."""
    currency = breakdown.currency
    groups: dict[tuple[str, str, Decimal | None], list] = {}
    for line in breakdown.lines:
        component = "reservation" if line.reservation else COMPONENTS[line.dimension]
        unit = "session" if line.dimension == "FLAT" else UNITS[component]
        group = groups.setdefault((component, unit, line.vat), [ZERO, ZERO, set()])
        group[0] += line.cost.excl_vat
        group[1] += line.billed_quantity
        group[2].add(line.unit_price)
    lines = [
        _line(component, quantity, unit, _one(prices), vat, excl, currency)
        for (component, unit, vat), (excl, quantity, prices) in groups.items()
    ]
    rates = {line.vat_rate for line in lines}
    for name, adjustment in (
        ("min_price", breakdown.min_price_adjustment),
        ("max_price", breakdown.max_price_adjustment),
    ):
        if adjustment is not None and adjustment.excl_vat:
            rate = next(iter(rates)) if len(rates) == 1 else _implied_rate(adjustment)
            lines.append(
                _line(name, Decimal(1), "session", None, rate, adjustment.excl_vat, currency)
            )
    lines.sort(key=lambda line: (ORDER.index(line.component), line.vat_rate or ZERO))
    lines = [line for line in lines if line.amount_excl_vat or line.quantity]
    return lines, _totals(lines, currency)


def _line(
    component: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal | None,
    vat: Decimal | None,
    exact_excl: Decimal,
    currency: str,
) -> LineData:
    excl = cost_round(exact_excl, currency)
    vat_amount = cost_round(excl * vat / HUNDRED, currency) if vat else excl * 0
    return LineData(
        component=component,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        vat_rate=vat,
        amount_excl_vat=excl,
        vat_amount=vat_amount,
        amount_incl_vat=excl + vat_amount,
    )


def _one(prices: set[Decimal]) -> Decimal | None:
    """The unit price when the line has one (a line may join periods of different prices)."""
    return next(iter(prices)) if len(prices) == 1 else None


def _implied_rate(adjustment) -> Decimal | None:
    if adjustment.incl_vat is None or not adjustment.excl_vat:
        return None
    rate = (adjustment.incl_vat / adjustment.excl_vat - 1) * HUNDRED
    return rate.quantize(Decimal("0.01"))


def _totals(lines: list[LineData], currency: str) -> Totals:
    zero = cost_round(ZERO, currency)
    excl = sum((line.amount_excl_vat for line in lines), zero)
    vat = sum((line.vat_amount for line in lines), zero)
    return Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat)
