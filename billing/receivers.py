"""Billing listens to what other apps store and enqueues its tasks after their commit:
a Session update (live cost, hold), a new CDR or a pulled page of them (rating, a page as one
batch), a START_SESSION the CPO accepted (hold), a payment changing state (its invoice
follows). Receivers only enqueue, and never let a failure reach the OCPI request that stored
the object: a broker that is down (or, with tasks run in-process, a failing task) is logged,
and the invoicing sweeper picks the work up."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from billing.models import Payment
from roaming.models import Command, Session
from roaming.signals import cdr_stored, cdrs_stored, session_stored

logger = logging.getLogger(__name__)


@receiver(session_stored, dispatch_uid="billing.session_stored")
def session_stored_received(sender, session_id: int, created: bool, **kwargs) -> None:
    from billing.tasks import session_cost_update_task, session_hold_for_session_task

    _enqueue(session_cost_update_task, session_id)
    ended = Session.objects.filter(pk=session_id, status__in=("COMPLETED", "INVALID")).exists()
    if created or ended:
        _enqueue(session_hold_for_session_task, session_id)


@receiver(cdr_stored, dispatch_uid="billing.cdr_stored")
def cdr_stored_received(sender, cdr_id: int, **kwargs) -> None:
    from billing.tasks import cdr_rate_task

    _enqueue(cdr_rate_task, cdr_id)


@receiver(cdrs_stored, dispatch_uid="billing.cdrs_stored")
def cdrs_stored_received(sender, cdr_ids: list[int], **kwargs) -> None:
    from billing.tasks import cdrs_rate_task

    _enqueue(cdrs_rate_task, list(cdr_ids))


@receiver(post_save, sender=Command, dispatch_uid="billing.command_saved")
def command_saved(sender, instance: Command, **kwargs) -> None:
    if (
        instance.kind == "START_SESSION"
        and instance.status == Command.Status.ACCEPTED
        and instance.driver_id
        and instance.authorization_reference
    ):
        from billing.tasks import session_hold_for_command_task

        command_id = instance.pk
        transaction.on_commit(
            lambda: _enqueue(session_hold_for_command_task, command_id), robust=True
        )


@receiver(post_save, sender=Payment, dispatch_uid="billing.payment_saved")
def payment_saved(sender, instance: Payment, created: bool, **kwargs) -> None:
    if created or instance.state == Payment.State.PENDING:
        return
    payment = instance

    def follow() -> None:
        from billing.services.invoices import invoices_for_payment
        from billing.tasks import invoice_payment_sync_task

        for invoice_id in invoices_for_payment(payment=payment):
            _enqueue(invoice_payment_sync_task, invoice_id)

    transaction.on_commit(follow, robust=True)


def _enqueue(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:
        logger.exception("%s%r not done now; the invoicing sweeper will do it", task.name, args)
