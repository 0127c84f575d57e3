"""Refunds: partial or full, with a reason, once per request, never more than captured."""

import uuid
from decimal import Decimal

import pytest

from billing import services
from billing.models import Payment, Refund
from billing.stripe_gateway import client
from tests.billing.conftest import save_card
from tests.drivers.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(driver, settings):
    save_card(driver, settings)
    payment = services.payment_charge(
        user=driver, purpose="invoice", reference="INV-9", amount=Decimal("20.00"), currency="EUR"
    )
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    return payment


def stripe_refunds() -> list[dict]:
    return [r.to_dict() for r in client().v1.refunds.list(params={"limit": 100}).data]


def refund(payment, amount, key=None, reason="requested_by_customer"):
    return services.refund_request(
        payment_id=payment.pk,
        amount=Decimal(amount),
        reason=reason,
        request_key=key or str(uuid.uuid4()),
        note="Charger broke mid-session",
    )


def test_a_partial_refund_then_the_rest(paid):
    first = refund(paid, "5.00")
    second = refund(paid, "15.00")

    paid.refresh_from_db()
    assert first.state == second.state == Refund.State.SUCCEEDED
    assert paid.amount_refunded == Decimal("20.00")
    assert sorted(r["amount"] for r in stripe_refunds()) == [500, 1500]
    assert all(r["metadata"]["reason"] == "requested_by_customer" for r in stripe_refunds())


def test_more_than_captured_is_refused_and_nothing_reaches_stripe(paid):
    refund(paid, "15.00")

    with pytest.raises(services.RefundError, match=r"At most 5\.00"):
        refund(paid, "5.01")

    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("15.00")
    assert len(stripe_refunds()) == 1
    assert Refund.objects.count() == 1


def test_the_same_refund_request_refunds_once(paid):
    key = str(uuid.uuid4())

    first = refund(paid, "5.00", key=key)
    again = refund(paid, "5.00", key=key)

    assert first.pk == again.pk
    assert len(stripe_refunds()) == 1
    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("5.00")


def test_a_refund_retried_after_stripe_answered_but_before_we_recorded_finds_its_refund(paid):
    made = refund(paid, "5.00")
    # as if we had crashed before recording Stripe's answer
    Refund.objects.filter(pk=made.pk).update(state=Refund.State.PENDING, stripe_refund_id="")

    again = services.refund_process(refund_id=made.pk)

    assert again.state == Refund.State.SUCCEEDED
    assert len(stripe_refunds()) == 1


@pytest.mark.parametrize(
    ("amount", "reason", "key"),
    [
        ("0", "requested_by_customer", "k1"),
        ("-1.00", "requested_by_customer", "k2"),
        ("1.001", "requested_by_customer", "k3"),
        ("1.00", "because", "k4"),
        ("1.00", "requested_by_customer", ""),
        ("1.00", "requested_by_customer", "k" * 201),
    ],
    ids=["zero", "negative", "too-precise", "unknown-reason", "no-key", "oversized-key"],
)
def test_bad_refund_requests_are_refused(paid, amount, reason, key):
    with pytest.raises(services.RefundError):
        services.refund_request(
            payment_id=paid.pk, amount=Decimal(amount), reason=reason, request_key=key
        )

    assert not Refund.objects.exists()
    assert stripe_refunds() == []


def test_an_unpaid_payment_cannot_be_refunded(driver):
    payment = services.payment_charge(
        user=driver, purpose="invoice", reference="X", amount=Decimal("3.00"), currency="EUR"
    )

    with pytest.raises(services.RefundError):
        refund(payment, "1.00")


def test_billing_staff_refund_from_the_admin_with_a_reason(paid, client):
    staff = StaffFactory(role="billing")
    client.force_login(staff)
    key = str(uuid.uuid4())
    form = {
        "action": "refund_action",
        "_selected_action": [str(paid.pk)],
        "apply": "1",
        "amount": "7.50",
        "reason": "goodwill",
        "note": "Sorry",
        "request_key": key,
    }

    shown = client.post(
        "/admin/billing/payment/", {"action": "refund_action", "_selected_action": [str(paid.pk)]}
    )
    done = client.post("/admin/billing/payment/", form, follow=True)
    twice = client.post("/admin/billing/payment/", form, follow=True)

    assert shown.status_code == 200
    assert b'name="request_key"' in shown.content
    assert done.status_code == twice.status_code == 200
    made = Refund.objects.get()
    assert (made.amount, made.reason, made.note, made.created_by) == (
        Decimal("7.50"),
        "goodwill",
        "Sorry",
        staff,
    )
    assert len(stripe_refunds()) == 1


@pytest.mark.parametrize(
    "changes",
    [{"amount": "25.00"}, {"amount": "abc"}, {"amount": ""}, {"reason": "x"}, {"request_key": "1"}],
    ids=["over-captured", "not-a-number", "missing", "bad-reason", "bad-key"],
)
def test_the_admin_refund_form_refuses_bad_input(paid, client, changes):
    client.force_login(StaffFactory(role="billing"))
    form = {
        "action": "refund_action",
        "_selected_action": [str(paid.pk)],
        "apply": "1",
        "amount": "1.00",
        "reason": "goodwill",
        "request_key": str(uuid.uuid4()),
        **changes,
    }

    response = client.post("/admin/billing/payment/", form)

    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Refund.objects.exists()


def test_support_staff_see_payments_but_cannot_refund(paid, client):
    client.force_login(StaffFactory(role="support"))

    listing = client.get("/admin/billing/payment/", {"q": paid.reference})
    attempt = client.post(
        "/admin/billing/payment/",
        {
            "action": "refund_action",
            "_selected_action": [str(paid.pk)],
            "apply": "1",
            "amount": "1.00",
            "reason": "goodwill",
            "request_key": str(uuid.uuid4()),
        },
    )

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [paid]
    assert listing.context["cl"].list_per_page == 50
    assert attempt.status_code in {200, 302, 403}
    assert not Refund.objects.exists()
