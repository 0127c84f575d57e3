"""Pre-authorisation holds: placed once at the start of a charge (our START_SESSION or an RFID
session the CPO reports, whichever comes first), sized from the price preview and capped,
captured at the rated CDR (the difference charged when the session outgrew it), released when
the session ends without a charge."""

from decimal import Decimal

import pytest

from billing.models import Invoice, Payment, SessionHold
from billing.services.sessions import session_hold_for_command
from roaming.models import Command
from roaming.services.sessions import session_put
from tests.billing.conftest import app_client, save_card, stripe_payment_intents
from tests.billing.invoicing import (
    cdr_data,
    cdr_store,
    cpo,
    location,
    our_token,
    period,
    session_data,
    tariff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db, settings):
    settings.BILLING_HOLDS_ENABLED = True
    settings.BILLING_HOLD_PREVIEW_KWH = "40"
    settings.BILLING_HOLD_CAP = {"EUR": "50.00"}
    partner = cpo()
    tariff(partner, energy="0.50", flat="1.00")
    location(partner)
    return partner


@pytest.fixture
def token(driver, settings):
    save_card(driver, settings)
    return our_token(user=driver)


def put(partner, data, capture):
    with capture(execute=True):
        return session_put(partner=partner, data=data).obj


def test_an_rfid_session_gets_one_hold_sized_from_the_preview(
    partner, token, django_capture_on_commit_callbacks, settings
):
    session = put(
        partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks
    )
    put(
        partner,
        session_data(token, periods=[period(0, 1.0), period(10, 2.0)], kwh=3),
        django_capture_on_commit_callbacks,
    )

    hold = SessionHold.objects.get()
    assert hold.session == session
    # the default plan: the CPO tariff + 10 %: (1.00 + 40 kWh * 0.50) * 1.1 = 23.10 excl.,
    # 27.95 incl. 21 % VAT (below the 50.00 cap)
    assert hold.amount == Decimal("27.95")
    assert hold.payment.kind == Payment.Kind.HOLD
    assert hold.payment.state == Payment.State.AUTHORIZED
    intents = stripe_payment_intents(settings)
    assert [(i["amount"], i["capture_method"], i["status"]) for i in intents] == [
        (2795, "manual", "requires_capture")
    ]


def test_the_hold_is_capped(partner, token, django_capture_on_commit_callbacks, settings):
    settings.BILLING_HOLD_CAP = {"EUR": "20.00"}

    put(partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks)

    assert SessionHold.objects.get().payment.amount_authorized == Decimal("20.00")


def test_the_rated_cdr_captures_the_hold_and_the_rest_is_released(
    partner, token, django_capture_on_commit_callbacks, settings
):
    session = put(
        partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        cdr = cdr_store(
            partner,
            cdr_data(token, kwh="10", session_id=session.ocpi_id, cpo_total=("6.00", "7.26")),
        )

    invoice = Invoice.objects.get(cdr=cdr)
    hold = SessionHold.objects.get().payment
    hold.refresh_from_db()
    assert invoice.payment == hold
    assert invoice.total_incl_vat == Decimal("7.99")
    assert hold.state == Payment.State.SUCCEEDED
    assert hold.amount_captured == Decimal("7.99")
    assert invoice.payment_status == Invoice.PaymentStatus.PAID
    assert len(stripe_payment_intents(settings)) == 1  # no separate charge


def test_a_session_that_outgrew_its_hold_is_charged_the_difference(
    partner, token, django_capture_on_commit_callbacks, settings
):
    settings.BILLING_HOLD_CAP = {"EUR": "5.00"}
    session = put(
        partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        cdr = cdr_store(partner, cdr_data(token, kwh="10", session_id=session.ocpi_id))

    invoice = Invoice.objects.get(cdr=cdr)
    hold = Payment.objects.get(kind=Payment.Kind.HOLD)
    difference = Payment.objects.get(parent=hold)
    assert (hold.amount_captured, difference.amount_captured) == (Decimal("5.00"), Decimal("2.99"))
    assert difference.state == Payment.State.SUCCEEDED
    assert invoice.payment_status == Invoice.PaymentStatus.PAID


def test_a_session_ending_without_energy_releases_its_hold(
    partner, token, django_capture_on_commit_callbacks
):
    put(partner, session_data(token, periods=[period(0, 0.0)]), django_capture_on_commit_callbacks)

    put(
        partner,
        session_data(token, periods=[period(0, 0.0)], status="INVALID"),
        django_capture_on_commit_callbacks,
    )

    hold = SessionHold.objects.get()
    assert hold.released
    assert hold.payment.state == Payment.State.CANCELED


def test_our_start_command_and_its_session_share_one_hold(
    partner, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        command = Command.objects.create(
            kind="START_SESSION",
            partner=partner,
            driver=token.user,
            token=token,
            authorization_reference="REF-1",
            request={"location_id": "LOC1", "evse_uid": "EVSE1", "connector_id": "1"},
            status=Command.Status.ACCEPTED,
        )
    assert SessionHold.objects.get().key == "auth:REF-1"

    session = put(
        partner,
        session_data(token, periods=[period(0, 1.0)], authorization_reference="REF-1"),
        django_capture_on_commit_callbacks,
    )
    session_hold_for_command(command_id=command.pk)  # the command's task running late

    hold = SessionHold.objects.get()
    assert hold.session == session
    assert Payment.objects.filter(kind=Payment.Kind.HOLD).count() == 1


def test_no_hold_when_holds_are_off(partner, token, django_capture_on_commit_callbacks, settings):
    settings.BILLING_HOLDS_ENABLED = False

    put(partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks)

    assert not SessionHold.objects.exists()


def test_a_card_declined_at_the_start_is_charged_at_the_end_without_a_false_alarm(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.billing.conftest import DECLINED_WHEN_CHARGED

    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    mail.outbox.clear()
    session = put(
        partner, session_data(token, periods=[period(0, 1.0)]), django_capture_on_commit_callbacks
    )

    hold = SessionHold.objects.get().payment
    assert hold.state == Payment.State.FAILED
    assert [m.subject for m in mail.outbox if "Payment" in m.subject] == []  # nothing is owed yet
    assert app_client(driver).get("/api/v1/charging-eligibility").json()["allowed"] is True

    with django_capture_on_commit_callbacks(execute=True):
        cdr = cdr_store(partner, cdr_data(token, kwh="10", session_id=session.ocpi_id))

    invoice = Invoice.objects.get(cdr=cdr)
    hold.refresh_from_db()
    assert hold.state == Payment.State.CANCELED
    assert invoice.payment.kind == Payment.Kind.CHARGE
    assert invoice.payment_status == Invoice.PaymentStatus.OPEN  # the same card, declined again
    assert [m.subject for m in mail.outbox if "Payment needed" in m.subject]
