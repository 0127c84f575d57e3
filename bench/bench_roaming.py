"""Roaming: pulls from a CPO (our simulator) into PostgreSQL, and our receivers over HTTP.

Pulls (each measured phase in a fresh child process, `python -m bench.bench_roaming PHASE`, so
its peak RSS and CPU are its own; a database of its own beside DATABASE_URL, PostgreSQL only):
- full pull of BENCH_ROAMING_LOCATIONS locations (default 20,000: ~60,000 EVSEs, ~120,000
  connectors) at limit 500 into an empty database. Targets: under 60 s, under 400 MB;
- the floor: fetching and parsing (OCPI schema validation) the same pages, storing nothing.
  Goal: the full pull within 3x of it;
- incremental pull after 1 % of the locations changed: target under 3 s.
Floor and full pull run BENCH_ROAMING_ROUNDS times (default 3, the tables emptied between
rounds); the medians are reported, every round beside them.

Receivers: a throwaway database (`bench_<name>`) gets one CPO with 40 Locations of 4 EVSEs;
gunicorn serves the app (as deployed: gunicorn.conf.py, one sync worker per core; or
BENCH_ROAMING_WORKERS sync workers) and `wrk`, with each number of connections in
BENCH_ROAMING_CLIENTS (default 8,16), sends PATCH {status, last_updated} for
BENCH_ROAMING_SECONDS (default 10) seconds, each thread on its own EVSEs with increasing
last_updated, so every PATCH is a real write (the EVSE row, then its Location's summary and
last_updated).
Each level runs BENCH_ROAMING_ROUNDS times; the median run is reported, every run beside it.
Targets: >= 200 PATCH/s with p95 < 50 ms; authorise within 1 s.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dj_database_url
import django
import httpx

from bench.load import LoadResult, gunicorn_workers, lua_string, wrk_run
from tests.processes import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
LOCATIONS = int(os.environ.get("BENCH_ROAMING_LOCATIONS", "20000"))
LIMIT = int(os.environ.get("BENCH_ROAMING_LIMIT", "500"))
# Each full pull and each load level is measured this many times; the median is reported (on
# a shared 2-core VM one run of the same code varies by a third).
ROUNDS = int(os.environ.get("BENCH_ROAMING_ROUNDS", "3"))
TOKEN_A = "bench-roaming-token-a"


def _pulls() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "Not measured: needs PostgreSQL (set DATABASE_URL).\n"
    database = dict(dj_database_url.parse(url))
    database["NAME"] = f"{database['NAME']}_bench_roaming"
    bench_url = _url(database)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "CELERY_BROKER_URL": "",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    _database_recreate(database)
    processes: list[subprocess.Popen] = []
    try:
        _check(subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT))
        sim_port = free_port()
        processes.append(_simulator(sim_port, env))
        wait_for_port(sim_port, processes[0], timeout=120)
        token = "bench-roaming-token-c"  # a pull-only peer: no handshake needed to pull
        _admin(sim_port, "peers", {"token": token, "country_code": "NL", "party_id": "EMS"})
        partner = _phase(env, "partner", str(sim_port), token)["partner"]
        floors, fulls = [], []
        for round_number in range(ROUNDS):
            if round_number:
                _phase(env, "empty")
            floors.append(_phase(env, "floor", str(partner)))
            fulls.append(_phase(env, "pull", str(partner), "full"))
        touched = max(1, LOCATIONS // 100)
        _admin(sim_port, "locations/touch", {"count": touched})
        incremental = _phase(env, "pull", str(partner), "incremental")
    finally:
        for process in processes:
            stop(process)
        _database_drop(database)
    return _report(floors, fulls, incremental, touched)


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def _report(floors: list[dict], fulls: list[dict], incremental: dict, touched: int) -> str:
    floor, full = _median_run(floors), _median_run(fulls)
    ratio = full["seconds"] / floor["seconds"] if floor["seconds"] else float("nan")
    rows = [
        ("Fetch and parse only (floor)", floor, "-"),
        ("Full pull into PostgreSQL", full, "< 60 s, < 400 MB; within 3x of the floor"),
        (f"Incremental pull, {touched} changed", incremental, "< 3 s"),
    ]
    lines = [
        f"{LOCATIONS} locations, {full['evses']} EVSEs, {full['connectors']} connectors from the "
        f"CPO simulator at limit {LIMIT}; {full['pages']} pages.",
        "",
        "| measurement | seconds | CPU seconds (puller) | objects | peak RSS | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, result, target in rows:
        lines.append(
            f"| {name} | {result['seconds']:.2f} | {result['cpu_seconds']:.2f} | "
            f"{result['objects']} | {result['peak_rss_mb']:.0f} MB | {target} |"
        )
    lines += [
        "",
        f"Full pull / floor: {ratio:.1f}x (the median of {len(fulls)} rounds each; every round "
        f"in seconds: floor {_seconds(floors)}, full pull {_seconds(fulls)}).",
        "",
    ]
    return "\n".join(lines) + "\n"


def _seconds(runs: list[dict]) -> str:
    return " / ".join(f"{run['seconds']:.2f}" for run in runs)


# -- the child phases -----------------------------------------------------------------------


def _child(phase: str, *args: str) -> dict[str, Any]:
    """One measured phase, in a child process with Django set up."""
    from django.db import connection

    from roaming.models import EVSE, Connector, Location, Partner

    if phase == "partner":
        return {"partner": _partner(port=int(args[0]), token=args[1]).pk}
    if phase == "empty":  # for the next round's full pull; a throwaway database
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE roaming_connector, roaming_evse, roaming_location CASCADE")
        return {}
    partner = Partner.objects.get(pk=int(args[0]))
    if phase == "floor":
        return _floor(partner)
    from roaming.services.pulls import partner_pull

    started = time.perf_counter()
    run = partner_pull(partner=partner, module="locations", full=args[1] == "full", limit=LIMIT)
    seconds = time.perf_counter() - started
    assert run.status == "succeeded", run.error_log
    return {
        "seconds": seconds,
        "objects": run.objects_received,
        "stored": run.objects_stored,
        "pages": run.pages,
        "locations": Location.objects.count(),
        "evses": EVSE.objects.count(),
        "connectors": Connector.objects.count(),
    }


def _partner(*, port: int, token: str) -> Any:
    """The simulator as a connected partner that we pull from with `token`."""
    from roaming.models import Partner, PartnerEndpoint, PartnerRole

    base = f"http://127.0.0.1:{port}/ocpi/cpo"
    partner = Partner.objects.create(
        name="Bench CPO simulator", status="connected", token_b=token, versions_url=base
    )
    PartnerRole.objects.create(partner=partner, role="CPO", country_code="NL", party_id="SIM")
    PartnerEndpoint.objects.create(
        partner=partner, identifier="locations", role="SENDER", url=f"{base}/2.2.1/locations"
    )
    return partner


def _floor(partner: Any) -> dict[str, Any]:
    """Fetch and parse the pages a full pull reads, storing nothing."""
    from django.utils import timezone

    from roaming.ocpi.locations import Location as OcpiLocation
    from roaming.ocpi.types import format_datetime
    from roaming.outbound import partner_client, partner_endpoint_url

    url = partner_endpoint_url(partner=partner, identifier="locations", role="SENDER")
    started = time.perf_counter()
    objects = pages = 0
    date_to = format_datetime(timezone.now())
    with partner_client(partner=partner) as client:
        for page in client.crawl(url, module="locations", limit=LIMIT, params={"date_to": date_to}):
            pages += 1
            for item in page.items:
                OcpiLocation.model_validate(item)
                objects += 1
    return {"seconds": time.perf_counter() - started, "objects": objects, "pages": pages}


# -- processes and plumbing -----------------------------------------------------------------


def _phase(env: dict[str, str], phase: str, *args: str) -> dict[str, Any]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_roaming", phase, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"bench phase {phase} failed ({process.returncode})")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes

    return result


def _simulator(port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "roaming.simulator", "--port", str(port),
         "--locations", str(LOCATIONS), "--token-a", TOKEN_A, "--history", "0",
         "--max-limit", str(max(LIMIT, 1000))],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _admin(port: int, action: str, body: dict[str, Any], timeout: float = 60) -> Any:
    response = httpx.post(f"http://127.0.0.1:{port}/_sim/{action}", json=body, timeout=timeout)
    response.raise_for_status()
    return response.json()


def _check(completed: subprocess.CompletedProcess) -> None:
    if completed.returncode != 0:
        raise RuntimeError(f"{completed.args} failed ({completed.returncode})")


def _url(database: dict[str, Any]) -> str:
    auth = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    return f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"


def _admin_connection(database: dict[str, Any]):
    import psycopg

    return psycopg.connect(
        _url({**database, "NAME": "postgres"}).replace("postgres://", "postgresql://", 1),
        autocommit=True,
    )


def _database_recreate(database: dict[str, Any]) -> None:
    _database_drop(database)
    with _admin_connection(database) as connection:
        connection.execute(f'CREATE DATABASE "{database["NAME"]}"')


def _database_drop(database: dict[str, Any]) -> None:
    with _admin_connection(database) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}" WITH (FORCE)')


RECEIVER_LOCATIONS, EVSES_PER_LOCATION = 40, 4


def _setup_database() -> tuple[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emsp.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    db["TEST"]["NAME"] = f"bench_{Path(str(db['NAME'])).stem}"
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        login = f"{db['USER']}:{db.get('PASSWORD') or ''}"
        url = f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return url, old_name


def _seed() -> tuple[str, list[str], str]:
    """A connected CPO with its Locations and a driver's RFID token: (token, EVSE paths, uid)."""
    from billing.models import PaymentMethod
    from drivers.models import User
    from drivers.services import token_rfid_add
    from roaming.models import Partner, PartnerRole
    from roaming.ocpi.auth import credentials_token_hash
    from roaming.services.locations import location_put

    token = "bench-token-c"
    partner = Partner.objects.create(
        name="Bench CPO", status="connected", token_c_hash=credentials_token_hash(token)
    )
    PartnerRole.objects.create(partner=partner, role="CPO", country_code="NL", party_id="BCH")
    paths = []
    for number in range(RECEIVER_LOCATIONS):
        evses = [
            {
                "uid": f"E{number}-{index}",
                "status": "AVAILABLE",
                "last_updated": "2020-01-01T00:00:00Z",
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 32,
                        "last_updated": "2020-01-01T00:00:00Z",
                    }
                ],
            }
            for index in range(EVSES_PER_LOCATION)
        ]
        location = {
            "country_code": "NL", "party_id": "BCH", "id": f"L{number}", "publish": True,
            "address": "Stationsplein 1", "city": "Amsterdam", "country": "NLD",
            "coordinates": {"latitude": "52.378900", "longitude": "4.900100"},
            "time_zone": "Europe/Amsterdam", "evses": evses, "last_updated": "2020-01-01T00:00:00Z",
        }  # fmt: skip
        location_put(partner=partner, data=location)
        paths += [f"/ocpi/emsp/2.2.1/locations/NL/BCH/L{number}/{e['uid']}" for e in evses]
    user = User.objects.create_user("bench-driver@example.com", "bench-password-123")
    token_rfid_add(user=user, uid="BENCH0001")
    PaymentMethod.objects.create(
        user=user, stripe_id="pm_bench", last4="4242", exp_month=12, exp_year=2099, is_default=True
    )
    return token, paths, "BENCH0001"


