"""OCPI receiver speed over real HTTP: EVSE status PATCHes per second and their latency, and the
latency of real-time token authorisation (the CPO waits for it at the charger).

A throwaway database (`bench_<name>`) gets one CPO with 40 Locations of 4 EVSEs; gunicorn serves
the app (BENCH_ROAMING_WORKERS sync workers, default 4) and BENCH_ROAMING_CLIENTS client threads
(default 16) send PATCH {status, last_updated} for BENCH_ROAMING_SECONDS (default 10) seconds,
each thread on its own EVSEs with increasing last_updated, so every PATCH is a real write (EVSE
row, then the Location's last_updated). Targets: >= 200 PATCH/s with p95 < 50 ms; authorise
within 1 s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django
import httpx

ROOT = Path(__file__).resolve().parents[1]
LOCATIONS, EVSES_PER_LOCATION = 40, 4


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
    for number in range(LOCATIONS):
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "emsp.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def _patch_load(
    base: str,
    headers: dict[str, str],
    paths: list[str],
    clients: int,
    seconds: float,
    start: datetime = datetime(2030, 1, 1, tzinfo=UTC),
):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        mine = paths[number::clients]
        moment = start + timedelta(days=number)
        local, failed, sent = [], 0, 0
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            while time.monotonic() < stop:
                moment += timedelta(milliseconds=1)
                status = ("AVAILABLE", "CHARGING")[sent % 2]
                body = {"status": status, "last_updated": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
                started = time.perf_counter()
                response = http.patch(mine[sent % len(mine)], json=body)
                local.append(time.perf_counter() - started)
                failed += response.status_code != 200 or response.json()["status_code"] != 1000
                sent += 1
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


def run() -> str:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    seconds = float(os.environ.get("BENCH_ROAMING_SECONDS", "10"))
    clients = int(os.environ.get("BENCH_ROAMING_CLIENTS", "16"))
    workers = int(os.environ.get("BENCH_ROAMING_WORKERS", "4"))
    database_url, old_name = _setup_database()
    from django.db import connection

    from roaming.ocpi.auth import authorization_header

    server = None
    try:
        token, paths, uid = _seed()
        connection.close()
        port = _free_port()
        server = _serve(database_url, port, workers)
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": authorization_header(token)}
        # Warm-up: every worker loads the app and opens its database connection on its first
        # requests (seconds on a busy machine); measure only after that.
        warm_up = float(os.environ.get("BENCH_ROAMING_WARMUP", "5"))
        _patch_load(base, headers, paths, clients, warm_up, start=datetime(2029, 1, 1, tzinfo=UTC))
        latencies, errors, elapsed = _patch_load(base, headers, paths, clients, seconds)
        auth_latencies, answers = _authorize_latency(base, headers, uid, 200)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    rate = len(latencies) / elapsed
    patch = _row(latencies)
    authorize = _row(auth_latencies)
    return "\n".join([
        f"Setup: gunicorn with {workers} sync workers, {clients} client threads on the same "
        f"machine, {seconds:.0f} s after a warm-up; {LOCATIONS * EVSES_PER_LOCATION} EVSEs in "
        f"{LOCATIONS} Locations; database `{connection.vendor}`.",
        "",
        "| measure | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| EVSE status PATCH | {len(latencies)} | {rate:.0f} | {patch} | {errors} |",
        f"| token authorize (sequential) | {len(auth_latencies)} | - | {authorize} | - |",
        "",
        f"Authorize answers: {', '.join(f'{k}: {v}' for k, v in sorted(answers.items()))}.",
        "Targets: EVSE status PATCH >= 200/s with p95 < 50 ms; authorize well within 1 s.",
    ])  # fmt: skip
