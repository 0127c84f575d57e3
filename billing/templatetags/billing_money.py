"""`{{ value|amount:currency }}`: an amount with its currency's ISO 4217 decimals (8.47, not
8.4700, and 1235 for JPY); stored amounts keep four places for sub-cent tariff prices."""

from decimal import Decimal

from django import template

from billing.amounts import amount_display

register = template.Library()


@register.filter
def amount(value: Decimal | None, currency: str) -> str:
    return "" if value is None else amount_display(value, currency)
