"""The pricing engine: a Tariff and a session's charging periods in, a PriceBreakdown out.

Each charging period is laid out as up to three portions, in this order: reservation time,
charging time (which carries the period's energy, spread evenly over it) and parking time,
each as long as its share of the period's wall-clock duration. A portion is cut wherever a
restriction of a reachable element can change inside it (a local time of day or midnight,
a DST transition, a duration threshold, a kWh threshold), the price components are chosen per
cut, and consecutive cuts with the same component form one line.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from .breakdown import PriceBreakdown
from .compiled import CHARGING, PARKING, RESERVING, CompiledTariff
from .errors import SessionError
from .localtime import DAY, HOUR, offset_pieces, to_micros, zone
from .model import ENERGY, FLAT, TIME, Tariff
from .periods import ENERGY as _ENERGY
from .periods import MAX_CURRENT as _MAX_CURRENT
from .periods import MAX_POWER as _MAX_POWER
from .periods import MIN_CURRENT as _MIN_CURRENT
from .periods import MIN_POWER as _MIN_POWER
from .periods import PARKING as _PARKING
from .periods import RESERVATION as _RESERVATION
from .periods import START as _START
from .periods import TIME as _TIME
from .periods import TIME_SLOTS as _TIME_SLOTS
from .periods import ChargingPeriod, decimal_of, micros_of, rows_read
from .totals import breakdown_build

RES, CHG, PARK = RESERVING, CHARGING, PARKING
ZERO = Decimal(0)
ONE = Decimal(1)
_HALF = Decimal("0.5")
_HOUR = Decimal(HOUR)
_NO_READINGS = (None, None, None, None)  # current and power: none during parking, reservation
# Longer is a placeholder date (the spec allows 1970-01-01 for an unknown start), not a session.
_LONGEST_SESSION = 366 * DAY


def session_price(
    tariff: Tariff,
    *,
    charging_periods: Sequence[ChargingPeriod],
    start_date_time: datetime,
    end_date_time: datetime,
    time_zone: str,
    reservation_expired: bool | None = None,
) -> PriceBreakdown:
    """Price a session (finished, or running with `end_date_time` = now) exactly; see the
    package docstring for the rules. `reservation_expired` None: a session that has only
    reservation time is an expired reservation. Raises SessionError on inconsistent input."""
    moments = [start_date_time, end_date_time, *(p.start_date_time for p in charging_periods)]
    if any(moment.utcoffset() is None for moment in moments):
        raise SessionError("start_date_time", "datetimes must be timezone-aware")
    rows = [
        [
            to_micros(p.start_date_time),
            p.energy,
            p.time,
            p.parking_time,
            p.reservation_time,
            p.min_current,
            p.max_current,
            p.min_power,
            p.max_power,
        ]
        for p in charging_periods
    ]
    for index, row in enumerate(rows):
        for slot in _TIME_SLOTS:
            if row[slot] is not None and row[slot] < 0:
                raise SessionError(f"charging_periods[{index}]", "times must be >= 0")
    return _Pricing(
        tariff,
        rows,
        to_micros(start_date_time),
        to_micros(end_date_time),
        time_zone,
        reservation_expired,
    ).run()


def cdr_price(
    tariff: Tariff,
    cdr: Mapping[str, Any],
    *,
    time_zone: str,
    reservation_expired: bool | None = None,
) -> PriceBreakdown:
    """Price an OCPI CDR (or Session) given as its JSON dict; start_date_time, end_date_time
    and charging_periods suffice (plus currency, which must be the tariff's when present)."""
    if type(cdr) is not dict and not isinstance(cdr, Mapping):
        raise SessionError("", "a CDR must be a JSON object")
    currency = cdr.get("currency")
    if currency is not None and currency != tariff.currency:
        raise SessionError("currency", f"{currency!r} is not the tariff's {tariff.currency!r}")
    start = micros_of(cdr.get("start_date_time"), "start_date_time")
    end_value = cdr.get("end_date_time")
    if end_value is None:
        raise SessionError("end_date_time", "is required (for a running session: now)")
    end = micros_of(end_value, "end_date_time")
    periods = cdr.get("charging_periods")
    if type(periods) is not list:
        raise SessionError("charging_periods", "must be a list of ChargingPeriods")
    rows = rows_read(periods)
    return _Pricing(tariff, rows, start, end, time_zone, reservation_expired).run()


def _part(amount: Decimal, fraction: Decimal) -> Decimal:
    """`amount` times `fraction`, exact at both ends so that parts add up to the whole."""
    if fraction is ZERO:
        return ZERO
    if fraction is ONE:
        return amount
    return amount * fraction


class _Pricing:
    """One pricing run. Lines are kept as lists until the end:
    [dimension, component, reservation, period_index, start, end, quantity]."""

    def __init__(self, tariff, rows, start, end, time_zone, reservation_expired):
        if end < start:
            raise SessionError("end_date_time", "is before start_date_time")
        if end - start > _LONGEST_SESSION:
            raise SessionError("end_date_time", "the session would last more than a year")
        previous = start
        for index, row in enumerate(rows):
            moment = row[_START]
            if moment < previous:
                where = f"charging_periods[{index}].start_date_time"
                if index == 0:
                    raise SessionError(where, "is before the session's start_date_time")
                raise SessionError(where, "is before the previous period's start")
            if moment > end:
                where = f"charging_periods[{index}].start_date_time"
                raise SessionError(where, "is after the session's end_date_time")
            previous = moment
        self.tariff: Tariff = tariff
        self.compiled: CompiledTariff = tariff.compiled
        self.rows = rows
        self.start = start
        self.end = end
        tz = zone(time_zone)
        self.pieces = offset_pieces(tz, start, end) if self.compiled.uses_local_time else None
        # The zone's offset when it is the same throughout the session (else None).
        self.offset = self.pieces[0][1] if self.pieces and len(self.pieces) == 1 else None
        self.local_instants = (
            _local_instants(self.pieces, start, end, self.compiled.day_boundaries)
            if self.pieces
            else []
        )
        self.reservation_expired = reservation_expired
        self.lines: list[list[Any]] = []
        self.notes: list[str] = []
        # Periods whose power or current a restriction needed but the CDR did not give.
        self.unread: dict[str, set[int]] = {"power": set(), "current": set()}

    # -- layout -------------------------------------------------------------------------------

    def portions(self) -> list[tuple]:
        portions = []
        rows = self.rows
        count = len(rows)
        kwh = total_parking = ZERO
        inferred = []
        for index, row in enumerate(rows):
            begin = row[_START]
            finish = rows[index + 1][_START] if index + 1 < count else self.end
            width = finish - begin
            energy = row[_ENERGY] or ZERO
            time, parking, reservation = row[_TIME], row[_PARKING], row[_RESERVATION]
            if time is None and parking is None and reservation is None:
                time = Decimal(width) / _HOUR
                if width:
                    inferred.append(index)
            if reservation is None and parking is None:  # the common charging period
                if time or energy:
                    portions.append((CHG, index, begin, finish, time or ZERO, energy, kwh, row))
            elif time is None and reservation is None and not energy:  # parking only
                if parking:
                    portions.append((PARK, index, begin, finish, parking, ZERO, kwh + energy, row))
            else:
                portions.extend(_mixed_portions(index, row, finish, kwh, energy))
            if parking:
                total_parking += parking
            kwh += energy
        self.total_energy = kwh
        self.total_parking_time = total_parking
        if inferred and self.compiled.candidates[TIME]:
            self.notes.append(
                "charging periods without a time dimension count as charging time: "
                + ", ".join(str(i) for i in inferred)
            )
        return portions

    # -- run ----------------------------------------------------------------------------------

    def run(self) -> PriceBreakdown:
        portions = self.portions()
        normal = [p for p in portions if p[0] != RES]
        has_reservation = len(normal) != len(portions)
        expired = self.reservation_expired
        if expired is None:
            expired = has_reservation and not normal
        self.expired = expired
        if normal:
            self.normal_start = normal[0][2]
        else:
            reserved = [p for p in portions if p[0] == RES]
            self.normal_start = reserved[-1][3] if reserved else self.start
        # Per table (reservation or not), where the time of day or the duration can change.
        self.changes = {False: self.time_changes(self.normal_start), True: []}
        if has_reservation:
            self.changes[True] = self.time_changes(self.start)
        self.flat_found = {True: False, False: False}
        for portion in portions:
            self.price_portion(portion)
        if not normal and not expired and not self.flat_found[False]:
            self.flat_at(self.normal_start, False)
        for quantity, indexes in self.unread.items():
            if indexes:
                self.notes.append(
                    f"charging periods without a {quantity} reading, where {quantity} "
                    f"restrictions do not hold: {', '.join(str(i) for i in sorted(indexes))}"
                )
        if not self.compiled.valid_from <= self.start <= self.compiled.valid_until:
            self.notes.append("the tariff is not valid at the session's start_date_time")
        return breakdown_build(
            self.tariff,
            self.lines,
            start=self.start,
            end=self.end,
            total_energy=self.total_energy,
            total_parking_time=self.total_parking_time,
            notes=self.notes,
        )

    def flat_at(self, moment: int, reservation: bool) -> None:
        context = self.context(moment, self.normal_start, ZERO, _NO_READINGS)
        component = self.compiled.choosers[reservation][FLAT](context)
        if component is not None:
            self.flat_found[reservation] = True
            self.lines.append([FLAT, component, reservation, None, moment, moment, ONE])

    def price_portion(self, portion: tuple) -> None:
        kind, index, begin, finish, volume, energy, kwh_before, row = portion
        is_reservation = kind == RES
        need_flat = not self.flat_found[is_reservation]
        compiled = self.compiled
        dimensions, fixed = compiled.portion_plans[kind, bool(volume), bool(energy), need_flat]
        if fixed is not None:  # no choice to make
            self.price_fixed(portion, fixed, is_reservation)
            return
        part_start = self.start if is_reservation else self.normal_start
        choosers = compiled.choosers[is_reservation]
        readings = _NO_READINGS
        if kind == CHG and compiled.reads_period:
            readings = self.readings(index, row, volume, energy)
        kwh_split = kind == CHG and energy and compiled.kwh_thresholds
        changes = self.changes[is_reservation]
        if kwh_split or (changes and changes[0] < finish and begin < changes[-1]):
            cuts = self.cuts(begin, finish, changes, energy, kwh_before)
            if cuts:
                self.price_cuts(
                    portion, cuts, choosers, dimensions, need_flat, part_start, readings
                )
                return
        # One choice for the whole portion, made at its start (kWh: at its middle).
        kwh = kwh_before + energy * _HALF if kwh_split else kwh_before
        context = self.context(begin, part_start, kwh, readings)
        if need_flat:
            self.flat_line(choosers[FLAT], context, begin, is_reservation)
        for dimension in dimensions:
            component = choosers[dimension](context)
            if component is not None:
                amount = energy if dimension == ENERGY else decimal_of(volume)
                self.lines.append(
                    [dimension, component, is_reservation, index, begin, finish, amount]
                )

    def price_fixed(self, portion: tuple, fixed: tuple, is_reservation: bool) -> None:
        """A portion whose components do not depend on context: one line per dimension."""
        _, index, begin, finish, volume, energy, _, _ = portion
        for dimension, component in fixed:
            if dimension == FLAT:
                self.lines.append([FLAT, component, is_reservation, None, begin, begin, ONE])
                self.flat_found[is_reservation] = True
            else:
                amount = energy if dimension == ENERGY else decimal_of(volume)
                self.lines.append(
                    [dimension, component, is_reservation, index, begin, finish, amount]
                )

    def readings(self, index, row, volume, energy) -> tuple:
        """(min_current, max_current, min_power, max_power) of a charging period, as read (a
        float or a Decimal; the matchers compare a float as its repr): only those some
        restriction compares. A missing MIN_ or MAX_ reading is stood in for by the other."""
        needs = self.compiled.readings
        min_power = max_power = min_current = max_current = None
        if needs[0]:
            min_power = row[_MIN_POWER] if row[_MIN_POWER] is not None else row[_MAX_POWER]
        if needs[1]:
            max_power = row[_MAX_POWER] if row[_MAX_POWER] is not None else row[_MIN_POWER]
        average = (needs[0] or needs[1]) and min_power is None and max_power is None
        if average and volume and energy:  # the period's average power
            min_power = max_power = energy / decimal_of(volume)
        elif average:
            self.unread["power"].add(index)
        if needs[2]:
            min_current = row[_MIN_CURRENT] if row[_MIN_CURRENT] is not None else row[_MAX_CURRENT]
        if needs[3]:
            max_current = row[_MAX_CURRENT] if row[_MAX_CURRENT] is not None else row[_MIN_CURRENT]
        if (needs[2] or needs[3]) and min_current is None and max_current is None:
            self.unread["current"].add(index)
        return (min_current, max_current, min_power, max_power)

    def flat_line(self, choose, context, moment, is_reservation) -> None:
        component = choose(context)
        if component is not None:
            self.lines.append([FLAT, component, is_reservation, None, moment, moment, ONE])
            self.flat_found[is_reservation] = True

    def price_cuts(self, portion, cuts, choosers, dimensions, need_flat, part_start, readings):
        """A portion cut where a restriction can change: a choice per cut, consecutive cuts
        with the same component forming one line."""
        kind, index, begin, finish, volume, energy, kwh_before, _ = portion
        is_reservation = kind == RES
        kwh_split = kind == CHG and energy and self.compiled.kwh_thresholds
        open_lines: dict[str, list[Any]] = {}
        fraction, moment = ZERO, begin
        last = len(cuts)
        for position in range(last + 1):
            if kwh_split:
                following = cuts[position][0] if position < last else ONE
                kwh = kwh_before + energy * (fraction + following) * _HALF
            else:
                kwh = kwh_before
            context = self.context(moment, part_start, kwh, readings)
            if need_flat:
                self.flat_line(choosers[FLAT], context, moment, is_reservation)
                need_flat = not self.flat_found[is_reservation]
            for dimension in dimensions:
                component = choosers[dimension](context)
                line = open_lines.get(dimension)
                if line is None or line[1] is not component:
                    if line is not None:
                        self.close(line, fraction, moment, volume, energy)
                    open_lines[dimension] = [
                        dimension,
                        component,
                        is_reservation,
                        index,
                        moment,
                        fraction,
                    ]
            if position < last:
                fraction, moment = cuts[position]
        for line in open_lines.values():
            self.close(line, ONE, finish, volume, energy)

    def close(self, line, fraction, moment, volume, energy) -> None:
        dimension, component, reservation, index, begin, start_fraction = line
        if component is None:
            return
        amount = energy if dimension == ENERGY else decimal_of(volume)
        quantity = _part(amount, fraction) - _part(amount, start_fraction)
        if quantity:
            self.lines.append([dimension, component, reservation, index, begin, moment, quantity])

    def context(self, moment, part_start, kwh, readings):
        pieces = self.pieces
        if pieces is None:
            sod = day = weekday = 0
        else:
            offset = self.offset
            if offset is None:  # the offset changes during the session
                offset = pieces[0][1]
                for since, piece_offset in pieces:
                    if since <= moment:
                        offset = piece_offset
            local = moment + offset
            day, sod = divmod(local, DAY)
            weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        return (
            sod,
            day,
            weekday,
            kwh,
            moment - part_start,
            *readings,
            self.expired,
        )

    # -- where restrictions can change --------------------------------------------------------

    def time_changes(self, part_start: int) -> list[int]:
        """The instants inside the session where a time of day or a duration (counted from
        `part_start`) that a restriction names is reached, in order."""
        durations = self.compiled.duration_thresholds
        if not durations:
            return self.local_instants
        found = set(self.local_instants)
        found.update(part_start + d for d in durations if self.start < part_start + d < self.end)
        return sorted(found)

    def cuts(self, begin, finish, changes, energy, kwh_before) -> Sequence[tuple[Decimal, int]]:
        """Where the portion [begin, finish) is cut: (fraction, instant) in order."""
        compiled = self.compiled
        kwh_cuts = energy and compiled.kwh_thresholds
        instants = changes[bisect_right(changes, begin) : bisect_left(changes, finish)]
        if not instants and not kwh_cuts:
            return ()
        width = finish - begin
        cuts = [(Decimal(m - begin) / width, m) for m in instants]
        if not kwh_cuts:
            # Distinct instants in order, strictly inside the portion (no session is long
            # enough for a 28-digit quotient to reach 0 or 1 or to make two of them equal).
            return cuts
        low, high = sorted((kwh_before, kwh_before + energy))
        for threshold in compiled.kwh_thresholds:
            if low < threshold < high:
                fraction = (threshold - kwh_before) / energy
                step = (fraction * width).to_integral_value(ROUND_CEILING)
                cuts.append((fraction, begin + int(step)))
        if len(cuts) > 1:
            cuts.sort()
            cuts = [c for i, c in enumerate(cuts) if i == 0 or c[0] != cuts[i - 1][0]]
        return [c for c in cuts if ZERO < c[0] < ONE]


def _mixed_portions(index: int, row: list, finish: int, kwh: Decimal, energy: Decimal) -> list:
    """The portions of a period with reservation or parking time beside other dimensions:
    reservation, charging, parking, each its share of the period's duration."""
    begin = row[_START]
    width = finish - begin
    time, parking, reservation = decimal_of(row[_TIME]), row[_PARKING], row[_RESERVATION]
    parts = []
    if reservation:
        parts.append((RES, reservation))
    if time or energy:
        parts.append((CHG, time or ZERO))
    if parking:
        parts.append((PARK, parking))
    portions = []
    cursor = begin
    last = len(parts) - 1
    total = (reservation or ZERO) + (time or ZERO) + (parking or ZERO)
    for position, (kind, volume) in enumerate(parts):
        if position == last:
            stop = finish
        elif total:
            stop = cursor + int(width * volume / total)
        else:
            stop = cursor
        charging = kind == CHG
        before = kwh + energy if kind == PARK else kwh
        portions.append(
            (kind, index, cursor, stop, volume, energy if charging else ZERO, before, row)
        )
        cursor = stop
    return portions


def _local_instants(
    pieces: list[tuple[int, int]], start: int, end: int, boundaries: tuple[int, ...]
) -> list[int]:
    """The instants strictly inside (start, end), in order, where a local time of day that a
    restriction names falls or the clock jumps: a session's periods are cut only there."""
    if len(pieces) == 1:  # one offset throughout (the common case)
        offset = pieces[0][1]
        return [
            local - offset for local in _local_boundaries(start + offset, end + offset, boundaries)
        ]
    found = set()
    for position, (since, offset) in enumerate(pieces):
        until = pieces[position + 1][0] if position + 1 < len(pieces) else end
        low, high = max(start, since), min(end, until)
        if low >= high:
            continue
        if since > start:
            found.add(since)  # the clock jumps: a boundary may be crossed here
        for local in _local_boundaries(low + offset, high + offset, boundaries):
            found.add(local - offset)
    return sorted(found)


def _local_boundaries(low: int, high: int, boundaries: tuple[int, ...]) -> list[int]:
    """The local instants strictly inside (low, high) that fall on a time-of-day boundary."""
    found = []
    base = low - low % DAY
    while base < high:
        for boundary in boundaries:
            local = base + boundary
            if local >= high:
                break
            if local > low:
                found.append(local)
        base += DAY
    return found
