"""Driver: "locations near me" through the API, against the same query in raw SQL (the floor),
and the Location detail page. PostgreSQL only (the earthdistance index is what is measured).

A throwaway database (`bench_<name>`) gets BENCH_DRIVER_LOCATIONS Locations (default 20,000, about
3 EVSEs of 2 connectors each; a third of them around four Dutch city centres, the rest spread
over the Netherlands), written with COPY (roaming.bulk), one CPO tariff and a driver. gunicorn
serves the app (as deployed, gunicorn.conf.py; or BENCH_DRIVER_WORKERS sync workers); `wrk`
with BENCH_DRIVER_CLIENTS connections (default 20) asks GET /api/v1/locations for points
around Amsterdam (5 km, two filters: Type 2 and available now; 20 per page) for
BENCH_DRIVER_SECONDS (default 20) after a
warm-up. The floor is the same query (the page of 20 with the count of all matches) in raw SQL
from as many threads, each on its own connection; and the same from pgbench (C clients, as many
connections): what the database alone takes, with no Python on the client side. Then the
detail page of Locations around Amsterdam, one client. Targets: API p95 < 50 ms and within 5x
of the floor's p95; detail page p95 < 100 ms.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.bench_roaming import _percentile, _serve, _setup_database
from bench.load import LoadResult, gunicorn_workers, lua_string, wrk_run
from tests.processes import free_port

LOCATIONS = int(os.environ.get("BENCH_DRIVER_LOCATIONS", "20000"))
CITIES = [(52.3731, 4.8926), (51.9225, 4.4792), (52.0907, 5.1214), (52.0705, 4.3007)]
AMSTERDAM = CITIES[0]
STANDARD = "IEC_62196_T2"
KEY = f"% {STANDARD}:available %"  # search keys: a Type 2 connector, available
PASSWORD = "bench-driver-password-1"
# The API's query (drivers.selectors_find.location_search_page): the matches counted, sorted and
# cut to the page of 20 on narrow rows (the count and newest change of all of them riding along
# as window functions), then the page's rows read whole; the point and the radius's chord
# computed in Python, as the API does.
_MATCHES = """
SELECT m.id, cube_distance({point}, m.earth) AS earth_chord,
       count(*) OVER () AS match_count, max(m.updated_at) OVER () AS match_saved
FROM roaming_location m
WHERE m.publish AND m.shown_to_drivers
  AND cube_enlarge({point}, {chord}, 3) @> m.earth
  AND cube_distance({point}, m.earth) <= {chord}
  AND m.search_keys LIKE {key}
ORDER BY earth_chord, m.id
LIMIT 20
"""
_PAGE = """
SELECT l.id, l.name, l.address, l.city, l.postal_code, l.country, l.latitude, l.longitude,
       l.time_zone, l.operator_name, l.opening_times, l.last_updated, l.evse_count,
       l.available_count, l.max_power_w, l.standards,
       page.earth_chord, page.match_count, page.match_saved
FROM ({matches}) page JOIN roaming_location l ON l.id = page.id
ORDER BY page.earth_chord, page.id
"""
FLOOR_SQL = _PAGE.format(
    matches=_MATCHES.format(point="%(point)s::cube", chord="%(chord)s", key="%(key)s")
)
# The same for pgbench, which has no trigonometry: earthdistance makes the point (once per
# query, of constants) from a random offset around Amsterdam, as the API's points are spread.
PGBENCH_SCRIPT = (
    """\\set dlat random(-30000, 30000)
