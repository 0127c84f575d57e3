"""Emails to drivers about their charges: session started, session finished (with the cost),
payment failed. Each is sent once: a Notification row with a unique key is written in the same
transaction as the sending, so a task run twice (or two workers at once) sends one email; a
failure to send rolls the row back and the retried task sends it.

Sent in the driver's preferred language (as allauth's emails), html and text.
"""

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from drivers.models import DriverProfile, Notification, User
from drivers.selectors import driver_language_get

logger = logging.getLogger(__name__)

Kind = Notification.Kind
STARTED_STATUSES = ("ACTIVE", "COMPLETED")  # a quick charge may end before the task runs


def notification_key(kind: str, reference: object) -> str:
    return f"{kind}:{reference}"


def notification_sent(*, kind: str, reference: object) -> bool:
    return Notification.objects.filter(key=notification_key(kind, reference)).exists()


def notification_send(
    *,
    user: User,
    kind: str,
    reference: object,
    context: dict,
    optional: bool = True,
) -> bool:
    """Email `user` the `kind` notification about `reference` once, in their language, from
    templates/drivers/email/<kind>_{subject.txt,message.txt,message.html}. `optional` emails
    respect the driver's notification_emails setting. False when not sent (already sent,
    switched off, no email address)."""
    if not user.email or not user.is_active:
        return False
    if optional and not DriverProfile.objects.filter(user=user, notification_emails=True).exists():
        return False
    language = driver_language_get(user=user) or settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user, kind=kind, key=notification_key(kind, reference), language=language
            )
            # A crash between sending and the commit may send it twice, never zero times.
            _message(user, kind, language, context).send()
    except IntegrityError:
        return False
    logger.info("notified %s: %s %s", user.pk, kind, reference)
    return True


def _message(user: User, kind: str, language: str, context: dict) -> EmailMultiAlternatives:
    with translation.override(language):
        context = {
            "user": user,
            "site_name": settings.SITE_NAME,
            "public_url": settings.EMSP_PUBLIC_URL,
            "language": language,
            **context,
        }
        subject = render_to_string(f"drivers/email/{kind}_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=render_to_string(f"drivers/email/{kind}_message.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string(f"drivers/email/{kind}_message.html", context), "text/html"
        )
    return message


def _url(name: str, *args: object) -> str:
    return settings.EMSP_PUBLIC_URL.rstrip("/") + reverse(name, args=args)


def session_started_notify(*, session_id: int) -> bool:
    """Tell the driver their charge has started (the CPO reported the Session ACTIVE)."""
    from roaming.models import Session

    session = (
        Session.objects.select_related("token__user", "location").filter(pk=session_id).first()
    )
    if session is None or session.token is None or session.status not in STARTED_STATUSES:
        return False
    return notification_send(
        user=session.token.user,
        kind=Kind.SESSION_STARTED,
        reference=session.pk,
        context={
            "session": session,
            "place": _place(session.location, session.ocpi_location_id),
            "session_url": _url("billing:session_detail", session.pk),
        },
    )


def session_finished_notify(*, invoice_id: uuid.UUID | str) -> bool:
    """Tell the driver their charge is over and what it cost (its invoice was issued)."""
    from billing.models import Invoice
    from billing.selectors_invoicing import session_duration_seconds

    invoice = (
        Invoice.objects.select_related("user", "session__location").filter(pk=invoice_id).first()
    )
    if invoice is None or invoice.user is None or invoice.cdr_id is None:
        return False
    minutes = 0
    if invoice.session_start and invoice.session_end:
        minutes = int((invoice.session_end - invoice.session_start).total_seconds()) // 60
    elif invoice.session is not None:
        minutes = session_duration_seconds(invoice.session) // 60
    return notification_send(
        user=invoice.user,
        kind=Kind.SESSION_FINISHED,
        reference=invoice.session_id or invoice.pk,
        context={
            "invoice": invoice,
            "duration_minutes": minutes,
            "place": invoice.location_name or invoice.location_address,
            "invoice_url": _url("billing:invoice_detail", invoice.pk),
        },
    )


def payment_failed_notify(*, payment, attempt: int, reason: str) -> bool:
    """Tell the driver a payment failed (or needs their bank's confirmation), with the link to
    pay it now. Once per failed attempt; always sent (not switched off by the setting)."""
    if payment.user is None:
        return False
    return notification_send(
        user=payment.user,
        kind=Kind.PAYMENT_FAILED,
        reference=f"{payment.pk}:{attempt}",
        optional=False,
        context={
            "payment": payment,
            "reason": reason,
            "pay_url": _url("billing:payment_pay", payment.pk),
        },
    )


def _place(location, fallback: str) -> str:
    if location is None:
        return fallback
    return ", ".join(part for part in (location.name, location.address, location.city) if part)


def session_started_due(*, session_id: int) -> bool:
    """Whether the session-started email is still to be sent (a cheap check before enqueuing
    on every Session update)."""
    from roaming.models import Session

    active = Session.objects.filter(pk=session_id, status="ACTIVE", token__isnull=False).exists()
    return active and not notification_sent(kind=Kind.SESSION_STARTED, reference=session_id)


def invoice_session_finished_due(*, invoice_id) -> bool:
    from billing.models import Invoice

    invoice = Invoice.objects.filter(pk=invoice_id).values("cdr_id", "session_id", "pk").first()
    if invoice is None or invoice["cdr_id"] is None:
        return False
    reference = invoice["session_id"] or invoice["pk"]
    return not notification_sent(kind=Kind.SESSION_FINISHED, reference=reference)
