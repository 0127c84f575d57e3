"""Pricing engine throughput: typical CDRs priced per second on one core, against json.loads.

The typical CDR: a tariff of 3 elements with time-of-day and power restrictions, 6 charging
periods, one of which crosses a tariff boundary (23:00 local) and is split. Each iteration
prices the CDR from its JSON dict (periods parsed, priced, rounded: the totals billing needs).

A parsed Tariff compiles itself on first use and keeps the compiled form (`tariff.compiled`), so
the figures are given both ways: warm (the tariff parsed and compiled once, then many CDRs
priced against it: the rating worker's steady state, which keeps parsed tariffs in a cache) and
cold (the tariff parsed and compiled again for every CDR: the first CDR against a tariff).
A further row builds the PriceLine objects, which the engine makes only when asked, and one
times the rating path's pure part (billing.services.rating without the database): the driver's
price by a pass-through plan, the CPO's price, the reconciliation total and the invoice lines.
The floor is `json.loads` of the same CDR's JSON text.

Rates are CPU time of this process (time.process_time), so that other load on the machine
does not count; median of the runs.
"""

from __future__ import annotations

import json
import statistics
import time
from decimal import Decimal

from billing.invoice_lines import invoice_lines
from tariffs.pricing import cdr_price, tariff_parse, tariff_with_markup

TIME_ZONE = "Europe/Amsterdam"
TARIFF = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "TYPICAL-1",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.59, "vat": 21.0, "step_size": 1},
                {"type": "FLAT", "price": 0.50, "vat": 21.0, "step_size": 1},
            ],
            "restrictions": {"min_power": 50.0},
        },
        {
            "price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21.0, "step_size": 1}],
            "restrictions": {"start_time": "07:00", "end_time": "23:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.29, "vat": 21.0, "step_size": 1},
                {"type": "FLAT", "price": 0.35, "vat": 21.0, "step_size": 1},
                {"type": "PARKING_TIME", "price": 2.0, "vat": 21.0, "step_size": 300},
            ]
        },
    ],
    "last_updated": "2024-01-01T00:00:00Z",
}


def _period(start: str, energy: float, hours: float, power: float) -> dict:
    return {
        "start_date_time": start,
        "dimensions": [
            {"type": "ENERGY", "volume": energy},
            {"type": "TIME", "volume": hours},
            {"type": "MIN_POWER", "volume": power * 0.9},
            {"type": "MAX_POWER", "volume": power},
        ],
        "tariff_id": "TYPICAL-1",
    }


CDR = {
    "country_code": "NL",
    "party_id": "CPO",
    "id": "CDR-0001",
    "start_date_time": "2024-03-14T20:30:00Z",
    "end_date_time": "2024-03-14T23:00:00Z",
    "session_id": "SESSION-0001",
    "cdr_token": {
        "country_code": "NL",
        "party_id": "EMS",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "NL-EMS-C12345678-X",
    },
    "auth_method": "AUTH_REQUEST",
    "cdr_location": {
        "id": "LOC1",
        "name": "Stationsplein",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511 ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.089444", "longitude": "5.110278"},
        "evse_uid": "3256",
        "evse_id": "NL*CPO*E3256",
        "connector_id": "1",
        "connector_standard": "IEC_62196_T2_COMBO",
        "connector_format": "CABLE",
        "connector_power_type": "DC",
    },
    "currency": "EUR",
    "tariffs": [TARIFF],
    "charging_periods": [
        _period("2024-03-14T20:30:00Z", 8.5, 0.25, 34.0),
        _period("2024-03-14T20:45:00Z", 10.2, 0.25, 41.0),
        _period("2024-03-14T21:00:00Z", 6.1, 0.25, 24.4),
        _period("2024-03-14T21:15:00Z", 3.0, 0.5, 6.0),
        _period("2024-03-14T21:45:00Z", 2.2, 0.5, 4.4),  # crosses 23:00 local: split
        {
            "start_date_time": "2024-03-14T22:15:00Z",
            "dimensions": [{"type": "PARKING_TIME", "volume": 0.75}],
            "tariff_id": "TYPICAL-1",
        },
    ],
    "total_cost": {"excl_vat": 10.19, "incl_vat": 12.33},
    "total_energy": 30.0,
    "total_time": 2.5,
    "total_parking_time": 0.75,
    "last_updated": "2024-03-14T23:01:00Z",
}