\\set dlng random(-50000, 50000)
"""
    + " ".join(
        _PAGE.format(
            matches=_MATCHES.format(
                point=f"ll_to_earth({AMSTERDAM[0]} + :dlat / 1e6, {AMSTERDAM[1]} + :dlng / 1e6)",
                chord="5000",
                key="'" + KEY + "'",
            )
        ).split()
    )
    + ";\n"
)


def _seed(count: int) -> tuple[str, list[int]]:
    """Locations, EVSEs and connectors (COPY), a tariff, a driver: (email, ids near Amsterdam)."""
    from allauth.account.models import EmailAddress
    from django.db import connection, transaction

    from drivers.models import User
    from roaming.bulk import rows_insert
    from roaming.models import EVSE, Connector, Location, Partner, PartnerRole
    from roaming.services.summaries import location_summaries_refresh
    from tariffs.services import tariff_put

    randomness = random.Random(6)
    partner = Partner.objects.create(name="Bench CPO", status="connected")
    PartnerRole.objects.create(partner=partner, role="CPO", country_code="NL", party_id="BCH")
    tariff_put(
        partner=partner,
        data={
            "country_code": "NL", "party_id": "BCH", "id": "T1", "currency": "EUR",
            "elements": [
                {"price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21, "step_size": 1}]}
            ],
            "last_updated": "2026-01-01T00:00:00Z",
        },
    )  # fmt: skip
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    hours = {
        "twentyfourseven": False,
        "regular_hours": [
            {"weekday": day, "period_begin": "07:00", "period_end": "22:00"} for day in range(1, 8)
        ],
    }
    with transaction.atomic():
        locations = []
        for number in range(count):
            if number % 3 == 0:
                centre = CITIES[number % len(CITIES)]
                latitude = randomness.gauss(centre[0], 0.05)
                longitude = randomness.gauss(centre[1], 0.08)
            else:
                latitude = randomness.uniform(51.0, 53.4)
                longitude = randomness.uniform(3.6, 7.0)
            shape = randomness.random()
            locations.append(
                Location(
                    partner=partner, country_code="NL", party_id="BCH", ocpi_id=f"L{number}",
                    raw={}, last_updated=moment, name=f"Charging hub {number}",
                    address=f"Straat {number}", city="Amsterdam", postal_code="1000 AA",
                    country="NLD", latitude=Decimal(f"{latitude:.7f}"),
                    longitude=Decimal(f"{longitude:.7f}"), time_zone="Europe/Amsterdam",
                    operator_name=("Allego", "Fastned", "Vattenfall", "Shell")[number % 4],
                    facilities=["CAFE"] if shape < 0.2 else [],
                    opening_times=hours if shape < 0.1 else None,
                )
            )  # fmt: skip
        rows_insert(Location, locations)
        evses = []
        for location in locations:
            for index in range(randomness.choice((2, 3, 4))):
                evses.append(
                    EVSE(
                        location=location, uid=f"{location.ocpi_id}-{index}",
                        evse_id=f"NL*BCH*E{location.pk}*{index}",
                        status=randomness.choices(
                            ("AVAILABLE", "CHARGING", "OUTOFORDER"), (6, 3, 1)
                        )[0],
                        raw={}, last_updated=moment,
                    )
                )  # fmt: skip
        rows_insert(EVSE, evses)
        connectors = []
        for evse in evses:
            fast = randomness.random() < 0.2
            for index, standard in enumerate(
                ("IEC_62196_T2_COMBO", "CHADEMO") if fast else (STANDARD, STANDARD)
            ):
                connectors.append(
                    Connector(
                        evse=evse, ocpi_id=str(index + 1), standard=standard,
                        format="CABLE" if fast else "SOCKET",
                        power_type="DC" if fast else "AC_3_PHASE",
                        max_voltage=920 if fast else 230, max_amperage=200 if fast else 32,
                        max_electric_power=(50000, 150000)[index] if fast else 22000,
                        tariff_ids=["T1"], raw={}, last_updated=moment,
                    )
                )  # fmt: skip
        rows_insert(Connector, connectors)
        # Written by COPY, not by the Locations receiver: summarised as it would have.
        location_summaries_refresh(location_ids=[location.pk for location in locations])
    with connection.cursor() as cursor:
        # The summaries' refresh left a dead version of every Location row: as autovacuum would.
        cursor.execute("VACUUM ANALYZE")
    user = User.objects.create_user("bench-finder@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    near = [
        location.pk
        for location in locations
        if abs(float(location.latitude) - AMSTERDAM[0]) < 0.04
        and abs(float(location.longitude) - AMSTERDAM[1]) < 0.06
    ]
    return user.email, near


def _points(count: int) -> list[tuple[float, float]]:
    randomness = random.Random(7)
    return [
        (
            AMSTERDAM[0] + randomness.uniform(-0.03, 0.03),
            AMSTERDAM[1] + randomness.uniform(-0.05, 0.05),
        )
        for _ in range(count)
    ]


def _load(clients: int, seconds: float, request: Callable[[Any, tuple], None], make: Callable):
    """`clients` threads, each with its own `make()` handle, calling `request` for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    points = _points(5000)

    def client(number: int) -> None:
        local, failed, sent = [], 0, 0
        handle = make()
        try:
            while time.monotonic() < stop:
                point = points[(number * 997 + sent) % len(points)]
                started = time.perf_counter()
                try:
                    request(handle, point)
                except Exception:  # counted, the load goes on
                    failed += 1
                local.append(time.perf_counter() - started)
                sent += 1
        finally:
            handle.close()
        with lock:
            latencies.extend(local)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


