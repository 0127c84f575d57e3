"""A Tariff compiled once into what the per-session path needs: per dimension, the candidate
components in tariff order, one matcher per element over a context tuple, and the instants and
amounts at which a restriction can change (so periods are split only where it matters)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from .localtime import DAY, HOUR, SECOND, to_micros
from .model import (
    DAYS_OF_WEEK,
    ENERGY,
    FLAT,
    PARKING_TIME,
    RESERVATION_EXPIRES,
    TIME,
    Tariff,
    TariffRestrictions,
)
from .money import CURRENCY_EXPONENTS

# Context tuple handed to the matchers (all instants and durations in microseconds).
SOD, DAY_NUMBER, WEEKDAY, KWH, ELAPSED, MIN_CURRENT, MAX_CURRENT, MIN_POWER, MAX_POWER = range(9)
EXPIRED = 9
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_HUNDRED = Decimal(100)
_ONE = Decimal(1)

# Which CDR total a component's cost goes to: total_fixed_cost, total_energy_cost,
# total_time_cost, total_parking_cost or total_reservation_cost.
FIXED, RESERVED = "fixed", "reserved"
CATEGORIES = (FIXED, ENERGY, TIME, PARKING_TIME, RESERVED)

Context = tuple
# What one portion of a charging period prices: its dimensions, and (dimension, component)
# pairs when they are fixed whatever the context.
PortionPlan = tuple[tuple[str, ...], tuple[tuple[str, "CompiledComponent"], ...] | None]
# The kinds of portion a charging period is laid out in, in this order.
RESERVING, CHARGING, PARKING = (0, 1, 2)
Matcher = Callable[[Context], bool]
Chooser = Callable[[Context], "CompiledComponent | None"]


class CompiledComponent:
    """One PriceComponent ready to price: unit price, VAT factor, step in the unit's base."""

    __slots__ = (
        "category",
        "category_index",
        "component_index",
        "dimension",
        "element_index",
        "incl_factor",
        "price",
        "reservation",
        "step_group",
        "step_size",
        "vat",
    )

    def __init__(
        self, dimension, price, vat, step_size, element_index, component_index, reservation
    ):
        self.dimension: str = dimension
        self.price: Decimal = price
        self.vat: Decimal | None = vat
        self.incl_factor: Decimal | None = None if vat is None else _ONE + vat / _HUNDRED
        # OCPI: step_size 0 is meaningless; the spec's own free-of-charge example sends it.
        self.step_size: int = step_size or 1
        self.element_index: int = element_index
        self.component_index: int = component_index
        self.reservation: bool = reservation
        self.category = RESERVED if reservation else (FIXED if dimension == FLAT else dimension)
        self.category_index = CATEGORIES.index(self.category)
        self.step_group = _step_group(dimension, reservation)


def _step_group(dimension: str, reservation: bool) -> str | None:
    """step_size applies once per group: ENERGY; TIME with PARKING_TIME; reservation TIME."""
    if dimension == FLAT:
        return None
    if dimension == ENERGY:
        return ENERGY
    return RESERVED if reservation else TIME


