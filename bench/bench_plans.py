"""Driver prices from the database: CDRs rated per second with `cdr_driver_price` (the billing
worker's call), live session costs, and price previews; queries per call, warm and cold cache.

A throwaway database (`bench_<name>`) gets one CPO with BENCH_PLANS_LOCATIONS (default 50)
Locations, each with an AC and a DC connector and tariffs of 3 elements (time-of-day and power
restrictions), a driver on a subscription plan with per-power-class rules, and one CDR of 6
charging periods per Location. Each row prices every CDR in turn for BENCH_PLANS_SECONDS
(default 5) seconds on one core, in-process (no HTTP). "cold" empties the parsed-tariff cache
before each call (every tariff parsed and compiled again), "warm" is the steady state.
Target: a CDR rating in a handful of queries and well under 10 ms warm.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from bench.bench_pricing import CDR as TYPICAL_CDR
from bench.bench_pricing import TARIFF as TYPICAL_TARIFF
from bench.bench_roaming import _setup_database

START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def _seed(locations: int):
    from drivers.models import User
    from drivers.services import token_rfid_add
    from roaming.models import CDR, Partner, PartnerRole, Session
    from roaming.services.cdrs import cdr_post
    from roaming.services.locations import location_put
    from roaming.services.sessions import session_put
    from tariffs.models import PlanSubscription, PricePlan, PricePlanRule
    from tariffs.services import tariff_put

    partner = Partner.objects.create(name="Bench CPO", status=Partner.Status.CONNECTED)
    PartnerRole.objects.create(
        partner=partner, role="CPO", country_code="NL", party_id="CPO", business_details={}
    )
    for tariff_id in ("AC", "DC"):
        tariff_put(partner=partner, data={**TYPICAL_TARIFF, "id": tariff_id})
    user = User.objects.create_user("bench-driver@example.org", "bench-password-2026")
    token = token_rfid_add(user=user, uid="04BE0C0001")
    plan = PricePlan.objects.create(name="Bench plan", monthly_fee=Decimal("4.99"))
    for power_class, price in (("DC", 0.45), ("HPC", 0.55)):
        PricePlanRule.objects.create(
            plan=plan,
            scope="power_class",
            power_class=power_class,
            method="own_tariff",
            tariff={
                "currency": "EUR",
                "elements": [
                    {"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}
                ],
            },
        )
    PlanSubscription.objects.create(
        user=token.user, plan=plan, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    for number in range(locations):
        location_put(partner=partner, data=_location(f"L{number}"))
        body = {**TYPICAL_CDR, **_cdr_identity(f"L{number}", token, number)}
        cdr_post(partner=partner, data=body)
        session_put(partner=partner, data=_session(f"L{number}", token, number))
    cdrs = list(CDR.objects.all())
    sessions = list(Session.objects.all())
    return cdrs, sessions, token.user


def _location(location_id: str) -> dict:
    stamp = "2026-01-01T00:00:00Z"
    connector = {
        "standard": "IEC_62196_T2", "format": "CABLE", "max_voltage": 230,
        "max_amperage": 32, "last_updated": stamp,
    }  # fmt: skip
    return {
        "country_code": "NL", "party_id": "CPO", "id": location_id, "publish": True,
        "address": "Stationsplein 1", "city": "Amsterdam", "country": "NLD",
        "coordinates": {"latitude": "52.379189", "longitude": "4.899431"},
        "time_zone": "Europe/Amsterdam", "last_updated": stamp,
        "evses": [{
            "uid": "E1", "status": "AVAILABLE", "last_updated": stamp,
            "connectors": [
                {**connector, "id": "1", "power_type": "AC_3_PHASE",
                 "max_electric_power": 22000, "tariff_ids": ["AC"]},
                {**connector, "id": "2", "power_type": "DC",
                 "max_electric_power": 150000, "tariff_ids": ["DC"]},
            ],
        }],
    }  # fmt: skip


def _token_part(token) -> dict:
    return {
        "country_code": "NL", "party_id": "EMS", "uid": token.uid,
        "type": token.type, "contract_id": token.contract_id,
    }  # fmt: skip


def _cdr_identity(location_id: str, token, number: int) -> dict:
    return {
        "country_code": "NL", "party_id": "CPO", "id": f"CDR-{number}",
        "cdr_token": _token_part(token), "auth_method": "WHITELIST",
        "cdr_location": {
            "id": location_id, "address": "Stationsplein 1", "city": "Amsterdam",
            "country": "NLD", "coordinates": {"latitude": "52.379189", "longitude": "4.899431"},
            "evse_uid": "E1", "evse_id": "NL*CPO*E1", "connector_id": "1",
            "connector_standard": "IEC_62196_T2", "connector_format": "CABLE",
            "connector_power_type": "AC_3_PHASE",
        },
        "total_cost": {"excl_vat": 10}, "total_energy": 20, "total_time": 3,
        "last_updated": "2026-03-11T00:00:00Z",
    }  # fmt: skip


def _session(location_id: str, token, number: int) -> dict:
    return {
        "country_code": "NL", "party_id": "CPO", "id": f"S-{number}",
        "start_date_time": TYPICAL_CDR["start_date_time"], "kwh": 20,
        "cdr_token": _token_part(token), "auth_method": "WHITELIST",
        "location_id": location_id, "evse_uid": "E1", "connector_id": "2",
        "currency": "EUR", "status": "ACTIVE",
        "charging_periods": TYPICAL_CDR["charging_periods"],
        "last_updated": "2026-03-11T00:00:00Z",
    }  # fmt: skip


def _measure(call, items, seconds: float, before=None) -> tuple[int, float, float, float]:
    """(calls, per second, p50 ms, queries per call) of `call(item)` over `items` in turn."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    durations = []
    with CaptureQueriesContext(connection) as queries:
        deadline = time.perf_counter() + seconds
        index = 0
        while time.perf_counter() < deadline:
            if before is not None:
                before()
            began = time.perf_counter()
            call(items[index % len(items)])
            durations.append(time.perf_counter() - began)
            index += 1
    total = sum(durations)
    return (
        len(durations),
        len(durations) / total,
        statistics.median(durations) * 1000,
        len(queries) / len(durations),
    )


