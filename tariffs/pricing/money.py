"""Currencies and the engine's one rounding rule.

OCPI leaves rounding to the parties. Ours: costs are computed exactly (Decimal, no rounding
anywhere in the engine) and rounded once, half-up, to the currency's ISO 4217 exponent, by
`cost_round`. The exponent table is ours, taken from the ISO 4217 list of active codes.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
    "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU "
    "UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCY_EXPONENTS: dict[str, int] = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}

_NOISE = Decimal("1e-18")
_WIDE = Context(prec=60)
_QUANTUM_OF = {code: Decimal(1).scaleb(-exponent) for code, exponent in CURRENCY_EXPONENTS.items()}


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point of an ISO 4217 currency (EUR 2, JPY 0, KWD 3).

    Raises KeyError for a code that is not an active ISO 4217 currency.
    """
    return CURRENCY_EXPONENTS[currency]


def cost_round(amount: Decimal, currency: str) -> Decimal:
    """THE rounding rule: half-up to the currency's minor unit (0.125 EUR -> 0.13, 2.5 JPY -> 3).

    The exact figure is first rid of the noise that 28-digit division leaves in its last digits
    (5 min at 3.18/h is 0.265, not 0.2649999...9), by rounding it to 18 decimal places: a true
    amount with a repeating expansion is never that close to a half minor unit.
    """
    return _ROUNDERS[currency](amount)


def cost_rounder(currency: str) -> Callable[[Decimal], Decimal]:
    """`cost_round` for one currency, as a callable (for rounding many figures)."""
    return _ROUNDERS[currency]


def denoise(value: Decimal) -> Decimal:
    """`value` to 18 decimal places: what a 28-digit division leaves in the last digits goes
    (113 s computed as 113.0000...01 s must not round up to 114 s with step_size)."""
    return value.quantize(_NOISE, ROUND_HALF_EVEN, _WIDE)


def _rounder(quantum: Decimal) -> Callable[[Decimal], Decimal]:
    zero = Decimal(0).quantize(quantum)

    def round_cost(amount: Decimal) -> Decimal:
        if not amount:
            return zero
        return amount.quantize(_NOISE, ROUND_HALF_EVEN, _WIDE).quantize(quantum, ROUND_HALF_UP)

    return round_cost


_ROUNDERS = {code: _rounder(quantum) for code, quantum in _QUANTUM_OF.items()}