class CompiledTariff:
    __slots__ = (
        "candidates",
        "choosers",
        "currency",
        "day_boundaries",
        "duration_thresholds",
        "exponent",
        "kwh_thresholds",
        "matchers",
        "portion_plans",
        "readings",
        "reads_period",
        "reservation_candidates",
        "static",
        "uses_local_time",
        "valid_from",
        "valid_until",
    )

    def __init__(self, tariff: Tariff) -> None:
        self.currency = tariff.currency
        self.exponent = CURRENCY_EXPONENTS[tariff.currency]
        self.matchers: list[Matcher] = []
        normal: dict[str, list[tuple[int, CompiledComponent]]] = {
            d: [] for d in (ENERGY, FLAT, PARKING_TIME, TIME)
        }
        reservation: dict[str, list[tuple[int, CompiledComponent]]] = {FLAT: [], TIME: []}
        # An element without restrictions ends the search for its dimensions: later ones for
        # the same dimension can never be reached.
        closed: set[tuple[bool, str]] = set()
        boundaries: set[int] = set()
        kwh: set[Decimal] = set()
        durations: set[int] = set()
        # Which period readings a reachable restriction compares: min power, max power,
        # min current, max current.
        readings = [False, False, False, False]
        for index, element in enumerate(tariff.elements):
            restrictions = element.restrictions or TariffRestrictions()
            is_reservation = restrictions.reservation is not None
            matcher = _matcher(restrictions)
            unconditional = matcher is _always
            self.matchers.append(matcher)
            table = reservation if is_reservation else normal
            reachable = False
            for position, component in enumerate(element.price_components):
                key = (is_reservation, component.type)
                if key in closed or any(i == index for i, _ in table[component.type]):
                    continue  # unreachable, or a second component for a dimension: first wins
                table[component.type].append(
                    (
                        index,
                        CompiledComponent(
                            component.type,
                            component.price,
                            component.vat,
                            component.step_size,
                            index,
                            position,
                            is_reservation,
                        ),
                    )
                )
                reachable = True
                if unconditional:
                    closed.add(key)
            if reachable:
                r = restrictions
                _collect_changes(r, boundaries, kwh, durations)
                bounds = (r.min_power, r.max_power, r.min_current, r.max_current)
                for position, bound in enumerate(bounds):
                    readings[position] |= bound is not None
        self.readings = tuple(readings)
        self.reads_period = any(readings)
        self.candidates = normal
        self.reservation_candidates = reservation
        # Per table, the dimensions whose component needs no context: none, or the first
        # candidate's element has no restriction at all.
        self.static: dict[bool, dict[str, CompiledComponent | None]] = {
            is_reservation: {
                dimension: (candidates[0][1] if candidates else None)
                for dimension, candidates in table.items()
                if not candidates or self.matchers[candidates[0][0]] is _always
            }
            for is_reservation, table in ((False, normal), (True, reservation))
        }
        self.valid_from = (
            -(2**63) if tariff.start_date_time is None else to_micros(tariff.start_date_time)
        )
        self.valid_until = (
            2**63 if tariff.end_date_time is None else to_micros(tariff.end_date_time)
        )
        self.day_boundaries: tuple[int, ...] = tuple(sorted(boundaries))
        self.uses_local_time = bool(boundaries)
        self.kwh_thresholds: tuple[Decimal, ...] = tuple(sorted(kwh))
        self.duration_thresholds: tuple[int, ...] = tuple(sorted(durations))
        self.portion_plans = _PortionPlans(self)
        # Per table and dimension: the function choosing the component in a context.
        self.choosers: dict[bool, dict[str, Chooser]] = {
            is_reservation: {
                dimension: _chooser(candidates, self.matchers)
                for dimension, candidates in table.items()
            }
            for is_reservation, table in ((False, normal), (True, reservation))
        }