def run() -> str:
    seconds = float(os.environ.get("BENCH_PLANS_SECONDS", "5"))
    locations = int(os.environ.get("BENCH_PLANS_LOCATIONS", "50"))
    _database_url, old_name = _setup_database()
    from django.db import connection

    from tariffs.preview import price_preview_get
    from tariffs.pricing_service import (
        cdr_driver_price,
        connector_for_pricing_get,
        session_driver_price,
        tariff_cache_clear,
    )
    from tariffs.selectors import vat_rates_table

    try:
        cdrs, sessions, driver = _seed(locations)
        connectors = [connector_for_pricing_get(connector_id=c.pk) for c in _connectors()]
        vat_rates_table()
        now = datetime.fromisoformat(TYPICAL_CDR["end_date_time"])  # the sessions run until then

        def rate(cdr):
            return cdr_driver_price(cdr=cdr)

        def live(session):
            return session_driver_price(session=session, moment=now)

        def preview(connector):
            return price_preview_get(user=driver, connector=connector, start=START)

        rows = [
            ("CDR rating, cold cache", _measure(rate, cdrs, seconds, tariff_cache_clear)),
            ("CDR rating, warm cache", _measure(rate, cdrs, seconds)),
            ("live session cost, warm", _measure(live, sessions, seconds)),
            ("price preview, warm", _measure(preview, connectors, seconds)),
        ]
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    lines = [
        f"Setup: {locations} Locations (an AC and a DC connector each), one CDR and one Session "
        f"each; in-process on one core, {seconds:.0f} s per row; database `{connection.vendor}`.",
        "",
        "| call | calls | per second | p50 ms | queries per call |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (calls, rate, p50, queries) in rows:
        lines.append(f"| {name} | {calls} | {rate:.0f} | {p50:.2f} | {queries:.1f} |")
    lines += ["", "Target: a CDR rating in at most a handful of queries, well under 10 ms warm."]
    return "\n".join(lines)


def _connectors():
    from roaming.models import Connector

    return Connector.objects.order_by("pk")
