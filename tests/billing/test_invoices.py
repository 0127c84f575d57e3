"""Invoices: what the driver sees (web and API, PDF), only their own; immutable once issued;
numbers without gaps or duplicates even when issued concurrently."""

import threading
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection, transaction
from pypdf import PdfReader

from billing.models import ImmutableRecordError, Invoice, InvoiceLine
from billing.services.invoices import document_number_next
from billing.services.rating import cdr_rate
from drivers.services import driver_delete
from tests.billing.conftest import app_client, save_card
from tests.billing.invoicing import cdr_data, cdr_store, cpo, location, our_token, tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(driver, settings):
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    save_card(driver, settings)
    cdr = cdr_store(partner, cdr_data(our_token(user=driver), kwh="20"))
    cdr_rate(cdr_id=cdr.pk)
    return Invoice.objects.get(cdr=cdr)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_the_driver_lists_reads_and_downloads_their_invoice_in_the_app(driver, invoice):
    client = app_client(driver)

    listed = client.get("/api/v1/invoices").json()
    detail = client.get(f"/api/v1/invoices/{invoice.pk}").json()
    pdf = client.get(f"/api/v1/invoices/{invoice.pk}/pdf", HTTP_ACCEPT="application/pdf")

    assert listed["count"] == 1
    assert listed["results"][0]["number"] == invoice.number
    assert detail["total_incl_vat"] == "9.32"
    assert [line["component"] for line in detail["lines"]] == ["fixed", "energy"]
    assert detail["lines"][1]["vat_rate"] == "21.00"
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert invoice.number in text
    assert "9.32" in text or "9.32" in text
    assert invoice.seller_vat_id in text


def test_the_invoice_pdf_is_in_the_drivers_language(driver, invoice):
    from drivers.services import driver_profile_update

    driver_profile_update(user=driver, preferred_language="de")
    client = app_client(driver)

    content = client.get(f"/api/v1/invoices/{invoice.pk}/pdf").content
    text = pdf_text(content)

    assert invoice.language == "en"  # issued in English: the document keeps its language
    assert "Invoice" in text


def test_the_web_pages_show_the_invoice_and_its_pdf(driver_client, invoice):
    listing = driver_client.get("/account/invoices/")
    page = driver_client.get(f"/account/invoices/{invoice.pk}/")
    pdf = driver_client.get(f"/account/invoices/{invoice.pk}/pdf/")

    assert invoice.number in listing.content.decode()
    assert "9.32" in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/invoices/{id}", "/api/v1/invoices/{id}/pdf"],
)
def test_another_drivers_invoice_is_not_found_in_the_api(other_driver, invoice, path):
    response = app_client(other_driver).get(path.format(id=invoice.pk))

    assert response.status_code == 404
    assert app_client(other_driver).get("/api/v1/invoices").json()["count"] == 0


@pytest.mark.parametrize("path", ["/account/invoices/{id}/", "/account/invoices/{id}/pdf/"])
def test_another_drivers_invoice_is_not_found_on_the_web(client, other_driver, invoice, path):
    client.force_login(other_driver)

    assert client.get(path.format(id=invoice.pk)).status_code == 404


@pytest.mark.parametrize(
    "invoice_id",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --", "x" * 500, "%00"],
)
def test_bad_invoice_ids_are_not_found(driver, invoice_id):
    client = app_client(driver)

    assert client.get(f"/api/v1/invoices/{invoice_id}").status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice_id}/pdf").status_code == 404


def test_invoices_need_a_signed_in_driver(api_client, client, invoice):
    assert api_client.get("/api/v1/invoices").status_code in (401, 403)
    assert api_client.get(f"/api/v1/invoices/{invoice.pk}/pdf").status_code in (401, 403)
    assert client.get(f"/account/invoices/{invoice.pk}/pdf/").status_code == 302


def test_the_invoice_list_refuses_bad_paging(driver, invoice):
    client = app_client(driver)

    assert client.get("/api/v1/invoices?limit=0").status_code == 400
    assert client.get("/api/v1/invoices?limit=abc").status_code == 400
    assert client.get("/api/v1/invoices?offset=-1").status_code == 400


def test_invoice_endpoints_take_no_writes(driver, invoice):
    client = app_client(driver)

    assert client.post("/api/v1/invoices", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/invoices/{invoice.pk}").status_code == 405
    assert (
        client.put(
            f"/api/v1/invoices/{invoice.pk}", {"total_incl_vat": "0"}, format="json"
        ).status_code
        == 405
    )


def test_an_issued_invoice_cannot_be_changed_or_deleted(invoice):
    invoice.total_incl_vat = Decimal("0.01")
    with pytest.raises(ImmutableRecordError):
        invoice.save()
    with pytest.raises(ImmutableRecordError):
        invoice.save(update_fields=["total_incl_vat"])
    with pytest.raises(ImmutableRecordError):
        invoice.delete()
    line = InvoiceLine.objects.filter(invoice=invoice).first()
    line.amount_excl_vat = Decimal(0)
    with pytest.raises(ImmutableRecordError):
        line.save()
    with pytest.raises(ImmutableRecordError):
        line.delete()
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.total_incl_vat == Decimal("9.32")
    # Only its payment bookkeeping moves.
    stored.payment_status = Invoice.PaymentStatus.OPEN
    stored.save(update_fields=["payment_status"])


def test_the_invoice_survives_the_account_deletion(driver, invoice):
    email, name = driver.email, driver.profile.full_name

    driver_delete(user=driver)

    kept = Invoice.objects.get(pk=invoice.pk)
    assert kept.user is None
    assert (kept.buyer_email, kept.buyer_name) == (email, name)
    assert kept.lines.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_get_consecutive_numbers_without_gaps_or_duplicates():
    numbers, errors = [], []
    barrier = threading.Barrier(6)

    def issue(fail: bool) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(10):
                try:
                    with transaction.atomic():
                        number = document_number_next(series="TEST-2026")
                        if fail:
                            raise RuntimeError("rolled back")
                        numbers.append(number)
                except RuntimeError:
                    pass
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(index == 0,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == list(range(1, 51))  # the rolled-back numbers were given back


@pytest.mark.django_db(transaction=True)
def test_numbers_are_allocated_only_inside_a_transaction():
    with pytest.raises(RuntimeError):
        document_number_next(series="TEST-2026")