_API_LUA = r"""
paths = {PATHS}
headers = {["X-Session-Token"] = {TOKEN}}
function init(args)
  sent = thread_number * 997
end
function request()
  sent = sent + 1
  return wrk.format("GET", paths[(sent % #paths) + 1], headers)
end
"""


def _api_load(base: str, token: str, clients: int, seconds: float) -> LoadResult:
    """GET /api/v1/locations for points around Amsterdam from `wrk` with `clients` connections."""
    query = {"radius": "5", "standard": STANDARD, "available": "true", "limit": "20"}
    paths = [
        "/api/v1/locations?" + urlencode({"lat": f"{lat:.6f}", "lng": f"{lng:.6f}", **query})
        for lat, lng in _points(2000)
    ]
    lua = _API_LUA.replace("{PATHS}", "{" + ", ".join(lua_string(p) for p in paths) + "}")
    lua = lua.replace("{TOKEN}", lua_string(token))
    return wrk_run(base, lua, connections=clients, seconds=seconds, threads=2)


def _sql_request(database_url: str) -> tuple[Callable, Callable]:
    import psycopg

    from drivers.selectors_find import _chord_of, _earth_point

    def make():
        return psycopg.connect(database_url, autocommit=True)

    def request(conn, point: tuple[float, float]) -> None:
        values = {"point": _earth_point(*point), "chord": _chord_of(5000.0), "key": KEY}
        with conn.cursor() as cursor:
            cursor.execute(FLOOR_SQL, values)
            cursor.fetchall()

    return make, request


def _pgbench_load(database_url: str, clients: int, seconds: float) -> tuple[list[float], float]:
    """The floor's query from `pgbench` (C, one connection per client): the database alone, with
    no Python on the client side. ([], 0) when pgbench is not installed."""
    if shutil.which("pgbench") is None:
        return [], 0.0
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "search.sql"
        script.write_text(PGBENCH_SCRIPT)
        subprocess.run(
            ["pgbench", "--no-vacuum", f"--file={script}", f"--client={clients}", "--jobs=2",
             f"--time={max(1, round(seconds))}", "--log", f"--log-prefix={folder}/log",
             database_url],
            check=True, capture_output=True,
        )  # fmt: skip
        # Each line: client, transaction, latency in microseconds, script, epoch, microseconds.
        latencies = [
            int(line.split()[2]) / 1e6
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        ]
    return latencies, max(1, round(seconds))


