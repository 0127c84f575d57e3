"""`{{ value|amount:currency }}`: an amount with its currency's ISO 4217 decimals (8.47, not
8.4700, and 1235 for JPY); stored amounts keep four places for sub-cent tariff prices."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

from billing.amounts import amount_display

register = template.Library()


@register.filter
def amount(value: Decimal | None, currency: str) -> str:
    return "" if value is None else amount_display(value, currency)


@register.filter
def energy(value: Decimal | None) -> str:
    """kWh to at most three decimals without trailing zeros, in the page's locale (20.5, 41)."""
    if value is None:
        return ""
    shown = Decimal(value).quantize(Decimal("0.001")).normalize()
    places = max(0, -shown.as_tuple().exponent)
    return floatformat(shown, places)
