"""Emails to drivers about their charges: session started (the CPO reports it ACTIVE), session
finished with the cost (the CDR rated and invoiced), payment failed (with the pay-now link).
Each once, even when its task runs again; in the driver's language; the optional ones can be
switched off. Sessions and CDRs arrive through the real OCPI receiver services, the card is
charged at the fake Stripe."""

from smtplib import SMTPException

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from billing.models import Invoice, Payment
from billing.services.rating import cdrs_rate
from billing.tasks import payment_failure_notify_task
from drivers.models import Notification
from drivers.notifications import notification_send
from drivers.tasks import session_finished_notify_task, session_started_notify_task
from roaming.services.cdrs import cdr_post
from roaming.services.sessions import session_put
from tests.billing.conftest import DECLINED_WHEN_CHARGED, VISA, save_card
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
def partner(settings, fake_stripe):
    settings.BILLING_HOLDS_ENABLED = False
    settings.EMSP_PUBLIC_URL = "https://emsp.example.com"
    partner = cpo()
    tariff(partner, energy="0.30", flat="1.00")
    location(partner)
    return partner


def sent(words: str) -> list:
    return [message for message in mail.outbox if words in message.subject]


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def report_session(partner, token, capture, **kwargs):
    with capture(execute=True):
        return session_put(partner=partner, data=session_data(token, **kwargs)).obj


def charge(partner, token, capture) -> Invoice:
    with capture(execute=True):
        cdr = cdr_store(partner, cdr_data(token, session_id="S1"))
    return Invoice.objects.get(cdr=cdr)


def test_a_charge_sends_started_then_finished_with_the_cost_once_each(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings, number=VISA)
    token = our_token(user=driver)
    mail.outbox.clear()

    report_session(partner, token, django_capture_on_commit_callbacks, status="PENDING")
    assert sent("started") == []  # not charging yet
    session = report_session(partner, token, django_capture_on_commit_callbacks)
    report_session(
        partner, token, django_capture_on_commit_callbacks, periods=[period(0, 2.5)], kwh=2.5
    )

    [started] = sent("Your charge has started")
    assert started.to == [driver.email]
    assert "Stationsplein, Stationsplein 1, Utrecht" in started.body
    assert f"https://emsp.example.com/account/sessions/{session.pk}/" in started.body
    assert f'href="https://emsp.example.com/account/sessions/{session.pk}/"' in html_of(started)
    assert session_started_notify_task(session.pk) is False  # the task again: nothing more
    assert session_started_notify_task.delay(session.pk).get() is False
    assert len(sent("started")) == 1

    invoice = charge(partner, token, django_capture_on_commit_callbacks)

    [finished] = sent("Your charge is finished")
    assert finished.subject == "[EMSP] Your charge is finished: 9.32 EUR"
    assert "Energy: 20 kWh" in finished.body
    assert "Duration: 60 minutes" in finished.body
    assert "Place: Stationsplein" in finished.body
    assert "Amount: 9.32 EUR (incl. VAT)" in finished.body
    assert f"https://emsp.example.com/account/invoices/{invoice.pk}/" in finished.body
    assert invoice.number in html_of(finished)
    assert session_finished_notify_task(str(invoice.pk)) is False
    assert len(sent("finished")) == 1
    assert sent("Payment needed") == []  # the card paid
    assert set(Notification.objects.values_list("key", flat=True)) == {
        f"session_started:{session.pk}",
        f"session_finished:{session.pk}",
    }


def test_charges_rated_in_one_batch_each_send_finished_once(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings, number=VISA)
    token = our_token(user=driver)
    cdrs = [
        cdr_post(partner=partner, data=cdr_data(token, ocpi_id=f"B{n}"), announce=False).obj
        for n in range(3)
    ]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cdrs_rate(cdr_ids=[cdr.pk for cdr in cdrs])
    with django_capture_on_commit_callbacks(execute=True):
        cdrs_rate(cdr_ids=[cdr.pk for cdr in cdrs])  # a redelivered batch issues nothing

    finished = sent("Your charge is finished")
    assert len(finished) == 3
    numbers = {invoice.number for invoice in Invoice.objects.filter(cdr__in=cdrs)}
    assert {next(n for n in numbers if n in html_of(message)) for message in finished} == numbers


