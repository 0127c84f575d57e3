"""The drivers app listens for what roaming and billing store and enqueues its emails after
their commit: a Session reported ACTIVE (session started), an invoice issued for a CDR
(session finished, with the cost). Receivers only enqueue; a failure is logged, never raised
into the OCPI request or the rating that stored the object."""

import logging

from django.dispatch import receiver

from billing.signals import invoices_issued
from roaming.signals import session_stored

logger = logging.getLogger(__name__)


@receiver(session_stored, dispatch_uid="drivers.session_stored")
def session_stored_received(sender, session_id: int, created: bool, **kwargs) -> None:
    from drivers.notifications import session_started_due
    from drivers.tasks import session_started_notify_task

    if session_started_due(session_id=session_id):
        _enqueue(session_started_notify_task, session_id)


@receiver(invoices_issued, dispatch_uid="drivers.invoices_issued")
def invoices_issued_received(sender, invoice_ids: list[str], **kwargs) -> None:
    from drivers.tasks import sessions_finished_notify_task

    _enqueue(sessions_finished_notify_task, list(invoice_ids))  # one message for a batch


def _enqueue(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:
        logger.exception("%s%r not enqueued", task.name, args)
