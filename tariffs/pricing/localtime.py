"""Instants as integer microseconds since the epoch (UTC), and the location's local time.

The engine works on integers: local time is the instant plus the zone's UTC offset, and the
offset is looked up in zoneinfo only at the ends of a session and, when they differ (or the
session is long), wherever the offset changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SessionError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
# When the offset is the same at both ends of a session shorter than this, no zone changes its
# offset in between: no zone has two transitions this close together.
_NO_DOUBLE_TRANSITION = 2 * DAY


def to_micros(moment: datetime) -> int:
    """An aware datetime as microseconds since 1970-01-01T00:00:00Z."""
    return (moment - EPOCH) // ONE_MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (e.g. Europe/Amsterdam); SessionError when unknown."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        raise SessionError("time_zone", f"{name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SessionError("time_zone", f"{name!r} is not an IANA time zone name") from exc


def offset_at(tz: ZoneInfo, micros: int) -> int:
    """The zone's UTC offset at an instant, in microseconds."""
    hourly = _hour_offset(tz, micros // HOUR)
    return _offset(tz, micros) if hourly is None else hourly


@lru_cache(maxsize=8192)
def _hour_offset(tz: ZoneInfo, hour: int) -> int | None:
    """The offset throughout one UTC hour, or None when it changes within that hour."""
    first = _offset(tz, hour * HOUR)
    return first if _offset(tz, hour * HOUR + HOUR - 1) == first else None


def _offset(tz: ZoneInfo, micros: int) -> int:
    offset = from_micros(micros).astimezone(tz).utcoffset()
    return 0 if offset is None else offset // ONE_MICROSECOND


def offset_pieces(tz: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """[(from, offset), ...]: the zone's offset from each instant on, covering [start, end]."""
    first = offset_at(tz, start)
    if end - start <= _NO_DOUBLE_TRANSITION and offset_at(tz, end) == first:
        return [(start, first)]
    pieces = [(start, first)]
    cursor, current = start, first
    while cursor < end:
        probe = min(cursor + DAY, end)
        offset = offset_at(tz, probe)
        if offset != current:
            pieces.append((_transition(tz, cursor, probe, current), offset))
            current = offset
        cursor = probe
    return pieces


def _transition(tz: ZoneInfo, low: int, high: int, before: int) -> int:
    """The first instant in (low, high] whose offset is no longer `before` (to the second)."""
    low_s, high_s = low // SECOND, -(-high // SECOND)
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _offset(tz, middle * SECOND) == before:
            low_s = middle
        else:
            high_s = middle
    return max(high_s * SECOND, low + 1)
