"""The back office: invoices searchable and read-only, credit notes with their refund (once),
the review queue's decisions, staff permissions by role."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from billing.models import CdrRating, CreditNote, Invoice, Refund
from billing.services.credit_notes import CreditNoteError, credit_note_issue
from billing.services.rating import cdr_rate, cdr_review_not_billable
from roaming.models import CDR
from tests.billing.conftest import save_card
from tests.billing.invoicing import cdr_data, cdr_store, cpo, location, our_token, tariff
from tests.drivers.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db):
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


@pytest.fixture
def paid_invoice(partner, driver, settings, django_capture_on_commit_callbacks):
    save_card(driver, settings)
    with django_capture_on_commit_callbacks(execute=True):
        cdr = cdr_store(partner, cdr_data(our_token(user=driver), kwh="20"))
    invoice = Invoice.objects.get(cdr=cdr)
    assert invoice.payment_status == Invoice.PaymentStatus.PAID
    return invoice


@pytest.fixture
def billing_staff(db):
    return StaffFactory(role="billing")


def stripe_refunds(settings) -> list[dict]:
    from billing.stripe_gateway import client

    return [r.to_dict() for r in client().v1.refunds.list(params={"limit": 100}).data]


def test_billing_staff_find_invoices_by_number_email_or_name(client, billing_staff, paid_invoice):
    client.force_login(billing_staff)

    for query in (paid_invoice.number, paid_invoice.buyer_email, paid_invoice.buyer_name):
        page = client.get("/admin/billing/invoice/", {"q": query})
        assert list(page.context["cl"].result_list) == [paid_invoice], query
    filtered = client.get("/admin/billing/invoice/", {"payment_status__exact": "open"})
    assert list(filtered.context["cl"].result_list) == []
    detail = client.get(f"/admin/billing/invoice/{paid_invoice.pk}/change/")
    assert detail.status_code == 200
    assert paid_invoice.number in detail.content.decode()


def test_a_full_credit_note_from_the_admin_refunds_once(
    client, billing_staff, paid_invoice, settings
):
    client.force_login(billing_staff)
    key = str(uuid.uuid4())
    form = {
        "action": "credit_note_action",
        "_selected_action": str(paid_invoice.pk),
        "apply": "1",
        "amount": "",
        "reason": "billing_error",
        "note": "Charger reported wrong energy",
        "request_key": key,
    }

    first = client.post("/admin/billing/invoice/", form)
    again = client.post("/admin/billing/invoice/", form)  # a double submit

    assert first.status_code == 302
    assert again.status_code == 302
    note = CreditNote.objects.get()
    assert note.number == f"CN-{note.issued_at.year}-NL-EUR-000001"
    assert note.invoice == paid_invoice
    assert note.total_incl_vat == Decimal("9.32")
    assert sum(line.amount_incl_vat for line in note.lines.all()) == Decimal("9.32")
    assert note.created_by == billing_staff
    refund = Refund.objects.get()
    assert (refund.amount, refund.state) == (Decimal("9.32"), Refund.State.SUCCEEDED)
    assert [r["amount"] for r in stripe_refunds(settings)] == [932]


def test_a_partial_credit_note_spreads_over_the_lines_and_cannot_exceed_what_was_paid(paid_invoice):
    note = credit_note_issue(
        invoice_id=paid_invoice.pk,
        amount=Decimal("2.00"),
        reason="goodwill",
        request_key="partial-1",
    )

    lines = list(note.lines.all())
    assert sum(line.amount_incl_vat for line in lines) == Decimal("2.00")
    assert [line.vat_rate for line in lines] == [Decimal("21.00"), Decimal("21.00")]
    assert note.total_excl_vat + note.total_vat == Decimal("2.00")
    with pytest.raises(CreditNoteError, match=r"At most 7\.32"):
        credit_note_issue(
            invoice_id=paid_invoice.pk, amount=Decimal("7.50"), reason="goodwill", request_key="p2"
        )
    with pytest.raises(CreditNoteError):
        credit_note_issue(
            invoice_id=paid_invoice.pk, amount=Decimal("0.001"), reason="goodwill", request_key="p3"
        )
    with pytest.raises(CreditNoteError):
        credit_note_issue(
            invoice_id=paid_invoice.pk, amount=Decimal("1"), reason="because", request_key="p4"
        )
    assert CreditNote.objects.count() == 1
    assert Refund.objects.get().amount == Decimal("2.00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-1"),
        ("amount", "abc"),
        ("amount", "1e400"),
        ("reason", "nope"),
        ("note", ""),
        ("request_key", "x"),
    ],
)
def test_the_credit_note_form_refuses_bad_input(client, billing_staff, paid_invoice, field, value):
    client.force_login(billing_staff)
    form = {
        "action": "credit_note_action",
        "_selected_action": str(paid_invoice.pk),
        "apply": "1",
        "amount": "1.00",
        "reason": "goodwill",
        "note": "a note",
        "request_key": str(uuid.uuid4()),
        field: value,
    }

    page = client.post("/admin/billing/invoice/", form)

    assert page.status_code == 200
    assert page.context["form"].errors
    assert not CreditNote.objects.exists()


def test_support_staff_see_invoices_but_cannot_credit_them(client, paid_invoice):
    client.force_login(StaffFactory(role="support"))

    listing = client.get("/admin/billing/invoice/")
    attempt = client.post(
        "/admin/billing/invoice/",
        {"action": "credit_note_action", "_selected_action": str(paid_invoice.pk)},
    )

    assert listing.status_code == 200
    assert "credit_note_action" not in listing.content.decode()
    assert attempt.status_code in (200, 302, 403)
    assert not CreditNote.objects.exists()


def test_an_unpaid_invoice_is_not_credited(partner, driver):
    cdr = cdr_store(partner, cdr_data(our_token(user=driver)))
    cdr_rate(cdr_id=cdr.pk)
    invoice = Invoice.objects.get()

    with pytest.raises(CreditNoteError, match="paid"):
        credit_note_issue(invoice_id=invoice.pk, amount=None, reason="goodwill", request_key="k")


def queued(partner, token, **change):
    cdr = cdr_store(partner, {**cdr_data(token), **change})
    cdr_rate(cdr_id=cdr.pk)
    return CdrRating.objects.get(cdr=cdr)


def test_staff_approve_a_queued_cdr_and_it_is_invoiced(
    client, billing_staff, partner, driver, settings
):
    save_card(driver, settings)
    rating = queued(partner, our_token(user=driver), total_energy=1500)
    client.force_login(billing_staff)

    queue = client.get("/admin/billing/cdrreview/")
    without_note = client.post(
        "/admin/billing/cdrreview/",
        {"action": "approve_action", "_selected_action": str(rating.pk), "apply": "1", "note": ""},
    )
    approved = client.post(
        "/admin/billing/cdrreview/",
        {
            "action": "approve_action",
            "_selected_action": str(rating.pk),
            "apply": "1",
            "note": "1.5 MWh bus depot, confirmed with the CPO",
        },
    )

    assert list(queue.context["cl"].result_list) == [rating]
    assert without_note.status_code == 200
    assert without_note.context["form"].errors
    assert approved.status_code == 302
    rating.refresh_from_db()
    assert rating.decision == "approved"
    assert rating.decided_by == billing_staff
    assert CDR.objects.get(pk=rating.cdr_id).rating_status == CDR.RatingStatus.RATED
    assert Invoice.objects.filter(cdr_id=rating.cdr_id).count() == 1
    assert list(client.get("/admin/billing/cdrreview/").context["cl"].result_list) == []


def test_staff_mark_a_queued_cdr_not_billable(billing_staff, partner):
    rating = queued(
        partner,
        {"country_code": "DE", "party_id": "XYZ", "uid": "X1", "type": "RFID", "contract_id": "C"},
    )

    assert rating.review_reason == "unknown_token"
    with pytest.raises(ValueError, match="note"):
        cdr_review_not_billable(rating_id=rating.pk, user=billing_staff, note="  ")
    cdr_review_not_billable(rating_id=rating.pk, user=billing_staff, note="Roaming test card")

    assert CDR.objects.get(pk=rating.cdr_id).rating_status == CDR.RatingStatus.NOT_BILLABLE
    assert cdr_rate(cdr_id=rating.cdr_id).decision == "not_billable"  # never rated afterwards
    assert not Invoice.objects.exists()


def test_operations_staff_cannot_decide_the_review_queue(client, partner, driver):
    rating = queued(partner, our_token(user=driver), total_energy=-1)
    client.force_login(StaffFactory(role="operations"))

    assert client.get("/admin/billing/cdrreview/").status_code == 403
    response = client.post(
        "/admin/billing/cdrreview/",
        {"action": "approve_action", "_selected_action": str(rating.pk), "apply": "1", "note": "x"},
    )
    assert response.status_code == 403
    assert CDR.objects.get(pk=rating.cdr_id).rating_status == CDR.RatingStatus.NEEDS_REVIEW


def test_the_reconciliation_list_shows_flagged_differences(
    client, billing_staff, partner, driver, settings
):
    save_card(driver, settings)
    queued(partner, our_token(user=driver), total_cost={"excl_vat": 9.0, "incl_vat": 10.89})
    client.force_login(billing_staff)

    page = client.get("/admin/billing/cdrrating/", {"reconciliation_flagged__exact": "1"})

    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 1
    assert page.context["cl"].result_list[0].difference_excl_vat == Decimal("-2.00")


def test_the_credit_note_action_needs_the_permission(rf, billing_staff, paid_invoice):
    from django.contrib.admin.sites import site

    from billing.admin_invoicing import InvoiceAdmin

    request = rf.post("/admin/billing/invoice/")
    request.user = StaffFactory(role="support")
    with pytest.raises(PermissionDenied):
        InvoiceAdmin(Invoice, site).credit_note_action(request, Invoice.objects.all())
