"""Whether a Location is open at a moment, from its OCPI `opening_times` (Hours object), read in
the Location's own time zone. Pure Python (no Django): the find selectors and pages call it.

OCPI rules kept: `twentyfourseven` opens always; otherwise `regular_hours` (weekday 1 = Monday,
"HH:MM" local, a period ending before it begins runs past midnight, "24:00" or "00:00" as the end
means midnight). `exceptional_closings` win over everything, `exceptional_openings` open outside
the regular hours. No `opening_times` at all means the CPO states no limits: open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class DayHours:
    """One weekday's regular periods, for display: weekday 1..7 and ("HH:MM", "HH:MM") pairs."""

    weekday: int
    periods: tuple[tuple[str, str], ...]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _minutes(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    total = int(hours) * 60 + int(minutes)
    return total if 0 <= total <= 24 * 60 else None


def _within(periods: Any, moment: datetime) -> bool:
    for period in periods if isinstance(periods, list) else ():
        if not isinstance(period, Mapping):
            continue
        begin, end = _moment(period.get("period_begin")), _moment(period.get("period_end"))
        if begin is not None and end is not None and begin <= moment < end:
            return True
    return False


def _regular_open(regular_hours: Any, local: datetime) -> bool:
    weekday = local.isoweekday()
    yesterday = 7 if weekday == 1 else weekday - 1
    now = local.hour * 60 + local.minute
    for period in regular_hours if isinstance(regular_hours, list) else ():
        if not isinstance(period, Mapping):
            continue
        begin, end = _minutes(period.get("period_begin")), _minutes(period.get("period_end"))
        day = period.get("weekday")
        if begin is None or end is None or not isinstance(day, int):
            continue
        if end == 0:
            end = 24 * 60
        if begin < end:
            if day == weekday and begin <= now < end:
                return True
        elif (day == weekday and now >= begin) or (day == yesterday and now < end):
            return True  # past midnight: begun today, or begun yesterday and not yet ended
    return False


def is_open(opening_times: Mapping[str, Any] | None, time_zone: str, moment: datetime) -> bool:
    """Whether a Location with these `opening_times` (OCPI Hours as JSON) in `time_zone` is open
    at `moment` (aware). Malformed parts are ignored rather than raising."""
    if not isinstance(opening_times, Mapping):
        return True
    moment = moment.astimezone(UTC)
    if _within(opening_times.get("exceptional_closings"), moment):
        return False
    if opening_times.get("twentyfourseven") is True:
        return True
    if _within(opening_times.get("exceptional_openings"), moment):
        return True
    return _regular_open(opening_times.get("regular_hours"), moment.astimezone(_zone(time_zone)))


def week_hours(opening_times: Mapping[str, Any] | None) -> list[DayHours]:
    """The regular hours per weekday (Monday first), periods sorted; empty for 24/7 or none."""
    if not isinstance(opening_times, Mapping) or opening_times.get("twentyfourseven") is True:
        return []
    days: dict[int, list[tuple[str, str]]] = {day: [] for day in range(1, 8)}
    for period in opening_times.get("regular_hours") or ():
        if not isinstance(period, Mapping):
            continue
        day = period.get("weekday")
        begin, end = period.get("period_begin"), period.get("period_end")
        if day in days and _minutes(begin) is not None and _minutes(end) is not None:
            days[day].append((begin, end))
    return [DayHours(day, tuple(sorted(periods))) for day, periods in days.items()]