def _row(name: str, latencies: list[float], elapsed: float | None, errors: int | str) -> str:
    median = statistics.median(latencies) * 1000
    rate = f"{len(latencies) / elapsed:.0f}" if elapsed else "-"
    return (
        f"| {name} | {len(latencies)} | {rate} | {median:.1f} | "
        f"{_percentile(latencies, 0.95):.1f} | {_percentile(latencies, 0.99):.1f} | {errors} |"
    )


def run() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "Not measured: needs PostgreSQL (set DATABASE_URL).\n"
    logging.getLogger("httpx").setLevel(logging.WARNING)
    seconds = float(os.environ.get("BENCH_DRIVER_SECONDS", "20"))
    warm_up = float(os.environ.get("BENCH_DRIVER_WARMUP", "5"))
    clients = int(os.environ.get("BENCH_DRIVER_CLIENTS", "20"))
    workers, running = gunicorn_workers("BENCH_DRIVER_WORKERS")
    database_url, old_name = _setup_database()
    from django.db import connection

    server = None
    os.environ.setdefault("API_RATE_PER_USER", "100000000/min")  # one driver, many requests
    os.environ.setdefault("API_RATE_PER_TOKEN", os.environ["API_RATE_PER_USER"])
    os.environ.setdefault("DJANGO_DEBUG", "false")
    # As in production (README): sessions and rate limits in a Redis cache of their own.
    os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("CACHE_KEY_PREFIX", f"bench-driver-{os.getpid()}")
    try:
        started = time.perf_counter()
        email, near_ids = _seed(LOCATIONS)
        seed_seconds = time.perf_counter() - started
        connection.close()
        port = free_port()
        server = _serve(database_url, port, workers)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(
            f"{base}/_allauth/app/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            timeout=60,  # the password hash takes its time on a busy machine
        )
        login.raise_for_status()
        token = login.json()["meta"]["session_token"]

        _api_load(base, token, clients, warm_up)
        api = _api_load(base, token, clients, seconds)
        make_sql, sql_request = _sql_request(database_url)
        _load(clients, min(warm_up, 2), sql_request, make_sql)
        floor, floor_errors, floor_elapsed = _load(clients, seconds, sql_request, make_sql)
        database, database_elapsed = _pgbench_load(database_url, clients, seconds)
        detail = []
        with httpx.Client(base_url=base, timeout=10) as http:
            for location_id in (near_ids * 3)[:300]:
                begun = time.perf_counter()
                response = http.get(f"/locations/{location_id}/")
                detail.append(time.perf_counter() - begun)
                if response.status_code != 200 or "EUR/kWh" not in response.text:
                    raise RuntimeError(f"detail page {location_id}: {response.status_code}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    api_p95, floor_p95 = api.p95_ms, _percentile(floor, 0.95)
    return "\n".join([
        f"Setup: {LOCATIONS} Locations (EVSEs, connectors by COPY in {seed_seconds:.0f} s); "
        f"gunicorn with {running} sync workers; the API loaded by `wrk` with {clients} "
        f"connections, the floor by {clients} Python threads each with its own connection and "
        f"by pgbench with {clients} clients, on the same machine, {seconds:.0f} s after a "
        f"{warm_up:.0f} s warm-up; points within ~4 km "
        "of Amsterdam "
        "centre, 5 km radius, filters standard=IEC_62196_T2 and available=true, 20 per page.",
        "",
        "| measure | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| API GET /api/v1/locations | {api.row()} |",
        _row("raw SQL, same query (floor)", floor, floor_elapsed, floor_errors),
        (
            _row("same query from pgbench (the database alone)", database, database_elapsed, 0)
            if database
            else "| same query from pgbench | not measured: pgbench is not installed |"
        ),
        _row("detail page /locations/{id}/ (sequential)", detail, None, 0),
        "",
        f"API p95 / floor p95: {api_p95 / floor_p95:.1f}x (goal: within 5x). "
        "Targets: API p95 < 50 ms; detail page p95 < 100 ms.",
    ])  # fmt: skip