# billing.pricing.PERIOD_FIELDS: what the rating passes the engine from a CDR.
PERIOD_FIELDS = ("start_date_time", "end_date_time", "charging_periods")


def _rate(function, count: int, repeats: int) -> float:
    """Calls per second of CPU time, median of `repeats` runs of `count` calls."""
    rates = []
    for _ in range(repeats):
        begin = time.process_time()
        for _ in range(count):
            function()
        rates.append(count / (time.process_time() - begin))
    return statistics.median(rates)


def _row(what: str, rate: float) -> str:
    return f"| {what} | {rate:,.0f} | {1e6 / rate:.1f} µs |\n"


def run(count: int = 20_000, repeats: int = 5) -> str:
    text = json.dumps(CDR)
    tariff = tariff_parse(TARIFF)
    cdr = json.loads(text)
    # A pass-through plan: the CPO tariff + 10 % + 0.05/kWh, built once (the worker caches it).
    driver_tariff = tariff_with_markup(
        tariff, percent=Decimal(10), per_kwh=Decimal("0.05"), vat=Decimal(21)
    )

    def price() -> None:
        cdr_price(tariff, cdr, time_zone=TIME_ZONE).rounded()

    def price_with_lines() -> None:
        cdr_price(tariff, cdr, time_zone=TIME_ZONE).rounded().lines  # noqa: B018

    def price_cold() -> None:
        cdr_price(tariff_parse(TARIFF), cdr, time_zone=TIME_ZONE).rounded()

    def rate() -> None:
        periods = {key: cdr.get(key) for key in PERIOD_FIELDS}
        driver = cdr_price(driver_tariff, periods, time_zone=TIME_ZONE)
        cpo = cdr_price(tariff, {**periods, "currency": cdr["currency"]}, time_zone=TIME_ZONE)
        cpo.rounded().total_cost  # noqa: B018 - the reconciliation's figure
        invoice_lines(driver)

    price()
    rate()
    priced = _rate(price, count, repeats)
    with_lines = _rate(price_with_lines, count, repeats)
    cold = _rate(price_cold, count // 4, repeats)
    rated = _rate(rate, count // 2, repeats)
    loads = _rate(lambda: json.loads(text), count, repeats)
    ratio = loads / priced
    result = cdr_price(tariff, cdr, time_zone=TIME_ZONE).rounded()
    return (
        f"{count:,} CDRs per run (cold: {count // 4:,}, rating: {count // 2:,}), median of "
        f"{repeats} runs, one process, CPU time. CDR: 6 charging periods ({len(text):,} bytes of "
        "JSON), tariff of 3 elements with time-of-day and power restrictions; priced total "
        f"{result.total_cost.excl_vat} / {result.total_cost.incl_vat} EUR in "
        f"{len(result.lines)} lines.\n\n"
        "| what | per second | per CDR |\n| --- | ---: | ---: |\n"
        + _row("price one CDR, tariff compiled once (`cdr_price(...).rounded()`, warm)", priced)
        + _row("the same, line objects built (`.lines`)", with_lines)
        + _row("cold: tariff parsed and compiled for each CDR (`tariff_parse` + the same)", cold)
        + _row(
            "rating's pure part: driver price by a pass-through plan, CPO price, "
            "reconciliation total, invoice lines",
            rated,
        )
        + _row("`json.loads` of the same CDR", loads)
        + f"| ratio (warm pricing time / json.loads time) | {ratio:.2f}x | target <= 5x |\n"
    )


if __name__ == "__main__":
    print(run())
