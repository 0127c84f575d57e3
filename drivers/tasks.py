"""Celery tasks of the drivers app: take ids, call one service, safe to run twice (the
Notification log's unique key makes a second run send nothing)."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

NOTIFY = {
    "autoretry_for": (OperationalError, InterfaceError, SMTPException, ConnectionError),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="drivers.session_started_notify", **NOTIFY)
def session_started_notify_task(session_id: int) -> bool:
    from drivers.notifications import session_started_notify

    return session_started_notify(session_id=session_id)


@shared_task(name="drivers.session_finished_notify", **NOTIFY)
def session_finished_notify_task(invoice_id: str) -> bool:
    from drivers.notifications import session_finished_notify

    return session_finished_notify(invoice_id=invoice_id)


@shared_task(name="drivers.sessions_finished_notify", **NOTIFY)
def sessions_finished_notify_task(invoice_ids: list[str]) -> int:
    """The invoices issued together (a rating batch): each driver told once (a retry of the
    whole list sends only what was not sent: the Notification log's key)."""
    from drivers.notifications import session_finished_notify

    return sum(session_finished_notify(invoice_id=invoice_id) for invoice_id in invoice_ids)
