"""One charge, whatever happens: duplicates, concurrent calls, Stripe failing, and the caller
dying between Stripe's answer and our commit (a real process killed at that moment)."""

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from billing import services
from billing.models import Payment
from billing.stripe_gateway import RetryableGatewayError
from billing.tasks import payment_process_task, payments_sweep_task
from tests import processes
from tests.billing.conftest import save_card, stripe_charged_intents, stripe_payment_intents
from tests.processes import ROOT, celery_worker_running

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM = r"^POST /v1/payment_intents/\w+/confirm$"


def new_payment(user, reference="INV-77", amount="42.00"):
    return services.payment_create(
        user=user,
        purpose="invoice",
        reference=reference,
        amount=Decimal(amount),
        currency="EUR",
        kind=Payment.Kind.CHARGE,
    )


def wait_until(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def assert_exactly_one_charge(payment, settings, amount="42.00"):
    payment.refresh_from_db()
    charged = stripe_charged_intents(settings)
    assert len(charged) == 1, charged
    assert payment.state == Payment.State.SUCCEEDED
    assert payment.stripe_payment_intent_id == charged[0]["id"]
    assert payment.amount_captured == Decimal(amount)
    assert charged[0]["amount"] == int(Decimal(amount) * 100)
    assert payment.attempts.count() == 1


def test_concurrent_calls_for_the_same_payment_make_one_payment_intent(driver, settings):
    save_card(driver, settings)
    payment = new_payment(driver)
    errors = []

    def process():
        try:
            services.payment_process(payment_id=payment.pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(stripe_payment_intents(settings)) == 1
    assert_exactly_one_charge(payment, settings)


def test_stripe_failing_records_nothing_and_the_retry_charges_once(driver, settings, fake_stripe):
    save_card(driver, settings)
    payment = new_payment(driver)
    fake_stripe.faults(fail=CONFIRM, fail_count=1)

    with pytest.raises(RetryableGatewayError):
        services.payment_process(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING
    services.payment_process(payment_id=payment.pk)

    assert fake_stripe.fault_counts()["failed"] == 1
    assert_exactly_one_charge(payment, settings)


def test_stripe_unreachable_when_creating_the_intent(driver, settings, fake_stripe):
    save_card(driver, settings)
    payment = new_payment(driver)
    fake_stripe.faults(fail=r"^POST /v1/payment_intents$", fail_count=2)

    for _ in range(2):
        with pytest.raises(RetryableGatewayError):
            services.payment_process(payment_id=payment.pk)
    services.payment_process(payment_id=payment.pk)

    assert_exactly_one_charge(payment, settings)


def test_a_process_killed_after_stripe_charged_but_before_our_commit(driver, settings, fake_stripe):
    save_card(driver, settings)
    payment = new_payment(driver)
    fake_stripe.faults(slow=CONFIRM, seconds=120)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "emsp.settings",
        "DATABASE_URL": processes.test_database_url(),
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_CONFIRM_SENDS_OFF_SESSION": "false",
    }
    code = (
        "import django; django.setup(); "
        "from billing.services import payment_process; "
        f"payment_process(payment_id='{payment.pk}')"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        wait_until(lambda: fake_stripe.fault_counts()["slowed"] >= 1, what="Stripe's charge")
    finally:
        process.kill()
        process.wait()
    fake_stripe.faults()

    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING  # our commit never happened
    assert len(stripe_charged_intents(settings)) == 1  # but Stripe charged

    services.payment_process(payment_id=payment.pk)  # the retry
    services.payment_process(payment_id=payment.pk)

    assert_exactly_one_charge(payment, settings)


@pytest.mark.worker
def test_a_celery_worker_killed_mid_charge_and_restarted(driver, settings, fake_stripe, tmp_path):
    save_card(driver, settings)
    payment = new_payment(driver)
    fake_stripe.faults(slow=CONFIRM, seconds=120)

    with celery_worker_running(tmp_path) as worker:
        payment_process_task.apply_async(args=[str(payment.pk)], queue=worker.queue)
        wait_until(lambda: fake_stripe.fault_counts()["slowed"] >= 1, what="Stripe's charge")
        worker.kill()
        fake_stripe.faults()
        assert Payment.objects.get(pk=payment.pk).state == Payment.State.PENDING

        worker.start()
        # what beat does every few minutes: find the payment left pending and process it again
        swept = payments_sweep_task.apply_async(
            kwargs={"stale_after_seconds": 0}, queue=worker.queue
        ).get(timeout=60)
        assert swept["process"] == 1
        wait_until(
            lambda: Payment.objects.get(pk=payment.pk).state == Payment.State.SUCCEEDED,
            what="the payment recorded",
        )
        payment_process_task.apply_async(args=[str(payment.pk)], queue=worker.queue).get(timeout=60)

    assert_exactly_one_charge(payment, settings)
