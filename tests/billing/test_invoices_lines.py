"""Invoice lines from the engine's exact breakdown (pure, no database): one line per component
and VAT rate, VAT computed per line on the rounded amount and rounded once, totals summed from
the lines; zero- and three-decimal currencies."""

from decimal import Decimal

from billing.invoice_lines import invoice_lines
from billing.money import stripe_chargeable
from tariffs.pricing import cdr_price, tariff_parse
from tests.tariffs.factories import cdr_dict, component, element, tariff_dict


def lines_of(tariff: dict, cdr: dict):
    breakdown = cdr_price(tariff_parse(tariff), cdr, time_zone="Europe/Amsterdam")
    return invoice_lines(breakdown)


def test_vat_is_computed_per_line_on_the_rounded_amount():
    # 3 x 1/3 kWh at 0.125: 0.041666... each; the energy line is 0.125 -> 0.13, VAT 21 % of
    # 0.13 = 0.0273 -> 0.03 (not 21 % of the exact 0.125 = 0.02625 -> 0.03, same here), and
    # the start fee 0.105 -> 0.11 with 9 % VAT 0.0099 -> 0.01.
    tariff = tariff_dict(
        element(component("FLAT", 0.105, vat=9.0)),
        element(component("ENERGY", 0.125, vat=21.0)),
    )
    cdr = cdr_dict("2026-03-02T09:00", [(20, {"ENERGY": Decimal(1) / 3})] * 3)

    lines, totals = lines_of(tariff, cdr)

    assert [
        (x.component, x.vat_rate, x.amount_excl_vat, x.vat_amount, x.amount_incl_vat) for x in lines
    ] == [
        ("fixed", Decimal("9.0"), Decimal("0.11"), Decimal("0.01"), Decimal("0.12")),
        ("energy", Decimal("21.0"), Decimal("0.13"), Decimal("0.03"), Decimal("0.16")),
    ]
    assert (totals.excl_vat, totals.vat, totals.incl_vat) == (
        Decimal("0.24"),
        Decimal("0.04"),
        Decimal("0.28"),
    )


def test_one_line_per_vat_rate_of_a_component_and_none_for_no_vat():
    tariff = tariff_dict(
        element(component("ENERGY", 0.30, vat=21.0), start_time="07:00", end_time="19:00"),
        element(component("ENERGY", 0.20)),
    )
    cdr = cdr_dict("2026-03-02T18:00", [(60, {"ENERGY": 10}), (60, {"ENERGY": 10})])

    lines, totals = lines_of(tariff, cdr)

    assert [(x.vat_rate, x.quantity, x.unit_price, x.amount_incl_vat) for x in lines] == [
        (None, Decimal("10"), Decimal("0.2"), Decimal("2.00")),
        (Decimal("21.0"), Decimal("10"), Decimal("0.3"), Decimal("3.63")),
    ]
    assert totals.incl_vat == Decimal("5.63")


def test_a_zero_decimal_currency_is_invoiced_in_whole_units():
    tariff = tariff_dict(element(component("ENERGY", 45.5, vat=10.0)), currency="JPY")
    cdr = cdr_dict("2026-03-02T09:00", [(60, {"ENERGY": 11})], currency="JPY")

    lines, totals = lines_of(tariff, cdr)

    # 11 x 45.5 = 500.5 -> 501 JPY; VAT 10 % of 501 = 50.1 -> 50
    assert [(x.amount_excl_vat, x.vat_amount, x.amount_incl_vat) for x in lines] == [
        (Decimal("501"), Decimal("50"), Decimal("551"))
    ]
    assert totals.incl_vat == Decimal("551")
    assert stripe_chargeable(totals.incl_vat, "JPY") == Decimal("551")


def test_a_three_decimal_total_is_charged_as_far_as_stripe_can_and_the_rest_waived():
    tariff = tariff_dict(element(component("ENERGY", 0.0617)), currency="KWD")
    cdr = cdr_dict("2026-03-02T09:00", [(60, {"ENERGY": 20})], currency="KWD")

    _, totals = lines_of(tariff, cdr)

    assert totals.incl_vat == Decimal("1.234")  # ISO 4217: three decimals on the invoice
    assert stripe_chargeable(totals.incl_vat, "KWD") == Decimal("1.23")  # Stripe: tens of fils


def test_minimum_price_adjustment_is_its_own_line():
    tariff = tariff_dict(
        element(component("ENERGY", 0.25, vat=10.0)),
        min_price={"excl_vat": 0.50, "incl_vat": 0.55},
    )
    cdr = cdr_dict("2026-03-02T09:00", [(30, {"ENERGY": 1})])

    lines, totals = lines_of(tariff, cdr)

    assert [(x.component, x.amount_excl_vat, x.vat_amount) for x in lines] == [
        ("energy", Decimal("0.25"), Decimal("0.03")),
        ("min_price", Decimal("0.25"), Decimal("0.03")),
    ]
    assert totals.incl_vat == Decimal("0.56")
