"""Showing amounts: with the currency's ISO 4217 decimals (tariffs.pricing's table)."""

from decimal import Decimal

from tariffs.pricing import currency_exponent


def amount_display(value: Decimal, currency: str) -> str:
    """8.4700 EUR -> "8.47"; an amount finer than the currency (a unit price) keeps its digits."""
    try:
        places = currency_exponent(currency)
    except KeyError:
        places = 2
    quantum = Decimal(1).scaleb(-places)
    shown = value.quantize(quantum) if value == value.quantize(quantum) else value.normalize()
    return f"{shown:f}"
