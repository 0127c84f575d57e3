"""Rating and charging through a real Celery worker on Redis, against the fake Stripe: the
happy path, a duplicate CDR, a retried task, and a worker killed mid-rating and mid-charge
(restarted: exactly one invoice and one successful charge in Stripe's own list)."""

import time

import pytest
from django.db import connection, connections, transaction

from billing.models import Invoice, Payment
from billing.tasks import (
    cdr_rate_task,
    invoice_charge_task,
    invoicing_sweep_task,
    payments_sweep_task,
)
from roaming.models import CDR
from tests.billing.conftest import save_card, stripe_charged_intents, stripe_payment_intents
from tests.billing.invoicing import cdr_data, cdr_store, cpo, location, our_token, tariff
from tests.processes import celery_worker_running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
CONFIRM = r"^POST /v1/payment_intents/\w+/confirm$"


def wait_until(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def partner(settings):
    settings.BILLING_HOLDS_ENABLED = False
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


@pytest.fixture
def token(driver, settings):
    save_card(driver, settings)
    return our_token(user=driver)


def paid(cdr_id) -> bool:
    return Invoice.objects.filter(cdr_id=cdr_id, payment_status="paid").exists()


def assert_one_invoice_and_one_charge(settings, cdr_id):
    invoice = Invoice.objects.get(cdr_id=cdr_id)
    charged = stripe_charged_intents(settings)
    assert Invoice.objects.count() == 1
    assert len(charged) == 1, charged
    payment = Payment.objects.get(purpose="invoice")
    assert payment.stripe_payment_intent_id == charged[0]["id"]
    assert charged[0]["amount"] == 932
    assert charged[0]["metadata"]["reference"] == str(invoice.pk)
    assert invoice.payment_status == Invoice.PaymentStatus.PAID


def test_a_cdr_is_rated_invoiced_and_charged_by_the_worker(partner, token, settings, tmp_path):
    with celery_worker_running(tmp_path):
        cdr = cdr_store(partner, cdr_data(token))  # commits: the signal enqueues the rating
        cdr_store(partner, cdr_data(token, ocpi_id=cdr.ocpi_id))  # the CPO posts it again
        wait_until(lambda: paid(cdr.pk), what="the invoice paid")
        # a task delivered twice, and the charge asked again
        cdr_rate_task.delay(cdr.pk).get(timeout=30)
        invoice_charge_task.delay(str(Invoice.objects.get().pk)).get(timeout=30)

    assert_one_invoice_and_one_charge(settings, cdr.pk)


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="row locks: PostgreSQL only"
)
def test_a_worker_killed_mid_rating_rates_once_after_restart(partner, token, settings, tmp_path):
    with celery_worker_running(tmp_path) as worker:
        with transaction.atomic():
            cdr = cdr_store(partner, cdr_data(token))
        # Another transaction holds the CDR's row: the worker's rating starts and waits there.
        other = connections.create_connection("default")
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM roaming_cdr WHERE id = %s FOR UPDATE", [cdr.pk])
            cdr_rate_task.delay(cdr.pk)
            time.sleep(2)  # the worker is inside the rating, waiting for the row
            worker.kill()
        other.rollback()
        other.close()
        assert CDR.objects.get(pk=cdr.pk).rating_status == CDR.RatingStatus.PENDING
        assert not Invoice.objects.exists()

        worker.start()
        # The redelivered task (acks_late) or the sweeper rates it, maybe both: one invoice.
        invoicing_sweep_task.apply_async(kwargs={"stale_after_seconds": 0}, queue=worker.queue).get(
            timeout=60
        )
        wait_until(lambda: paid(cdr.pk), what="the invoice paid after the restart")

    assert_one_invoice_and_one_charge(settings, cdr.pk)


def test_a_worker_killed_mid_charge_charges_once_after_restart(
    partner, token, settings, fake_stripe, tmp_path
):
    fake_stripe.faults(slow=CONFIRM, seconds=120)  # Stripe charges, its answer never comes
    with celery_worker_running(tmp_path) as worker:
        cdr = cdr_store(partner, cdr_data(token))
        wait_until(lambda: fake_stripe.fault_counts()["slowed"] >= 1, what="Stripe's charge")
        worker.kill()
        fake_stripe.faults()
        assert len(stripe_charged_intents(settings)) == 1  # Stripe charged
        assert (
            Payment.objects.get(purpose="invoice").state == Payment.State.PENDING
        )  # we did not record it

        worker.start()
        payments_sweep_task.apply_async(kwargs={"stale_after_seconds": 0}, queue=worker.queue).get(
            timeout=60
        )
        wait_until(lambda: paid(cdr.pk), what="the invoice paid after the restart")
        # the charge task delivered again afterwards changes nothing
        invoice_charge_task.apply_async(
            args=[str(Invoice.objects.get().pk)], queue=worker.queue
        ).get(timeout=30)

    assert_one_invoice_and_one_charge(settings, cdr.pk)
    assert len(stripe_payment_intents(settings)) == 1
