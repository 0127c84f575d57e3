"""Rating a CDR: priced with the driver's price, reconciled with the CPO's total, invoiced with
a line per component and VAT per line, charged once; or queued for review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from billing.models import CdrRating, Invoice, Payment
from billing.services.rating import cdr_rate
from roaming.models import CDR
from tests.billing.conftest import save_card
from tests.billing.invoicing import cdr_data, cdr_store, cpo, location, our_token, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db):
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


@pytest.fixture
def token(driver):
    return our_token(user=driver)


def store(partner, data, capture):
    with capture(execute=True):
        return cdr_store(partner, data)


def test_a_cdr_is_invoiced_charged_and_the_receipt_sent(
    partner, token, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings)
    mail.outbox.clear()

    cdr = store(
        partner,
        cdr_data(token, kwh="20", cpo_total=("7.00", "8.47")),
        django_capture_on_commit_callbacks,
    )

    cdr.refresh_from_db()
    assert cdr.rating_status == CDR.RatingStatus.RATED
    invoice = Invoice.objects.get(cdr=cdr)
    lines = [
        (line.component, line.quantity, line.vat_rate, line.amount_excl_vat, line.vat_amount)
        for line in invoice.lines.all()
    ]
    assert lines == [
        ("fixed", Decimal("1"), Decimal("21.00"), Decimal("1.10"), Decimal("0.23")),
        ("energy", Decimal("20"), Decimal("21.00"), Decimal("6.60"), Decimal("1.39")),
    ]
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("7.70"),
        Decimal("1.62"),
        Decimal("9.32"),
    )
    assert invoice.number == f"INV-{invoice.issued_at.year}-NL-EUR-000001"
    assert invoice.buyer_email == driver.email
    assert invoice.buyer_name == driver.profile.full_name
    assert invoice.seller_vat_id == settings.BILLING_SELLER_VAT_ID
    assert invoice.payment_status == Invoice.PaymentStatus.PAID
    payment = Payment.objects.get(purpose="invoice", reference=str(invoice.pk))
    assert payment.state == Payment.State.SUCCEEDED
    assert payment.amount_captured == Decimal("9.32")
    rating = CdrRating.objects.get(cdr=cdr)
    assert rating.difference_excl_vat == Decimal("0.00")
    assert not rating.reconciliation_flagged
    receipt = mail.outbox[-1]
    assert invoice.number in receipt.subject
    name, content, mimetype = receipt.attachments[0]
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_a_cdr_posted_twice_is_invoiced_once(
    partner, token, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings)
    data = cdr_data(token)

    store(partner, data, django_capture_on_commit_callbacks)
    store(partner, data, django_capture_on_commit_callbacks)
    cdr_rate(cdr_id=CDR.objects.get().pk)  # a task run twice

    assert Invoice.objects.count() == 1
    assert Payment.objects.filter(purpose="invoice").count() == 1


def test_the_cpo_total_that_differs_is_flagged(
    partner, token, driver, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_RECONCILIATION_TOLERANCE = "0.05"
    save_card(driver, settings)

    cdr = store(
        partner,
        cdr_data(token, kwh="20", cpo_total=("7.50", "9.08")),
        django_capture_on_commit_callbacks,
    )

    rating = CdrRating.objects.get(cdr=cdr)
    assert rating.difference_excl_vat == Decimal("-0.50")
    assert rating.difference_incl_vat == Decimal("-0.61")
    assert rating.reconciliation_flagged
    assert Invoice.objects.filter(cdr=cdr).exists()  # the driver is invoiced by our price


def _over_seven_days(data):
    data["end_date_time"] = "2026-03-10T09:00:00Z"
    return data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: {**d, "total_energy": -3}, "impossible_values"),
        (lambda d: {**d, "total_energy": 1000.5}, "impossible_values"),
        (_over_seven_days, "impossible_values"),
        (lambda d: {**d, "currency": "GBP"}, "currency_mismatch"),
        (
            lambda d: {
                **d,
                "charging_periods": [{**d["charging_periods"][0], "tariff_id": "NOPE"}],
            },
            "unknown_tariff",
        ),
        (
            lambda d: {**d, "cdr_token": {**d["cdr_token"], "uid": "SOMEONE-ELSE"}},
            "unknown_token",
        ),
        (lambda d: {**d, "credit": True, "credit_reference_id": "CDR1"}, "credit_cdr"),
    ],
    ids=[
        "negative-energy",
        "over-1-MWh",
        "over-7-days",
        "currency-mismatch",
        "unknown-tariff",
        "unknown-token",
        "credit-cdr",
    ],
)
def test_cdrs_that_cannot_be_charged_go_to_review(
    partner, token, driver, settings, django_capture_on_commit_callbacks, change, reason
):
    save_card(driver, settings)

    cdr = store(partner, change(cdr_data(token)), django_capture_on_commit_callbacks)

    cdr.refresh_from_db()
    assert cdr.rating_status == CDR.RatingStatus.NEEDS_REVIEW
    rating = CdrRating.objects.get(cdr=cdr)
    assert rating.review_reason == reason
    assert rating.review_message
    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()


def test_a_stored_cdr_ending_before_it_starts_is_not_charged(partner, token, driver, settings):
    # The OCPI receiver refuses such a CDR (400); a CDR stored otherwise is still checked.
    save_card(driver, settings)
    cdr = cdr_store(partner, cdr_data(token))
    CDR.objects.filter(pk=cdr.pk).update(end_date_time=cdr.start_date_time - timedelta(hours=1))

    rating = cdr_rate(cdr_id=cdr.pk)

    assert rating.review_reason == "impossible_values"
    assert "ends before it starts" in rating.review_message
    assert not Invoice.objects.exists()


def test_the_receipt_and_its_pdf_are_in_the_drivers_language(
    partner, token, driver, settings, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from pypdf import PdfReader

    from drivers.services import driver_profile_update

    driver_profile_update(user=driver, preferred_language="de")
    save_card(driver, settings)
    mail.outbox.clear()

    store(partner, cdr_data(token, kwh="20"), django_capture_on_commit_callbacks)

    invoice = Invoice.objects.get()
    receipt = mail.outbox[-1]
    assert invoice.language == "de"
    assert receipt.subject.endswith(f"Ihre Quittung für Rechnung {invoice.number}")
    assert "Danke, dass Sie bei uns geladen haben" in receipt.body
    text = PdfReader(BytesIO(receipt.attachments[0][1])).pages[0].extract_text()
    assert f"Rechnung {invoice.number}" in text
    assert "Summe inkl. MwSt." in text
    assert "9,32" in text  # German decimal comma
