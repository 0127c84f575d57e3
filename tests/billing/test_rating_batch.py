"""Rating CDRs in batches (billing.cdrs_rate): the same invoices, ratings and review decisions
as rating each CDR alone, numbers gap-free, each CDR invoiced and charged once, and a query
count that does not grow with the batch."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from billing.models import CdrRating, Invoice, Payment
from billing.services.rating import cdr_rate, cdrs_rate
from billing.tasks import cdrs_rate_task
from roaming.models import CDR
from roaming.signals import cdr_stored
from tariffs.services import tariff_put
from tests.billing.conftest import save_card
from tests.billing.invoicing import START, cdr_data, cdr_store, cpo, location, our_token, tariff
from tests.tariffs.factories import PlanSubscriptionFactory, PricePlanFactory

pytestmark = pytest.mark.django_db
LATER = START + timedelta(days=7)


@pytest.fixture
def partner(db):
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    # A newer version of T1 from 5 March: CDRs before it use the first, after it the second.
    tariff_put(
        partner=partner,
        data={
            "country_code": "NL",
            "party_id": "CPO",
            "id": "T1",
            "currency": "EUR",
            "elements": [
                {"price_components": [{"type": "ENERGY", "price": 0.4, "vat": 21, "step_size": 1}]}
            ],
            "last_updated": "2026-03-05T00:00:00Z",
        },
    )
    return partner


@pytest.fixture
def drivers(driver, other_driver):
    """The first on the default plan, the second on a plan with a 25 % markup from 4 March."""
    PlanSubscriptionFactory(
        user=other_driver,
        plan=PricePlanFactory(name="Plus", markup_percent=Decimal("25")),
        valid_from=START + timedelta(days=2),
    )
    return our_token(user=driver), our_token(user=other_driver)


def store_all(partner, tokens) -> list[CDR]:
    """One of each case, stored and not yet rated (the test transaction never commits)."""
    first, second = tokens
    cases = [
        cdr_data(first, kwh="20"),
        cdr_data(first, kwh="12.5", start=LATER),
        cdr_data(second, kwh="20"),
        cdr_data(second, kwh="33", start=LATER, cpo_total=("1.00", "1.21")),
        cdr_data(first, kwh="1000.5"),
        cdr_data({**first.cdr_token, "uid": "SOMEONE-ELSE"}),
        cdr_data(second, tariff_id="NOPE"),
    ]
    return [cdr_store(partner, data) for data in cases]


def outcome(cdr: CDR) -> tuple:
    """What a driver or staff can see of a CDR's rating (not its ids nor its number)."""
    cdr.refresh_from_db()
    rating = CdrRating.objects.get(cdr=cdr)
    invoice = Invoice.objects.filter(cdr=cdr).first()
    figures = (
        rating.review_reason,
        rating.our_cpo_total_excl_vat,
        rating.difference_excl_vat,
        rating.difference_incl_vat,
        rating.reconciliation_flagged,
        rating.driver_total_incl_vat,
        rating.notes,
    )
    if invoice is None:
        return (cdr.rating_status, figures, None)
    lines = [
        (line.component, line.quantity, line.unit_price, line.vat_rate, line.amount_incl_vat)
        for line in invoice.lines.all()
    ]
    return (
        cdr.rating_status,
        figures,
        (
            invoice.total_excl_vat,
            invoice.total_vat,
            invoice.total_incl_vat,
            invoice.amount_due,
            invoice.buyer_email,
            invoice.charge_description,
            invoice.location_name,
            invoice.energy_kwh,
            lines,
        ),
    )


def test_a_batch_rates_every_cdr_as_rating_it_alone_would(partner, drivers):
    alone = store_all(partner, drivers)
    batched = store_all(partner, drivers)

    for cdr in alone:
        cdr_rate(cdr_id=cdr.pk)
    rated = cdrs_rate(cdr_ids=[cdr.pk for cdr in batched])

    assert rated == len(batched)
    assert [outcome(cdr) for cdr in batched] == [outcome(cdr) for cdr in alone]
    statuses = [cdr.rating_status for cdr in batched]
    assert statuses == ["rated"] * 4 + ["needs_review"] * 3
    # default plan +10 %, the Plus plan +25 % from 4 March; T1 0.30/kWh + 1.00, from 5 March 0.40
    totals = [Invoice.objects.get(cdr=cdr).total_incl_vat for cdr in batched[:4]]
    assert totals == [Decimal("9.32"), Decimal("6.66"), Decimal("9.32"), Decimal("19.97")]


def test_batch_numbers_follow_on_gap_free_and_nothing_is_invoiced_twice(partner, drivers):
    first = store_all(partner, drivers)
    second = store_all(partner, drivers)
    cdr_rate(cdr_id=first[0].pk)

    cdrs_rate(cdr_ids=[cdr.pk for cdr in first + second])
    cdrs_rate(cdr_ids=[cdr.pk for cdr in first + second])  # a task delivered twice
    cdrs_rate_task.run([first[1].pk, first[1].pk])
    for cdr in first + second:
        cdr_rate(cdr_id=cdr.pk)

    invoices = list(Invoice.objects.order_by("sequence"))
    assert [invoice.sequence for invoice in invoices] == list(range(1, 9))
    assert len({invoice.cdr_id for invoice in invoices}) == 8
    assert invoices[1].number.endswith("-000002")
    # numbered in the order of the CDRs
    assert [invoice.cdr_id for invoice in invoices[1:]] == sorted(
        invoice.cdr_id for invoice in invoices[1:]
    )
    assert CdrRating.objects.count() == 14


