"""Money at the Stripe boundary: Decimal amounts in, integer minor units out, and back.

Pure Python (no Django). Stripe's own exponent table is kept here rather than taken from babel:
babel's precision for some currencies (ISK) differs from what Stripe's API expects. Nothing is
rounded here: amounts arrive rounded by the one rule (tariffs.pricing.cost_round); one that
Stripe cannot represent is refused (MoneyError), or cut down explicitly by `stripe_chargeable`.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

# Stripe's zero-decimal currencies: the amount is sent as is.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
# Three-decimal currencies: sent in thousandths, and Stripe requires the last digit to be 0.
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
# Sent in two-decimal form but only whole units may be charged (a multiple of 100).
WHOLE_UNITS_IN_TWO_DECIMAL_FORM = frozenset({"ISK"})


class MoneyError(ValueError):
    """An amount that cannot be sent to Stripe exactly (bad currency, too precise, negative)."""


@dataclass(frozen=True)
class CurrencyRule:
    """How Stripe writes amounts of one currency.

    `exponent`: the power of ten between the amount and Stripe's integer.
    `precision`: how many decimal places an amount may have to be charged exactly.
    """

    exponent: int
    precision: int


def currency_rule(currency: str) -> CurrencyRule:
    code = currency_normalize(currency)
    if code in ZERO_DECIMAL:
        return CurrencyRule(exponent=0, precision=0)
    if code in THREE_DECIMAL:
        return CurrencyRule(exponent=3, precision=2)
    if code in WHOLE_UNITS_IN_TWO_DECIMAL_FORM:
        return CurrencyRule(exponent=2, precision=0)
    return CurrencyRule(exponent=2, precision=2)


def currency_normalize(currency: str) -> str:
    """The upper-case ISO 4217 code; refuses anything that is not three letters."""
    if not isinstance(currency, str):
        raise MoneyError("The currency must be an ISO 4217 code.")
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code.")
    return code


def is_chargeable(amount: Decimal, currency: str) -> bool:
    """Whether Stripe can take `amount` exactly. Rounding is not done here: amounts are rounded
    once, by tariffs.pricing.cost_round (ISO 4217 exponent). Where Stripe is coarser than ISO
    4217 (KWD, BHD, JOD, OMR, TND: three decimals on invoices, the last digit 0 at Stripe; ISK:
    no decimals in either, sent to Stripe in two-decimal form as a multiple of 100), an invoice
    total may not be chargeable as it stands: see `stripe_chargeable`."""
    value = _decimal(amount)
    places = currency_rule(currency).precision
    return value == value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def stripe_chargeable(amount: Decimal, currency: str) -> Decimal:
    """The largest amount Stripe can charge that is not above `amount` (1.235 KWD -> 1.23):
    the rest is below the smallest unit Stripe takes and is waived, never charged up."""
    value = _decimal(amount)
    if value < 0:
        raise MoneyError("Amounts sent to Stripe cannot be negative.")
    places = currency_rule(currency).precision
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer for `amount`. Refuses amounts that would need rounding: round first."""
    value = _decimal(amount)
    rule = currency_rule(currency)
    if value < 0:
        raise MoneyError("Amounts sent to Stripe cannot be negative.")
    if not is_chargeable(value, currency):
        raise MoneyError(
            f"{value} {currency_normalize(currency)} has more than {rule.precision} decimal places."
        )
    return int(value.scaleb(rule.exponent))


def from_minor_units(minor: int, currency: str) -> Decimal:
    """The Decimal amount of Stripe's integer, with the currency's own number of places."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise MoneyError("Stripe amounts are integers.")
    rule = currency_rule(currency)
    value = Decimal(minor).scaleb(-rule.exponent)
    exact = value.quantize(Decimal(1).scaleb(-rule.precision), rounding=ROUND_HALF_UP)
    return exact if exact == value else value


def _decimal(amount: Decimal) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise MoneyError("Amounts are Decimal, never float.")
    value = Decimal(amount)
    if not value.is_finite():
        raise MoneyError("Amounts must be finite.")
    return value
