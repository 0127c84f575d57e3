"""Rating and invoicing throughput through a real Celery worker on PostgreSQL, charging through
the fake Stripe measured apart, and the floor: the pricing engine alone on the same CDRs.

A throwaway database (`bench_<name>`) gets one CPO with its tariff, BENCH_BILLING_DRIVERS
drivers (default 200) with a token and a card, and BENCH_BILLING_CDRS CDRs (default 10,000)
stored through the OCPI receiver service. Then:
1. floor: `tariffs.pricing.cdr_price` on every CDR in this process;
2. rating: `billing.cdrs_rate` tasks of BENCH_BILLING_BATCH CDR ids each (default 100; 1 sends
   one `billing.cdr_rate` task per CDR, as a CDR arriving alone does), consumed by a Celery
   worker (prefork, BENCH_BILLING_CONCURRENCY processes, default 2) on Redis; timed from the
   first enqueue until every CDR is rated (each rating issues its invoice, numbered, with its
   lines);
3. charging: the invoices' charge tasks (on their own queue, BILLING_CHARGE_QUEUE) for the
   first BENCH_BILLING_CHARGES invoices (default 300), against the fake Stripe.
Target: >= 200 CDRs rated and invoiced per second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup_database() -> tuple[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emsp.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    db["TEST"]["NAME"] = f"bench_billing_{Path(str(db['NAME'])).stem}"
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    login = f"{db['USER']}:{db.get('PASSWORD') or ''}"
    return f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}", old_name


def _seed(drivers: int, cdrs: int) -> None:
    from django.conf import settings

    from billing.models import PaymentMethod
    from drivers.models import User
    from drivers.services import token_rfid_add
    from roaming.models import Partner, PartnerRole
    from roaming.services.cdrs import cdr_post
    from roaming.services.locations import location_put
    from roaming.signals import cdr_stored
    from tariffs.services import tariff_put

    partner = Partner.objects.create(name="Bench CPO", status=Partner.Status.CONNECTED, token_b="b")
    PartnerRole.objects.create(partner=partner, role="CPO", country_code="NL", party_id="CPO")
    tariff_put(
        partner=partner,
        data={
            "country_code": "NL",
            "party_id": "CPO",
            "id": "T1",
            "currency": "EUR",
            "elements": [
                {"price_components": [{"type": "FLAT", "price": 0.5, "vat": 21, "step_size": 1}]},
                {
                    "price_components": [
                        {"type": "ENERGY", "price": 0.35, "vat": 21, "step_size": 1},
                        {"type": "PARKING_TIME", "price": 2.0, "vat": 21, "step_size": 60},
                    ]
                },
            ],
            "last_updated": "2026-01-01T00:00:00Z",
        },
    )
    location_put(
        partner=partner,
        data={
            "country_code": "NL", "party_id": "CPO", "id": "LOC1", "publish": True,
            "address": "Stationsplein 1", "city": "Utrecht", "country": "NLD",
            "coordinates": {"latitude": "52.089000", "longitude": "5.110000"},
            "time_zone": "Europe/Amsterdam", "last_updated": "2026-01-01T00:00:00Z",
            "evses": [{
                "uid": "E1", "evse_id": "NL*CPO*E1", "status": "AVAILABLE",
                "last_updated": "2026-01-01T00:00:00Z",
                "connectors": [{
                    "id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                    "power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 32,
                    "max_electric_power": 22000, "tariff_ids": ["T1"],
                    "last_updated": "2026-01-01T00:00:00Z",
                }],
            }],
        },
    )  # fmt: skip
    tokens = []
    for number in range(drivers):
        user = User.objects.create_user(f"bench{number}@example.org", "x")
        PaymentMethod.objects.create(
            user=user, stripe_id=f"pm_bench_{number}", last4="4242", exp_month=12, exp_year=2099,
            is_default=True,
        )  # fmt: skip
        tokens.append(token_rfid_add(user=user, uid=f"BENCH{number:06d}"))
    receivers = cdr_stored.receivers[:]
    cdr_stored.receivers.clear()  # stored now, rated later (timed)
    try:
        start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        for number in range(cdrs):
            token = tokens[number % len(tokens)]
            begin = start + timedelta(minutes=7 * number)
            charging = 20 + number % 70
            kwh = round(5 + (number % 50) * 0.9, 3)
            cdr_post(partner=partner, data=_cdr(number, token, begin, charging, kwh, settings))
    finally:
        cdr_stored.receivers[:] = receivers


def _cdr(number, token, begin, charging_minutes, kwh, settings) -> dict:
    end = begin + timedelta(minutes=charging_minutes + 15)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": f"BENCH{number:07d}",
        "start_date_time": begin.strftime(stamp),
        "end_date_time": end.strftime(stamp),
        "cdr_token": {
            "country_code": settings.OCPI_COUNTRY_CODE,
            "party_id": settings.OCPI_PARTY_ID,
            "uid": token.uid,
            "type": "RFID",
            "contract_id": token.contract_id,
        },
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "address": "Stationsplein 1",
            "city": "Utrecht",
            "country": "NLD",
            "coordinates": {"latitude": "52.089", "longitude": "5.110"},
            "evse_uid": "E1",
            "evse_id": "NL*CPO*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": begin.strftime(stamp),
                "dimensions": [
                    {"type": "ENERGY", "volume": kwh},
                    {"type": "TIME", "volume": round(charging_minutes / 60, 4)},
                ],
                "tariff_id": "T1",
            },
            {
                "start_date_time": (begin + timedelta(minutes=charging_minutes)).strftime(stamp),
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.25}],
                "tariff_id": "T1",
            },
        ],
        "total_cost": {"excl_vat": 0.5 + 0.35 * kwh + 0.5, "incl_vat": (1 + 0.35 * kwh) * 1.21},
        "total_energy": kwh,
        "total_time": round((charging_minutes + 15) / 60, 4),
        "total_parking_time": 0.25,
        "last_updated": end.strftime(stamp),
    }


def _pricing_floor() -> tuple[int, float]:
    """The engine alone: each CDR priced with the driver's tariff (looked up once, outside the
    timing), as the rating does, without the database."""
    from roaming.models import CDR
    from tariffs.pricing import cdr_price
    from tariffs.pricing_service import cdr_driver_price

    cdrs = list(CDR.objects.select_related("location").order_by("pk"))
    driver_tariff = cdr_driver_price(cdr=cdrs[0])[1]
    started = time.perf_counter()
    for cdr in cdrs:
        cdr_price(driver_tariff.tariff, cdr.raw, time_zone=cdr.location.time_zone).rounded()
    return len(cdrs), time.perf_counter() - started


def _worker(database_url: str, queue: str, concurrency: int, extra_env: dict) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "emsp", "worker", "-Q", queue, "--pool", "prefork",
         "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING", "--hostname", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _purge(queue: str) -> None:
    from emsp.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


def _ready(queue: str) -> None:
    """Wait until the worker answers on its queue (not timed: its processes start first)."""
    from emsp.celery import ping

    for _ in range(4):  # one ping per worker process, so every process has started
        ping.apply_async(args=["ready"], queue=queue).get(timeout=120)


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not finish in time")
        time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def run() -> str:
    count = int(os.environ.get("BENCH_BILLING_CDRS", "10000"))
    drivers = int(os.environ.get("BENCH_BILLING_DRIVERS", "200"))
    concurrency = int(os.environ.get("BENCH_BILLING_CONCURRENCY", "2"))
    charges = int(os.environ.get("BENCH_BILLING_CHARGES", "300"))
    batch = max(1, int(os.environ.get("BENCH_BILLING_BATCH", "100")))
    broker = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    os.environ["CELERY_BROKER_URL"] = broker
    queue = f"bench-rate-{uuid.uuid4().hex[:8]}"
    charge_queue = f"bench-charge-{uuid.uuid4().hex[:8]}"
    os.environ["BILLING_CHARGE_QUEUE"] = charge_queue
    database_url, old_name = _setup_database()
    from django.conf import settings
    from django.db import connection

    from emsp.celery import app

    settings.BILLING_CHARGE_QUEUE = charge_queue
    app.conf.update(
        task_always_eager=False, broker_url=broker, result_backend=broker, task_default_queue=queue
    )
    stripe = None
    try:
        seeded = time.perf_counter()
        _seed(drivers, count)
        seed_seconds = time.perf_counter() - seeded
        priced, floor_seconds = _pricing_floor()

        from billing.models import Invoice, InvoiceLine
        from billing.tasks import cdr_rate_task, cdrs_rate_task, invoice_charge_task
        from roaming.models import CDR

        ids = list(CDR.objects.order_by("pk").values_list("pk", flat=True))
        worker = _worker(database_url, queue, concurrency, {"BILLING_CHARGE_QUEUE": charge_queue})
        try:
            _ready(queue)
            started = time.perf_counter()
            if batch == 1:
                for cdr_id in ids:
                    cdr_rate_task.apply_async(args=[cdr_id], queue=queue)
            else:
                for start in range(0, len(ids), batch):
                    cdrs_rate_task.apply_async(args=[ids[start : start + batch]], queue=queue)
            enqueued = time.perf_counter() - started
            _wait(lambda: not CDR.objects.filter(rating_status="pending").exists(), 3600)
            rating_seconds = time.perf_counter() - started
        finally:
            _stop(worker)
        rated = CDR.objects.filter(rating_status="rated").count()
        invoices = Invoice.objects.count()
        lines = InvoiceLine.objects.count()
        gapless = sorted(Invoice.objects.values_list("sequence", flat=True)) == list(
            range(1, invoices + 1)
        )

        charge_line = "charging: skipped (BENCH_BILLING_CHARGES=0)"
        if charges:
            stripe, stripe_url = _fake_stripe()
            _cards_at_stripe(stripe_url, charges)
            first = list(
                Invoice.objects.order_by("sequence").values_list("pk", flat=True)[:charges]
            )
            env = {"STRIPE_API_BASE": stripe_url, "STRIPE_SECRET_KEY": "sk_test_bench"}
            _purge(charge_queue)  # what the rating enqueued (charges, batch fan-outs): timed below
            charger = _worker(database_url, charge_queue, concurrency, env)
            try:
                _ready(charge_queue)
                started = time.perf_counter()
                for invoice_id in first:
                    invoice_charge_task.apply_async(args=[str(invoice_id)], queue=charge_queue)
                _wait(
                    lambda: (
                        Invoice.objects.filter(pk__in=first, payment_status="paid").count()
                        >= len(first)
                    ),
                    1800,
                )
                charge_seconds = time.perf_counter() - started
            finally:
                _stop(charger)
            charge_line = (
                f"charging through the fake Stripe: {len(first)} invoices in "
                f"{charge_seconds:.1f} s = **{len(first) / charge_seconds:.1f} CDRs charged/s** "
                f"(create + confirm PaymentIntent per invoice, {concurrency} worker processes)"
            )
    finally:
        if stripe is not None:
            _stop(stripe)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return "\n".join(
        [
            f"- seed: {count} CDRs stored through the OCPI receiver in {seed_seconds:.1f} s",
            f"- floor, the pricing engine alone (cdr_price + rounding): {priced} CDRs in "
            f"{floor_seconds:.2f} s = **{priced / floor_seconds:.0f} CDRs/s**",
            f"- rating and invoicing through the Celery worker (prefork x{concurrency}, Redis, "
            f"PostgreSQL, {_tasks(batch)}): {rated} rated, {invoices} invoices ({lines} lines, "
            f"numbers gap-free: {gapless}) in {rating_seconds:.1f} s = "
            f"**{rated / rating_seconds:.0f} CDRs/s** "
            f"(enqueueing took {enqueued:.1f} s of it); target >= 200/s",
            f"- {charge_line}",
        ]
    )


def _tasks(batch: int) -> str:
    if batch == 1:
        return "one billing.cdr_rate task per CDR"
    return f"billing.cdrs_rate tasks of {batch} CDRs"


def _fake_stripe() -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "billing.localstripe_server", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the fake Stripe did not start")


def _cards_at_stripe(stripe_url: str, invoices: int) -> None:
    """Give the drivers of the first invoices a real customer and card at the fake Stripe."""
    from django.conf import settings

    from billing.models import Invoice, PaymentMethod, StripeCustomer
    from billing.stripe_gateway import client

    settings.STRIPE_API_BASE = stripe_url
    settings.STRIPE_SECRET_KEY = "sk_test_bench"
    users = {
        invoice.user_id: invoice.user
        for invoice in Invoice.objects.select_related("user").order_by("sequence")[:invoices]
    }
    stripe = client()
    for user in users.values():
        customer = stripe.v1.customers.create(params={"email": user.email})
        method = stripe.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 12,
                    "exp_year": 2034,
                    "cvc": "123",
                },
            }
        )
        stripe.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        StripeCustomer.objects.create(user=user, stripe_id=customer.id)
        PaymentMethod.objects.filter(user=user).update(stripe_id=method.id)
