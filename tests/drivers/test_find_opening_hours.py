"""Open or closed at a moment, from OCPI opening_times in the Location's time zone (pure code)."""

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from drivers.opening_hours import is_open, week_hours

WEEKDAYS_8_TO_20 = {
    "twentyfourseven": False,
    "regular_hours": [
        {"weekday": day, "period_begin": "08:00", "period_end": "20:00"} for day in range(1, 6)
    ],
}
NIGHT_SHIFT = {  # Friday 22:00 to Saturday 06:00
    "twentyfourseven": False,
    "regular_hours": [{"weekday": 5, "period_begin": "22:00", "period_end": "06:00"}],
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "zone", "moment", "expected"),
    [
        (None, "Europe/Amsterdam", "2026-11-25T03:00", True),
        ({"twentyfourseven": True}, "Europe/Amsterdam", "2026-11-25T03:00", True),
        # Wednesday 25 November 2026: 07:30 UTC is 08:30 in Amsterdam (UTC+1), 02:30 in New York.
        (WEEKDAYS_8_TO_20, "Europe/Amsterdam", "2026-11-25T07:30", True),
        (WEEKDAYS_8_TO_20, "America/New_York", "2026-11-25T07:30", False),
        (WEEKDAYS_8_TO_20, "Europe/Amsterdam", "2026-11-25T06:59", False),
        (WEEKDAYS_8_TO_20, "Europe/Amsterdam", "2026-11-25T19:00", False),  # 20:00 local: closed
        (WEEKDAYS_8_TO_20, "Europe/Amsterdam", "2026-11-28T10:00", False),  # Saturday
        (NIGHT_SHIFT, "UTC", "2026-11-27T23:00", True),  # Friday night
        (NIGHT_SHIFT, "UTC", "2026-11-28T05:59", True),  # Saturday early, begun Friday
        (NIGHT_SHIFT, "UTC", "2026-11-28T06:00", False),
        (NIGHT_SHIFT, "UTC", "2026-11-27T21:00", False),
    ],
    ids=[
        "no-hours-is-open",
        "24-7",
        "amsterdam-morning",
        "same-instant-new-york-night",
        "before-opening",
        "at-closing",
        "weekend",
        "overnight-before-midnight",
        "overnight-after-midnight",
        "overnight-end",
        "overnight-not-yet",
    ],
)
def test_open_at_a_moment_in_the_location_s_time_zone(hours, zone, moment, expected):
    assert is_open(hours, zone, utc(moment)) is expected


def test_an_exceptional_closing_closes_even_a_24_7_location():
    hours = {
        "twentyfourseven": True,
        "exceptional_closings": [
            {"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"}
        ],
    }
    assert is_open(hours, "UTC", utc("2026-12-25T12:00")) is False
    assert is_open(hours, "UTC", utc("2026-12-26T00:00")) is True


def test_an_exceptional_opening_opens_outside_the_regular_hours():
    hours = {
        **WEEKDAYS_8_TO_20,
        "exceptional_openings": [
            {"period_begin": "2026-11-28T09:00:00Z", "period_end": "2026-11-28T13:00:00Z"}
        ],
    }
    assert is_open(hours, "Europe/Amsterdam", utc("2026-11-28T10:00")) is True
    assert is_open(hours, "Europe/Amsterdam", utc("2026-11-28T14:00")) is False


def test_malformed_hours_are_ignored_not_raised():
    hours = {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": "x", "period_begin": "8", "period_end": None}, "junk"],
        "exceptional_closings": [{"period_begin": "not a date"}],
    }
    assert is_open(hours, "Not/AZone", utc("2026-11-25T10:00")) is False


def test_the_week_reads_from_monday_with_closed_days_empty():
    week = week_hours(WEEKDAYS_8_TO_20)
    assert [day.weekday for day in week] == [1, 2, 3, 4, 5, 6, 7]
    assert week[0].periods == (("08:00", "20:00"),)
    assert week[6].periods == ()
    assert week_hours({"twentyfourseven": True}) == []


def test_the_module_is_pure():
    code = "import sys, drivers.opening_hours; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