def test_a_declined_charge_sends_payment_needed_once_with_the_pay_link(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    mail.outbox.clear()

    invoice = charge(partner, token, django_capture_on_commit_callbacks)

    payment = Payment.objects.get(pk=invoice.payment_id)
    assert payment.state == Payment.State.FAILED
    [needed] = sent("Payment needed")
    assert "Your card was declined." in needed.body
    assert f"https://emsp.example.com/account/payments/{payment.pk}/" in needed.body
    assert f'href="https://emsp.example.com/account/payments/{payment.pk}/"' in html_of(needed)
    assert payment_failure_notify_task(str(payment.pk)) is False
    assert payment_failure_notify_task.delay(str(payment.pk)).get() is False
    assert len(sent("Payment needed")) == 1
    assert Notification.objects.filter(kind="payment_failed").count() == 1


def test_emails_are_in_the_drivers_language(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    driver.profile.preferred_language = "de"
    driver.profile.save()
    token = our_token(user=driver)
    mail.outbox.clear()

    session = report_session(partner, token, django_capture_on_commit_callbacks)

    [started] = mail.outbox
    assert '<html lang="de">' in html_of(started)  # rendered with German active
    assert Notification.objects.get(key=f"session_started:{session.pk}").language == "de"


def test_a_driver_can_switch_the_charge_emails_off_but_not_payment_problems(
    partner, driver, settings, django_capture_on_commit_callbacks, driver_client
):
    form = {
        "full_name": driver.profile.full_name,
        "address_line1": driver.profile.address_line1,
        "postal_code": driver.profile.postal_code,
        "city": driver.profile.city,
        "country": "NL",
        "preferred_language": "en",
        "notification_emails": "",  # the box left unticked
    }
    assert driver_client.post("/account/profile/", form).status_code == 302
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    token = our_token(user=driver)
    mail.outbox.clear()

    report_session(partner, token, django_capture_on_commit_callbacks)
    charge(partner, token, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == ["[EMSP] Payment needed"]


def test_the_app_switches_the_charge_emails(driver, api_client):
    api_client.force_authenticate(driver)

    assert api_client.get("/api/v1/me").json()["notification_emails"] is True
    answer = api_client.patch("/api/v1/me", {"notification_emails": False}, format="json")

    assert answer.json()["notification_emails"] is False
    driver.profile.refresh_from_db()
    assert driver.profile.notification_emails is False
    bad = api_client.patch("/api/v1/me", {"notification_emails": "no"}, format="json")
    assert bad.status_code == 400


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPException("mail server down")


def test_an_email_that_could_not_be_sent_is_sent_when_tried_again(driver, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    context = {"session": None, "place": "Stationsplein", "session_url": "https://x/"}

    with pytest.raises(SMTPException):
        notification_send(user=driver, kind="session_started", reference=1, context=context)

    assert not Notification.objects.exists()  # not marked as sent
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_send(user=driver, kind="session_started", reference=1, context=context)
    assert not notification_send(user=driver, kind="session_started", reference=1, context=context)
    assert len(mail.outbox) == 1


def test_a_payment_email_that_could_not_be_sent_is_sent_by_the_retried_task(
    partner, driver, settings, django_capture_on_commit_callbacks
):
    save_card(driver, settings, number=DECLINED_WHEN_CHARGED)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    token = our_token(user=driver)

    with pytest.raises(Retry):  # tasks run in-process here: the task's retry surfaces
        charge(partner, token, django_capture_on_commit_callbacks)

    payment = Payment.objects.get(user=driver)
    assert payment.state == Payment.State.FAILED
    assert payment.driver_notified_attempt == 0  # not marked as told
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert payment_failure_notify_task(str(payment.pk)) is True
    assert payment_failure_notify_task(str(payment.pk)) is False
    assert len(sent("Payment needed")) == 1
