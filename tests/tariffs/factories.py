"""Builders for OCPI tariff and CDR dicts used by the pricing tests (no database)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

# The spec's example payloads: shared/ beside the repository (CI, /work/main), else /work/shared.
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "ocpi" / "2.2.1" / "examples"
if not EXAMPLES.exists():
    EXAMPLES = Path("/work/shared/ocpi/2.2.1/examples")
AMSTERDAM = "Europe/Amsterdam"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def component(kind: str, price, *, vat=None, step_size: int = 1) -> dict:
    data = {"type": kind, "price": price, "step_size": step_size}
    if vat is not None:
        data["vat"] = vat
    return data


def tariff_dict(*elements: dict, currency: str = "EUR", **extra) -> dict:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T1",
        "currency": currency,
        "elements": list(elements),
        "last_updated": "2024-01-01T00:00:00Z",
        **extra,
    }


def element(*components: dict, **restrictions) -> dict:
    data: dict = {"price_components": list(components)}
    if restrictions:
        data["restrictions"] = restrictions
    return data


def cdr_dict(start_local: str, segments, time_zone: str = AMSTERDAM, **extra) -> dict:
    """A CDR from local start time and segments [(minutes or timedelta, {dimension: volume})];
    the volume "t" stands for the segment's own duration in hours (exact Decimal)."""
    moment = datetime.fromisoformat(start_local).replace(tzinfo=ZoneInfo(time_zone))
    return cdr_from_utc(moment, segments, **extra)


def cdr_from_utc(moment: datetime, segments, **extra) -> dict:
    start = moment
    periods = []
    for minutes, dimensions in segments:
        duration = minutes if isinstance(minutes, timedelta) else timedelta(minutes=minutes)
        hours = Decimal(duration // timedelta(microseconds=1)) / 3_600_000_000
        periods.append(
            {
                "start_date_time": stamp(moment),
                "dimensions": [
                    {
                        "type": kind,
                        "volume": hours if volume == "t" else volume,
                    }
                    for kind, volume in dimensions.items()
                ],
            }
        )
        moment = moment + duration
    return {
        "start_date_time": stamp(start),
        "end_date_time": stamp(moment),
        "charging_periods": periods,
        **extra,
    }
