"""Minor units at the Stripe boundary: exact, per Stripe's own exponent table, never float."""

import subprocess
import sys
from decimal import Decimal

import pytest

from billing.money import (
    MoneyError,
    from_minor_units,
    is_chargeable,
    stripe_chargeable,
    to_minor_units,
)
from tariffs.pricing import cost_round


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("0.50", "eur", 50),
        ("1500", "JPY", 1500),
        ("1500.0", "KRW", 1500),
        ("5.120", "KWD", 5120),
        ("5.12", "BHD", 5120),
        ("100", "ISK", 10000),
        ("0", "USD", 0),
    ],
    ids=["EUR", "lower-case", "JPY", "KRW", "KWD", "BHD", "ISK", "zero"],
)
def test_amounts_become_stripes_integers(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [(1234, "EUR", "12.34"), (1500, "JPY", "1500"), (5120, "KWD", "5.12"), (10000, "ISK", "100")],
    ids=["EUR", "JPY", "KWD", "ISK"],
)
def test_stripes_integers_become_amounts(minor, currency, amount):
    assert from_minor_units(minor, currency) == Decimal(amount)
    assert str(from_minor_units(minor, currency)) == amount


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (12.34, "EUR"),
        ("12.34", "EUR"),
        (Decimal("12.345"), "EUR"),
        (Decimal("10.5"), "JPY"),
        (Decimal("5.125"), "KWD"),
        (Decimal("100.5"), "ISK"),
        (Decimal("-1"), "EUR"),
        (Decimal("NaN"), "EUR"),
        (Decimal("Infinity"), "EUR"),
        (Decimal("1"), "EURO"),
        (Decimal("1"), "€"),
        (Decimal("1"), None),
    ],
    ids=[
        "float",
        "string",
        "sub-cent",
        "fraction-of-yen",
        "kwd-last-digit",
        "isk-fraction",
        "negative",
        "nan",
        "infinity",
        "four-letters",
        "symbol",
        "none",
    ],
)
def test_what_cannot_be_sent_exactly_is_refused(amount, currency):
    with pytest.raises(MoneyError):
        to_minor_units(amount, currency)


def test_invoices_round_once_half_up_to_the_iso_exponent_and_stripe_takes_what_it_can():
    # The one rounding rule is the pricing engine's (ISO 4217); money.py never rounds.
    assert cost_round(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert cost_round(Decimal("2.5"), "JPY") == Decimal("3")
    assert cost_round(Decimal("1.2345"), "KWD") == Decimal("1.235")
    assert cost_round(Decimal("1234.5"), "ISK") == Decimal("1235")
    # Stripe takes KWD in tens of fils: 1.235 cannot be charged; 1.23 can, the rest is waived.
    assert not is_chargeable(Decimal("1.235"), "KWD")
    assert stripe_chargeable(Decimal("1.235"), "KWD") == Decimal("1.23")
    assert to_minor_units(Decimal("1.23"), "KWD") == 1230
    # ISK: whole krónur, sent in two-decimal form.
    assert is_chargeable(Decimal("1235"), "ISK")
    assert to_minor_units(Decimal("1235"), "ISK") == 123500
    assert stripe_chargeable(Decimal("0.999"), "EUR") == Decimal("0.99")


def test_booleans_are_not_amounts():
    with pytest.raises(MoneyError):
        from_minor_units(True, "EUR")


def test_the_money_module_imports_nothing_from_django():
    code = "import sys, billing.money; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
