"""A tariff in one line for people: "0.25 EUR/kWh + 1.00 EUR start fee, parking 5.00 EUR/h
after 3 h". Elements in tariff order (components that can never apply are left out), each with
its restrictions; then the minimum and maximum price."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .model import (
    DAYS_OF_WEEK,
    ENERGY,
    FLAT,
    PARKING_TIME,
    RESERVATION_EXPIRES,
    TIME,
    PriceComponent,
    Tariff,
    TariffRestrictions,
)
from .money import CURRENCY_EXPONENTS
from .parse import tariff_parse

_HUNDRED = Decimal(100)
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        ENERGY: "{p}/kWh",
        TIME: "{p}/h",
        FLAT: "{p} start fee",
        PARKING_TIME: "parking {p}/h",
        "reservation_time": "reservation {p}/h",
        "reservation_fee": "{p} reservation fee",
        "expired": "if the reservation expires",
        "step": "(billed per {s})",
        "between": "between {a} and {b}",
        "from": "from {a}",
        "until": "until {b}",
        "before": "before {b}",
        "on": "on {d}",
        "after": "after {d}",
        "first": "for the first {d}",
        "below": "below {x}",
        "up_to": "up to {x}",
        "minimum": "minimum {p}",
        "maximum": "maximum {p}",
        "free": "free of charge",
        "days": "Mon Tue Wed Thu Fri Sat Sun",
        "hour": "h",
    },
    "nl": {
        ENERGY: "{p}/kWh",
        TIME: "{p}/uur",
        FLAT: "{p} starttarief",
        PARKING_TIME: "parkeren {p}/uur",
        "reservation_time": "reserveren {p}/uur",
        "reservation_fee": "{p} reserveringskosten",
        "expired": "als de reservering verloopt",
        "step": "(per {s} gerekend)",
        "between": "tussen {a} en {b}",
        "from": "vanaf {a}",
        "until": "tot {b}",
        "before": "vóór {b}",
        "on": "op {d}",
        "after": "na {d}",
        "first": "de eerste {d}",
        "below": "onder {x}",
        "up_to": "tot {x}",
        "minimum": "minimaal {p}",
        "maximum": "maximaal {p}",
        "free": "gratis",
        "days": "ma di wo do vr za zo",
        "hour": "uur",
    },
    "de": {
        ENERGY: "{p}/kWh",
        TIME: "{p}/Std.",
        FLAT: "{p} Startgebühr",
        PARKING_TIME: "Parken {p}/Std.",
        "reservation_time": "Reservierung {p}/Std.",
        "reservation_fee": "{p} Reservierungsgebühr",
        "expired": "wenn die Reservierung verfällt",
        "step": "(abgerechnet je {s})",
        "between": "zwischen {a} und {b}",
        "from": "ab {a}",
        "until": "bis {b}",
        "before": "vor {b}",
        "on": "{d}",
        "after": "nach {d}",
        "first": "in den ersten {d}",
        "below": "unter {x}",
        "up_to": "bis {x}",
        "minimum": "mindestens {p}",
        "maximum": "höchstens {p}",
        "free": "kostenlos",
        "days": "Mo Di Mi Do Fr Sa So",
        "hour": "Std.",
    },
    "fr": {
        ENERGY: "{p}/kWh",
        TIME: "{p}/h",
        FLAT: "{p} frais de démarrage",
        PARKING_TIME: "stationnement {p}/h",
        "reservation_time": "réservation {p}/h",
        "reservation_fee": "{p} frais de réservation",
        "expired": "si la réservation expire",
        "step": "(facturé par {s})",
        "between": "entre {a} et {b}",
        "from": "à partir de {a}",
        "until": "jusqu'à {b}",
        "before": "avant le {b}",
        "on": "{d}",
        "after": "après {d}",
        "first": "pendant les premières {d}",
        "below": "en dessous de {x}",
        "up_to": "jusqu'à {x}",
        "minimum": "minimum {p}",
        "maximum": "maximum {p}",
        "free": "gratuit",
        "days": "lun mar mer jeu ven sam dim",
        "hour": "h",
    },
}
_ORDER = {ENERGY: 0, TIME: 1, FLAT: 2, PARKING_TIME: 3}


def tariff_describe(
    tariff: Tariff | Mapping[str, Any], language: str = "en", *, incl_vat: bool = False
) -> str:
    """The tariff in words, in `language` (en, nl, de, fr; others fall back to en), with prices
    excl. VAT as the tariff states them, or incl. VAT when `incl_vat`. A tariff given as its
    JSON dict is parsed first (TariffError when it breaks the spec)."""
    if not isinstance(tariff, Tariff):
        tariff = tariff_parse(tariff)
    words = _PHRASES.get((language or "en")[:2].lower(), _PHRASES["en"])
    if tariff.is_free_of_charge:
        return words["free"]
    exponent = CURRENCY_EXPONENTS[tariff.currency]

    def money(amount: Decimal) -> str:
        return f"{_amount(amount, exponent)} {tariff.currency}"

    reachable = {
        (component.element_index, component.component_index)
        for table in (tariff.compiled.candidates, tariff.compiled.reservation_candidates)
        for candidates in table.values()
        for _, component in candidates
    }
    parts = []
    for index, element in enumerate(tariff.elements):
        restrictions = element.restrictions or TariffRestrictions()
        phrases = [
            _component(component, restrictions, words, money, incl_vat)
            for position, component in sorted(
                enumerate(element.price_components), key=lambda item: _ORDER[item[1].type]
            )
            if (index, position) in reachable
        ]
        if phrases:
            parts.append(" ".join([" + ".join(phrases), *_restrictions(restrictions, words)]))
    for name in ("minimum", "maximum"):
        bound = tariff.min_price if name == "minimum" else tariff.max_price
        if bound is not None:
            amount = bound.incl_vat if incl_vat and bound.incl_vat is not None else bound.excl_vat
            parts.append(words[name].format(p=money(amount)))
    return ", ".join(parts)


def _component(component: PriceComponent, restrictions, words, money, incl_vat) -> str:
    price = component.price
    if incl_vat and component.vat is not None:
        price = price * (1 + component.vat / _HUNDRED)
    key = component.type
    if restrictions.reservation is not None:
        key = "reservation_fee" if key == FLAT else "reservation_time"
    text = words[key].format(p=money(price))
    step = component.step_size
    if key in (TIME, PARKING_TIME, "reservation_time") and step > 1:
        text += " " + words["step"].format(s=_duration(step, words))
    elif key == ENERGY and step > 1:
        text += " " + words["step"].format(s=f"{_amount(Decimal(step) / 1000, 0)} kWh")
    return text


def _restrictions(r: TariffRestrictions, words: dict[str, str]) -> list[str]:
    out = []
    if r.start_time and r.end_time:
        out.append(words["between"].format(a=r.start_time, b=r.end_time))
    elif r.start_time:
        out.append(words["from"].format(a=r.start_time))
    elif r.end_time:
        out.append(words["until"].format(b=r.end_time))
    if r.day_of_week:
        out.append(words["on"].format(d=_days(r.day_of_week, words)))
    if r.start_date:
        out.append(words["from"].format(a=r.start_date))
    if r.end_date:
        out.append(words["before"].format(b=r.end_date))
    for low, high, unit in (
        (r.min_power, r.max_power, "kW"),
        (r.min_current, r.max_current, "A"),
        (r.min_kwh, r.max_kwh, "kWh"),
    ):
        if low is not None:
            out.append(words["from"].format(a=f"{_amount(low, 0)} {unit}"))
        if high is not None:
            key = "up_to" if unit == "kWh" else "below"
            out.append(words[key].format(x=f"{_amount(high, 0)} {unit}"))
    if r.min_duration is not None:
        out.append(words["after"].format(d=_duration(r.min_duration, words)))
    if r.max_duration is not None:
        out.append(words["first"].format(d=_duration(r.max_duration, words)))
    if r.reservation == RESERVATION_EXPIRES:
        out.append(words["expired"])
    return out


def _days(days: tuple[str, ...], words: dict[str, str]) -> str:
    names = words["days"].split()
    numbers = sorted({DAYS_OF_WEEK.index(d) for d in days})
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(
        f"{names[run[0]]}–{names[run[-1]]}" if len(run) > 2 else ", ".join(names[n] for n in run)
        for run in runs
    )


def _duration(seconds: int, words: dict[str, str]) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} {words['hour']}")
    if minutes:
        parts.append(f"{minutes} min")
    if seconds or not parts:
        parts.append(f"{seconds} s")
    return " ".join(parts)


def _amount(amount: Decimal, exponent: int) -> str:
    """At least the currency's decimals, more only when the amount has them (0.2875)."""
    quantum = Decimal(1).scaleb(-exponent)
    if amount == amount.quantize(quantum):
        return f"{amount.quantize(quantum):f}"
    return f"{amount.normalize():f}"
