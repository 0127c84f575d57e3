"""Roaming: pulls from the CPO simulator into PostgreSQL, and status PATCHes on our receiver.

- Full pull of BENCH_ROAMING_LOCATIONS locations (default 20,000: ~60,000 EVSEs, ~120,000
  connectors) at limit 500 into an empty database: time and peak memory (RSS) of the process
  doing it. Targets: under 60 s, under 400 MB.
- The floor: fetching and parsing (OCPI schema validation) the same pages, storing nothing.
  Goal: the full pull within 3x of it.
- Incremental pull after 1 % of the locations changed: target under 3 s.
- EVSE status PATCHes pushed by the simulator to our Locations receiver served by gunicorn
  (BENCH_ROAMING_PATCHES, BENCH_ROAMING_CONCURRENCY at a time): target >= 200/s, p95 < 50 ms.

Needs PostgreSQL (DATABASE_URL): the benchmark creates and drops its own database beside it.
Every measured phase runs in a fresh child process (`python -m bench.bench_roaming PHASE`),
so its peak RSS is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dj_database_url
import httpx

from tests.processes import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
LOCATIONS = int(os.environ.get("BENCH_ROAMING_LOCATIONS", "20000"))
LIMIT = int(os.environ.get("BENCH_ROAMING_LIMIT", "500"))
PATCHES = int(os.environ.get("BENCH_ROAMING_PATCHES", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_ROAMING_CONCURRENCY", "8"))
TOKEN_A = "bench-roaming-token-a"


def run() -> str:
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
        sim_port, web_port = free_port(), free_port()
        env["EMSP_PUBLIC_URL"] = f"http://127.0.0.1:{web_port}"
        env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        processes.append(_simulator(sim_port, env))
        processes.append(_gunicorn(web_port, env))
        wait_for_port(sim_port, processes[0], timeout=120)
        wait_for_port(web_port, processes[1], timeout=60)
        versions_url = f"http://127.0.0.1:{sim_port}/ocpi/cpo/versions"
        partner = _phase(env, "register", versions_url, TOKEN_A)["partner"]
        floor = _phase(env, "floor", str(partner))
        full = _phase(env, "pull", str(partner), "full")
        touched = max(1, LOCATIONS // 100)
        _admin(sim_port, "locations/touch", {"count": touched})
        incremental = _phase(env, "pull", str(partner), "incremental")
        storm = _admin(
            sim_port, "status-storm", {"count": PATCHES, "concurrency": CONCURRENCY}, timeout=600
        )
    finally:
        for process in processes:
            stop(process)
        _database_drop(database)
    return _report(floor, full, incremental, touched, storm)


def _report(floor: dict, full: dict, incremental: dict, touched: int, storm: dict) -> str:
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
        f"Full pull / floor: {ratio:.1f}x.",
        "",
        f"EVSE status PATCH on our receiver (gunicorn, {_gunicorn_workers()} workers), pushed by "
        f"the simulator {CONCURRENCY} at a time: {storm['ok']} of {storm['count']} accepted "
        f"({storm['errors']} errors), {storm['per_second']}/s, p50 {storm['p50_ms']} ms, "
        f"p95 {storm['p95_ms']} ms, max {storm['max_ms']} ms (target >= 200/s, p95 < 50 ms).",
    ]
    return "\n".join(lines) + "\n"


# -- the child phases -----------------------------------------------------------------------


def _child(phase: str, *args: str) -> dict[str, Any]:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emsp.settings")
    django.setup()
    from roaming.models import EVSE, Connector, Location, Partner

    if phase == "register":
        from roaming.services.registration import partner_register

        registration = partner_register(versions_url=args[0], token_a=args[1])
        return {"partner": registration.partner.pk}
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
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # this process only, not PostgreSQL
    return result


def _simulator(port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "roaming.simulator", "--port", str(port),
         "--locations", str(LOCATIONS), "--token-a", TOKEN_A, "--history", "0",
         "--max-limit", str(max(LIMIT, 1000))],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _gunicorn_workers() -> int:
    return int(os.environ.get("BENCH_ROAMING_WORKERS", str(max(2, (os.cpu_count() or 2) * 2))))


def _gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "emsp.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(_gunicorn_workers()), "--log-level", "warning"],
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


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], *sys.argv[2:])))
