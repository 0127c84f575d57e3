"""Celery tasks of the roaming app: thin, take ids, safe to run twice."""

from celery import shared_task

from roaming.commands import commands_expire
from roaming.models import Partner
from roaming.services.pulls import partner_pull_all


@shared_task(name="roaming.pull_partner", acks_late=True)
def pull_partner(partner_id: int, full: bool = False, modules: list[str] | None = None) -> list:
    """Pull the partner's modules (beat runs it per partner). A second copy running at the
    same time finds the first one's runs in progress and leaves those modules alone."""
    partner = Partner.objects.filter(pk=partner_id, status=Partner.Status.CONNECTED).first()
    if partner is None:
        return []
    runs = partner_pull_all(partner=partner, full=full, modules=tuple(modules or ()) or None)
    return [{"run": run.pk, "module": run.module, "status": run.status} for run in runs]


@shared_task(name="roaming.commands_expire")
def expire_commands() -> int:
    """The sweeper: commands whose result is overdue become TIMEOUT."""
    return commands_expire()
