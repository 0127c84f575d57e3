"""One charge, end to end, with every peer real: the CPO simulator over HTTP, our server live
on loopback, a Celery worker on Redis, the fake Stripe. The driver starts charging from the
app; the simulator's Session pushes make the running cost rise; the driver stops; the CDR is
rated by the worker, invoiced, captured from the hold, and the receipt mailed with its PDF."""

import email
import os
import time
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from billing.models import Invoice, Payment, SessionCost, SessionHold
from drivers.services import token_app_get_or_create
from roaming.commands import command_start_session, command_stop_session
from roaming.models import CDR, EVSE, Session
from roaming.services.pulls import partner_pull
from tariffs.selectors import connector_power_kw
from tests.billing.conftest import app_client, save_card, stripe_charged_intents
from tests.processes import celery_worker_running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_until(check, *, timeout=60.0, what=""):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """Where the worker (another process) writes its emails."""
    monkeypatch.setenv("EMSP_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var" / "mail"


def charging_powers(session: Session) -> set[Decimal]:
    """The MAX_POWER readings (kW) of the session's periods with energy."""
    readings = [
        {d["type"]: Decimal(str(d["volume"])) for d in period["dimensions"]}
        for period in session.charging_periods
    ]
    return {r["MAX_POWER"] for r in readings if r.get("ENERGY")}


def test_a_charge_from_start_to_paid_invoice(
    registered, simulator, driver, settings, tmp_path, mail_dir
):
    settings.BILLING_HOLDS_ENABLED = True
    # Small steps, often: the car charges for about 20 s (0.4 kWh a push), so the cost is seen
    # rising however late the worker picks up the first push; in big steps the battery could be
    # full before the first running cost was rated, and the cost never rose after it.
    simulator.configure(energy_speed=300, session_tick=0.5)
    partner_pull(partner=registered, module="tariffs")
    partner_pull(partner=registered, module="locations")
    save_card(driver, settings)
    token = token_app_get_or_create(user=driver)
    evse = (
        EVSE.objects.filter(status="AVAILABLE", location__partner=registered)
        .exclude(connectors__tariff_ids=[])
        .order_by("pk")
        .first()
    )
    connector = evse.connectors.order_by("pk").first()
    client = app_client(driver)

    with celery_worker_running(tmp_path):
        command = command_start_session(
            driver=driver,
            token=token,
            location=evse.location,
            evse_uid=evse.uid,
            connector_id=connector.ocpi_id,
        )
        assert command.status == "accepted"
        session = wait_until(
            lambda: Session.objects.filter(token=token).first(), what="the session"
        )

        # The running cost follows the pushes: it rises while the energy flows.
        first = wait_until(
            lambda: SessionCost.objects.filter(session=session, total_incl_vat__gt=0).first(),
            what="a running cost",
        )
        wait_until(
            lambda: SessionCost.objects.filter(
                session=session, total_incl_vat__gt=first.total_incl_vat
            ).exists(),
            what="the cost rising",
        )
        wait_until(
            lambda: SessionCost.objects.filter(session=session, total_incl_vat__gt=2).exists(),
            what="a few euros charged",
        )
        live = client.get(f"/api/v1/sessions/{session.pk}").json()
        assert Decimal(live["running_cost_incl_vat"]) > 0
        assert Decimal(live["energy_kwh"]) > 0
        # The CPO reports the power it measures: the connector's, not 300x it from the
        # simulator's sped-up clock (ENERGY over TIME), so that is what the driver is shown.
        powers = charging_powers(Session.objects.get(pk=session.pk))
        assert powers
        assert all(0 < power <= connector_power_kw(connector) for power in powers), powers
        hold = wait_until(
            lambda: SessionHold.objects.filter(session=session, payment__isnull=False).first(),
            what="the hold",
        )
        assert hold.payment.state == Payment.State.AUTHORIZED

        command_stop_session(driver=driver, session=Session.objects.get(pk=session.pk))
        cdr = wait_until(lambda: CDR.objects.filter(session=session).first(), what="the CDR")
        invoice = wait_until(
            lambda: Invoice.objects.filter(
                cdr=cdr, payment_status="paid", receipt_sent_at__isnull=False
            ).first(),
            timeout=90,
            what="the invoice paid and its receipt sent",
        )

    session.refresh_from_db()
    cost = SessionCost.objects.get(session=session)
    assert invoice.total_incl_vat == cost.total_incl_vat  # the live cost was the invoiced cost
    assert invoice.payment_id == hold.payment_id
    captured = Payment.objects.get(pk=hold.payment_id)
    charged = stripe_charged_intents(settings)
    assert len(charged) == 1
    assert captured.amount_captured == invoice.amount_due
    assert client.get(f"/api/v1/invoices/{invoice.pk}").json()["payment_status"] == "paid"
    # The receipt: in the worker's mail folder, with the invoice as PDF.
    messages = [email.message_from_bytes(path.read_bytes()) for path in sorted(mail_dir.iterdir())]
    receipts = [m for m in messages if invoice.number in m["Subject"]]
    assert len(receipts) == 1
    pdfs = [part for part in receipts[0].walk() if part.get_content_type() == "application/pdf"]
    text = PdfReader(BytesIO(pdfs[0].get_payload(decode=True))).pages[0].extract_text()
    assert invoice.number in text
    assert os.environ["EMSP_VAR_DIR"]
