"""Charging periods as the engine reads them: rows of [start, ENERGY, TIME, PARKING_TIME,
RESERVATION_TIME, MIN_CURRENT, MAX_CURRENT, MIN_POWER, MAX_POWER] (start in microseconds since
the epoch, None where the period does not give a dimension)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import SessionError
from .localtime import ONE_MICROSECOND, from_micros, to_micros
from .parse import parse_date_time, parse_number

START, ENERGY, TIME, PARKING, RESERVATION = range(5)
MIN_CURRENT, MAX_CURRENT, MIN_POWER, MAX_POWER = range(5, 9)
_DIMENSION_SLOTS = {
    "ENERGY": ENERGY,
    "TIME": TIME,
    "PARKING_TIME": PARKING,
    "RESERVATION_TIME": RESERVATION,
    "MIN_CURRENT": MIN_CURRENT,
    "MAX_CURRENT": MAX_CURRENT,
    "MIN_POWER": MIN_POWER,
    "MAX_POWER": MAX_POWER,
}
# Session-only CdrDimensionTypes: valid in a Session's periods, not used for pricing.
_IGNORED_DIMENSIONS = frozenset(
    {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}
)
TIME_SLOTS = (TIME, PARKING, RESERVATION)
_INFINITY = float("inf")
_EPOCH_NAIVE = datetime(1970, 1, 1)  # noqa: DTZ001 - compared with naive UTC readings


@dataclass(frozen=True, slots=True)
class ChargingPeriod:
    """An OCPI ChargingPeriod: energy in kWh, times in hours, current in A, power in kW.

    A period ends where the next one starts (the last one at the session's end). When a period
    gives none of time, parking_time and reservation_time, its whole duration is charging time.
    """

    start_date_time: datetime
    energy: Decimal | None = None
    time: Decimal | None = None
    parking_time: Decimal | None = None
    reservation_time: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None

    @classmethod
    def from_ocpi(cls, data: Mapping[str, Any], path: str = "charging_period") -> ChargingPeriod:
        row = _period_row(data, path)
        names = [f.name for f in fields(cls)][1:]
        values = [decimal_of(value) for value in row[1:]]
        return cls(from_micros(row[0]), **dict(zip(names, values, strict=True)))


def rows_read(periods: list[Any]) -> list[list[Any]]:
    """The rows of a CDR's charging_periods (SessionError naming the field if malformed)."""
    rows = _rows_quickly(periods)
    if rows is None:  # something unusual: the validating path says what
        rows = [_period_row(p, f"charging_periods[{i}]") for i, p in enumerate(periods)]
    return rows


def _rows_quickly(periods: list[Any]) -> list[list[Any]] | None:
    """The rows of well-formed periods in the common shape, read with the least work; None at
    the first thing out of the ordinary (then `_period_row` validates and explains)."""
    rows = []
    slots = _DIMENSION_SLOTS
    read_stamp = datetime.fromisoformat
    try:
        for data in periods:
            stamp = data["start_date_time"]
            if len(stamp) != 20 or stamp[19] != "Z" or stamp[10] != "T":
                return None
            if stamp[7] != "-" or stamp[13] != ":" or stamp[16] != ":":
                return None
            row: list[Any] = [
                (read_stamp(stamp[:19]) - _EPOCH_NAIVE) // ONE_MICROSECOND,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ]
            for dimension in data["dimensions"]:
                slot = slots[dimension["type"]]
                volume = dimension["volume"]
                if row[slot] is not None:
                    return None
                if type(volume) is float:
                    if not -_INFINITY < volume < _INFINITY:  # NaN or infinite
                        return None
                    # Readings and charging time are read as Decimal only where used.
                    if slot >= MIN_CURRENT:
                        row[slot] = volume
                    elif slot == ENERGY:
                        row[slot] = Decimal(repr(volume))
                    elif volume < 0:
                        return None
                    else:
                        row[slot] = volume if slot == TIME else Decimal(repr(volume))
                elif type(volume) is int:
                    if volume < 0 and ENERGY != slot < MIN_CURRENT:
                        return None
                    row[slot] = Decimal(volume)
                else:
                    return None
            rows.append(row)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None
    return rows


def _period_row(data: Any, path: str) -> list[Any]:
    if type(data) is not dict and not isinstance(data, Mapping):
        raise SessionError(path, "must be a ChargingPeriod object")
    row: list[Any] = [None] * 9
    row[START] = micros_of(data.get("start_date_time"), f"{path}.start_date_time")
    dimensions = data.get("dimensions")
    if type(dimensions) is not list:
        raise SessionError(f"{path}.dimensions", "must be a list of CdrDimensions")
    for i, dimension in enumerate(dimensions):
        if type(dimension) is not dict and not isinstance(dimension, Mapping):
            raise SessionError(f"{path}.dimensions[{i}]", "must be a CdrDimension object")
        kind = dimension.get("type")
        slot = _DIMENSION_SLOTS.get(kind) if type(kind) is str else None
        if slot is None:
            if kind in _IGNORED_DIMENSIONS:
                continue
            raise SessionError(
                f"{path}.dimensions[{i}].type", f"{kind!r} is not a CdrDimensionType"
            )
        if row[slot] is not None:
            raise SessionError(
                f"{path}.dimensions[{i}].type", f"{kind} appears twice in this period"
            )
        volume = dimension.get("volume")
        if type(volume) is float and volume == volume and abs(volume) != _INFINITY:
            if slot >= MIN_CURRENT:  # read as Decimal only if a restriction needs it
                row[slot] = volume
                continue
            volume = Decimal(repr(volume))
        else:
            volume = parse_number(volume, f"{path}.dimensions[{i}].volume", SessionError)
        if slot in TIME_SLOTS and volume < 0:
            raise SessionError(f"{path}.dimensions[{i}].volume", "must be >= 0")
        row[slot] = volume
    return row


def micros_of(value: Any, path: str) -> int:
    """An OCPI DateTime as microseconds since the epoch; the common "...T12:00:00Z" shape is
    read directly."""
    if (
        type(value) is str
        and len(value) == 20
        and value[19] == "Z"
        and value[10] == "T"
        and value[13] == ":"
        and value[16] == ":"
    ):
        try:
            return (datetime.fromisoformat(value[:19]) - _EPOCH_NAIVE) // ONE_MICROSECOND
        except ValueError:
            pass
    return to_micros(parse_date_time(value, path, SessionError))


def decimal_of(value: Any) -> Any:
    """A volume kept as the float JSON gave, read as a Decimal (by its repr) where it is used."""
    return Decimal(repr(value)) if type(value) is float else value
