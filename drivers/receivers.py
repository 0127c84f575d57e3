"""The drivers app listens for what roaming and billing store and enqueues its emails after
their commit: a Session reported ACTIVE (session started), an invoice issued for a CDR
(session finished, with the cost). Receivers only enqueue; a failure is logged, never raised
into the OCPI request or the rating that stored the object."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from billing.models import Invoice
from roaming.signals import session_stored

logger = logging.getLogger(__name__)


@receiver(session_stored, dispatch_uid="drivers.session_stored")
def session_stored_received(sender, session_id: int, created: bool, **kwargs) -> None:
    from drivers.notifications import session_started_due
    from drivers.tasks import session_started_notify_task

    if session_started_due(session_id=session_id):
        _enqueue(session_started_notify_task, session_id)


@receiver(post_save, sender=Invoice, dispatch_uid="drivers.invoice_saved")
def invoice_saved(sender, instance: Invoice, created: bool, **kwargs) -> None:
    if not created or instance.cdr_id is None:
        return
    from drivers.tasks import session_finished_notify_task

    invoice_id = str(instance.pk)
    transaction.on_commit(lambda: _enqueue(session_finished_notify_task, invoice_id), robust=True)


def _enqueue(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:
        logger.exception("%s%r not enqueued", task.name, args)