def test_a_cdr_in_review_is_left_to_staff_by_a_batch(partner, drivers):
    cdrs = store_all(partner, drivers)
    cdr_rate(cdr_id=cdrs[4].pk)  # over 1 MWh: to review

    cdrs_rate(cdr_ids=[cdrs[4].pk])

    cdrs[4].refresh_from_db()
    assert cdrs[4].rating_status == CDR.RatingStatus.NEEDS_REVIEW
    assert not Invoice.objects.filter(cdr=cdrs[4]).exists()


def test_unknown_and_foreign_ids_in_a_batch_change_nothing(partner, drivers):
    cdrs = store_all(partner, drivers)

    assert cdrs_rate(cdr_ids=[cdrs[-1].pk + 1000, 0, -5]) == 0

    assert not Invoice.objects.exists()
    assert not CdrRating.objects.exists()


def test_each_invoice_of_a_batch_is_charged_once(
    partner, drivers, driver, other_driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings)
    save_card(other_driver, settings)
    cdrs = store_all(partner, drivers)[:4]

    with django_capture_on_commit_callbacks(execute=True):
        cdrs_rate(cdr_ids=[cdr.pk for cdr in cdrs])
    with django_capture_on_commit_callbacks(execute=True):
        cdrs_rate(cdr_ids=[cdr.pk for cdr in cdrs])

    for invoice in Invoice.objects.all():
        payments = Payment.objects.filter(purpose="invoice", reference=str(invoice.pk))
        assert [p.state for p in payments] == [Payment.State.SUCCEEDED]
        assert payments[0].amount_captured == invoice.total_incl_vat
        invoice.refresh_from_db()
        assert invoice.payment_status == Invoice.PaymentStatus.PAID


def test_a_batch_reads_its_lookups_once_whatever_its_size(partner, drivers):
    cdr_rate(cdr_id=cdr_store(partner, cdr_data(drivers[0], start=LATER)).pk)  # counter, parse
    small = [cdr_store(partner, cdr_data(drivers[n % 2], start=LATER)) for n in range(3)]
    large = [cdr_store(partner, cdr_data(drivers[n % 2], start=LATER)) for n in range(15)]

    with CaptureQueriesContext(connection) as for_small:
        cdrs_rate(cdr_ids=[cdr.pk for cdr in small])
    with CaptureQueriesContext(connection) as for_large:
        cdrs_rate(cdr_ids=[cdr.pk for cdr in large])

    # the CDRs, 2 for the plans, the connector, the rules of each of the 2 plans, 2 for the
    # tariff history, then 5 writes; in a savepoint here (a transaction in the worker)
    assert len(for_large.captured_queries) == len(for_small.captured_queries) == 15
    assert Invoice.objects.count() == 19


@pytest.fixture
def stored_unrated():
    """Store CDRs without their rating being enqueued (as the bench does), to rate them here."""
    receivers = cdr_stored.receivers[:]
    cdr_stored.receivers.clear()
    yield
    cdr_stored.receivers[:] = receivers


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="row locks: PostgreSQL only"
)
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_and_a_cdr_held_elsewhere_invoice_each_cdr_once(
    partner, drivers, stored_unrated
):
    cdrs = [cdr_store(partner, cdr_data(drivers[n % 2])) for n in range(12)]
    ids = [cdr.pk for cdr in cdrs]
    held = connections.create_connection("default")  # another worker rating CDR 5 right now
    held.set_autocommit(False)
    with held.cursor() as cursor:
        cursor.execute("SELECT id FROM roaming_cdr WHERE id = %s FOR UPDATE", [ids[5]])
    errors = []

    def rate(batch):
        try:
            cdrs_rate(cdr_ids=batch)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(batch,)) for batch in (ids[:8], ids[4:])]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    # Both batches rated what they could and now wait for CDR 5, which is not rated yet.
    assert CDR.objects.get(pk=ids[5]).rating_status == CDR.RatingStatus.PENDING
    assert Invoice.objects.count() == 11
    held.rollback()
    held.close()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert set(CDR.objects.filter(pk__in=ids).values_list("rating_status", flat=True)) == {"rated"}
    invoices = Invoice.objects.order_by("sequence")
    assert [invoice.sequence for invoice in invoices] == list(range(1, 13))
    assert sorted(invoice.cdr_id for invoice in invoices) == ids
    assert CdrRating.objects.count() == 12


def test_a_batch_in_two_currencies_numbers_each_series_gap_free(partner, drivers):
    tariff(partner, tariff_id="T2", currency="GBP", energy="0.25")
    currencies = ["GBP", "EUR", "GBP", "EUR", "EUR"]
    cdrs = [
        cdr_store(
            partner,
            cdr_data(drivers[0], currency=currency, tariff_id="T2" if currency == "GBP" else "T1"),
        )
        for currency in currencies
    ]

    cdrs_rate(cdr_ids=[cdr.pk for cdr in cdrs])

    invoices = [Invoice.objects.get(cdr=cdr) for cdr in cdrs]
    assert [(invoice.currency, invoice.sequence) for invoice in invoices] == [
        ("GBP", 1),
        ("EUR", 1),
        ("GBP", 2),
        ("EUR", 2),
        ("EUR", 3),
    ]
    assert invoices[2].number == f"INV-{invoices[2].issued_at.year}-NL-GBP-000002"