def _serve(database_url: str, port: int, workers: int | None) -> subprocess.Popen:
    """gunicorn as deployed (gunicorn.conf.py), or with this many workers."""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    chosen = ["--workers", str(workers)] if workers else []
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "emsp.wsgi", "--bind", f"127.0.0.1:{port}",
         *chosen, "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, process, timeout=30)
    except (RuntimeError, TimeoutError):
        process.kill()
        raise
    return process


def _median_load(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda run: run.per_second)[len(runs) // 2]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


_PATCH_LUA = r"""
paths = {PATHS}
headers = {["Authorization"] = {AUTHORIZATION}, ["Content-Type"] = "application/json"}
expect_pattern = '"status_code":%s*1000'
function init(args)
  mine = {}
  for i = thread_number, #paths, {THREADS} do table.insert(mine, paths[i]) end
  sent = 0
end
function request()
  -- each thread its own EVSEs and an increasing last_updated, so every PATCH is a real write
  sent = sent + 1
  local moment = {BASE} + thread_number * 86400 + math.floor(sent / 1000)
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", moment) .. string.format(".%03dZ", sent % 1000)
  local status = (sent % 2 == 0) and "AVAILABLE" or "CHARGING"
  local body = '{"status": "' .. status .. '", "last_updated": "' .. stamp .. '"}'
  return wrk.format("PATCH", mine[(sent % #mine) + 1], headers, body)
end
"""


def _patch_load(
    base: str, authorization: str, paths: list[str], clients: int, seconds: float, start: datetime
) -> LoadResult:
    threads = 2
    lua = (
        _PATCH_LUA.replace("{PATHS}", "{" + ", ".join(lua_string(p) for p in paths) + "}")
        .replace("{AUTHORIZATION}", lua_string(authorization))
        .replace("{THREADS}", str(threads))
        .replace("{BASE}", str(int(start.timestamp())))
    )
    return wrk_run(base, lua, connections=clients, seconds=seconds, threads=threads)


def _authorize_latency(base: str, headers: dict[str, str], uid: str, count: int):
    latencies, answers = [], {}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        for _ in range(count):
            started = time.perf_counter()
            response = http.post(f"/ocpi/emsp/2.2.1/tokens/{uid}/authorize?type=RFID",
                                 json={"location_id": "L1", "evse_uids": ["E1-0"]})  # fmt: skip
            latencies.append(time.perf_counter() - started)
            body = response.json()
            key = (body.get("data") or {}).get("allowed") or f"OCPI {body['status_code']}"
            answers[key] = answers.get(key, 0) + 1
    return latencies, answers


def _row(latencies: list[float]) -> str:
    median = statistics.median(latencies) * 1000
    return f"{median:.1f} | {_percentile(latencies, 0.95):.1f} | {_percentile(latencies, 0.99):.1f}"


def _receivers() -> str:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    seconds = float(os.environ.get("BENCH_ROAMING_SECONDS", "10"))
    levels = [int(n) for n in os.environ.get("BENCH_ROAMING_CLIENTS", "8,16").split(",")]
    workers, running = gunicorn_workers("BENCH_ROAMING_WORKERS")
    database_url, old_name = _setup_database()
    from django.db import connection

    from roaming.ocpi.auth import authorization_header

    server = None
    try:
        token, paths, uid = _seed()
        connection.close()
        port = free_port()
        server = _serve(database_url, port, workers)
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": authorization_header(token)}
        # Warm-up: every worker loads the app and opens its database connection on its first
        # requests (seconds on a busy machine); measure only after that.
        warm_up = float(os.environ.get("BENCH_ROAMING_WARMUP", "5"))
        authorization = headers["Authorization"]
        _patch_load(base, authorization, paths, 8, warm_up, datetime(2029, 1, 1, tzinfo=UTC))
        patches = {
            clients: [
                _patch_load(
                    base, authorization, paths, clients, seconds,
                    datetime(2030 + n * ROUNDS + r, 1, 1, tzinfo=UTC),
                )
                for r in range(ROUNDS)
            ]
            for n, clients in enumerate(levels)
        }  # fmt: skip
        auth_latencies, answers = _authorize_latency(base, headers, uid, 200)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    authorize = _row(auth_latencies)
    return "\n".join([
        f"Setup: gunicorn with {running} sync workers; load from `wrk` (2 threads, the number of "
        f"connections in the table) on the same machine, {seconds:.0f} s each after a warm-up; "
        f"{RECEIVER_LOCATIONS * EVSES_PER_LOCATION} EVSEs in {RECEIVER_LOCATIONS} Locations; "
        f"database `{connection.vendor}`.",
        "",
        "| measure | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| EVSE status PATCH, {n} connections | {_median_load(runs).row()} |"
            for n, runs in patches.items()
        ),
        f"| token authorize (sequential) | {len(auth_latencies)} | - | {authorize} | - |",
        "",
        f"Authorize answers: {', '.join(f'{k}: {v}' for k, v in sorted(answers.items()))}.",
        f"PATCH rows: the median of {ROUNDS} runs by requests per second; every run as "
        "per second at p95 ms: "
        + "; ".join(
            f"{n} connections "
            + ", ".join(f"{run.per_second:.0f}/s at {run.p95_ms:.0f} ms" for run in runs)
            for n, runs in patches.items()
        )
        + ".",
        "Targets: EVSE status PATCH >= 200/s with p95 < 50 ms; authorize well within 1 s.",
    ])  # fmt: skip


def run() -> str:
    return "\n".join(
        ["### Pulls from the CPO simulator", "", _pulls(), "### Our receivers over HTTP", "",
         _receivers()]
    )  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emsp.settings")
    django.setup()
    import roaming.services.pulls  # noqa: F401  (imported before the clock starts)

    before = resource.getrusage(resource.RUSAGE_SELF)
    result = _child(sys.argv[1], *sys.argv[2:])
    after = resource.getrusage(resource.RUSAGE_SELF)
    # CPU of the phase itself in this process (not PostgreSQL's, not Python's start-up).
    result["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(json.dumps(result))