class _PortionPlans(dict):
    """Per (portion kind, has time volume, has energy, FLAT still to find): the dimensions the
    tariff prices in such a portion, and their components when no choice depends on the
    moment or the period (else None). Each is made on first use: a tariff meets few kinds."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: CompiledTariff) -> None:
        super().__init__()
        self.compiled = compiled

    def __missing__(self, key: tuple[int, bool, bool, bool]) -> PortionPlan:
        plan = self[key] = _portion_plan(self.compiled, *key)
        return plan


def _portion_plan(
    compiled: CompiledTariff, kind: int, timed: bool, metered: bool, need_flat: bool
) -> PortionPlan:
    is_reservation = kind == RESERVING
    table = compiled.reservation_candidates if is_reservation else compiled.candidates
    if kind == RESERVING:
        wanted = [TIME] if timed else []
    elif kind == PARKING:
        wanted = [PARKING_TIME]
    else:
        wanted = [d for d, present in ((TIME, timed), (ENERGY, metered)) if present]
    dimensions = tuple(d for d in wanted if table[d])
    static = compiled.static[is_reservation]
    needed = (FLAT, *dimensions) if need_flat else dimensions
    fixed = None
    if all(d in static for d in needed):
        fixed = tuple((d, static[d]) for d in needed if static[d] is not None)
    return dimensions, fixed


def tariff_compile(tariff: Tariff) -> CompiledTariff:
    return CompiledTariff(tariff)


def day_number(text: str) -> int:
    """Days since 1970-01-01 of a YYYY-MM-DD date."""
    return date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL


def time_of_day(text: str) -> int:
    """Microseconds since midnight of an HH:MM time."""
    return int(text[:2]) * HOUR + int(text[3:5]) * 60 * SECOND


def _collect_changes(
    r: TariffRestrictions, boundaries: set[int], kwh: set[Decimal], durations: set[int]
) -> None:
    for text in (r.start_time, r.end_time):
        if text is not None:
            boundaries.add(time_of_day(text))
    if r.start_date or r.end_date or r.day_of_week:
        boundaries.add(0)
    kwh.update(v for v in (r.min_kwh, r.max_kwh) if v is not None)
    durations.update(v * SECOND for v in (r.min_duration, r.max_duration) if v is not None)


def _chooser(candidates: list[tuple[int, CompiledComponent]], matchers: list[Matcher]) -> Chooser:
    """The component of the first candidate whose element's restrictions hold (None if none
    does), as one function of the context."""
    steps = tuple(
        (None if matchers[index] is _always else matchers[index], component)
        for index, component in candidates
    )

    def choose(context: Context) -> CompiledComponent | None:
        for matcher, component in steps:
            if matcher is None or matcher(context):
                return component
        return None

    return choose


def _always(_: Context) -> bool:
    return True


def _matcher(r: TariffRestrictions) -> Matcher:
    """The element's restrictions as one predicate over a context (`_always` when it has none;
    a reservation restriction decides the candidate list, and RESERVATION_EXPIRES also needs
    the reservation to have expired)."""
    checks: list[Matcher] = []
    if r.start_time is not None or r.end_time is not None:
        checks.append(_window(r.start_time, r.end_time))
    if r.start_date is not None:
        first = day_number(r.start_date)
        checks.append(lambda c: c[DAY_NUMBER] >= first)
    if r.end_date is not None:
        last = day_number(r.end_date)  # exclusive
        checks.append(lambda c: c[DAY_NUMBER] < last)
    if r.day_of_week:
        days = frozenset(DAYS_OF_WEEK.index(d) for d in r.day_of_week)
        checks.append(lambda c: c[WEEKDAY] in days)
    checks.extend(_at_least(KWH, r.min_kwh) + _below(KWH, r.max_kwh))
    checks.extend(_reading_at_least(MIN_CURRENT, r.min_current))
    checks.extend(_reading_below(MAX_CURRENT, r.max_current))
    checks.extend(_reading_at_least(MIN_POWER, r.min_power))
    checks.extend(_reading_below(MAX_POWER, r.max_power))
    if r.min_duration is not None:
        shortest = r.min_duration * SECOND
        checks.append(lambda c: c[ELAPSED] >= shortest)
    if r.max_duration is not None:
        longest = r.max_duration * SECOND
        checks.append(lambda c: c[ELAPSED] < longest)
    if r.reservation == RESERVATION_EXPIRES:
        checks.append(lambda c: c[EXPIRED])
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    all_checks = tuple(checks)

    def match(context: Context) -> bool:  # a loop: faster than all() over a generator
        for check in all_checks:  # noqa: SIM110
            if not check(context):
                return False
        return True

    return match


def _window(start_text: str | None, end_text: str | None) -> Matcher:
    start = 0 if start_text is None else time_of_day(start_text)
    end = DAY if end_text is None else (time_of_day(end_text) or DAY)  # 00:00 ends the day
    if start < end:
        return lambda c: start <= c[SOD] < end
    if start > end:  # wraps past midnight
        return lambda c: c[SOD] >= start or c[SOD] < end
    return _always  # start == end: the whole day


def _at_least(field: int, bound: Decimal | None) -> list[Matcher]:
    if bound is None:
        return []
    return [lambda c: c[field] is not None and c[field] >= bound]


def _below(field: int, bound: Decimal | None) -> list[Matcher]:
    if bound is None:
        return []
    return [lambda c: c[field] is not None and c[field] < bound]


# A period's current and power readings reach the matchers as JSON gave them: a float, or a
# Decimal (an int, or a session's ChargingPeriod). A float x stands for Decimal(repr(x)) (the
# number as written in the JSON text), and since repr increases with x, Decimal(repr(x)) >= bound
# exactly when x >= the least float whose repr is >= bound: a float is compared as it is.


def _least_float_reaching(bound: Decimal) -> float:
    """The least float x with Decimal(repr(x)) >= bound."""
    x = float(bound)  # the nearest float: at most a step or two away
    if Decimal(repr(x)) >= bound:
        below = math.nextafter(x, -math.inf)
        while Decimal(repr(below)) >= bound:
            x, below = below, math.nextafter(below, -math.inf)
        return x
    while Decimal(repr(x)) < bound:
        x = math.nextafter(x, math.inf)
    return x


def _reading_at_least(field: int, bound: Decimal | None) -> list[Matcher]:
    if bound is None:
        return []
    least = _least_float_reaching(bound)

    def check(c: Context) -> bool:
        value = c[field]
        if type(value) is float:
            return value >= least
        return value is not None and value >= bound

    return [check]


def _reading_below(field: int, bound: Decimal | None) -> list[Matcher]:
    if bound is None:
        return []
    least = _least_float_reaching(bound)

    def check(c: Context) -> bool:
        value = c[field]
        if type(value) is float:
            return value < least
        return value is not None and value < bound

    return [check]
