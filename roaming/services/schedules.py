"""Beat schedules (django-celery-beat, editable in the admin) for the roaming tasks.

Per connected partner: an incremental pull every OCPI_PULL_INTERVAL_MINUTES and a full pull
every OCPI_FULL_PULL_INTERVAL_HOURS (CPOs that miss a last_updated are caught there). Once:
the sweeper that fails commands whose result did not come in time. Ensured when a partner
connects (either registration) and switched off when it leaves; an interval staff changed in
the admin is kept.
"""

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from roaming.models import Partner

SWEEPER_NAME = "roaming: fail overdue commands"
SWEEPER_EVERY_SECONDS = 15


def _interval(every: int, period: str) -> IntervalSchedule:
    schedule, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
    return schedule


def pull_schedule_names(partner: Partner) -> dict[bool, str]:
    return {
        False: f"roaming: pull partner {partner.pk} (incremental)",
        True: f"roaming: pull partner {partner.pk} (full)",
    }


@transaction.atomic
def partner_pull_schedule_ensure(*, partner: Partner) -> list[PeriodicTask]:
    """The partner's pull schedules exist, enabled exactly when it is connected."""
    enabled = partner.status == Partner.Status.CONNECTED
    every = {
        False: _interval(settings.OCPI_PULL_INTERVAL_MINUTES, IntervalSchedule.MINUTES),
        True: _interval(settings.OCPI_FULL_PULL_INTERVAL_HOURS, IntervalSchedule.HOURS),
    }
    tasks = []
    for full, name in pull_schedule_names(partner).items():
        task, created = PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": "roaming.pull_partner",
                "interval": every[full],
                "kwargs": json.dumps({"partner_id": partner.pk, "full": full}),
                "description": f"OCPI {'full' if full else 'incremental'} pull of {partner}",
                "enabled": enabled,
            },
        )
        if not created and task.enabled != enabled:
            task.enabled = enabled
            task.save(update_fields=["enabled"])
        tasks.append(task)
    if enabled:
        command_sweeper_schedule_ensure()
    return tasks


def command_sweeper_schedule_ensure() -> PeriodicTask:
    task, _ = PeriodicTask.objects.get_or_create(
        name=SWEEPER_NAME,
        defaults={
            "task": "roaming.commands_expire",
            "interval": _interval(SWEEPER_EVERY_SECONDS, IntervalSchedule.SECONDS),
            "description": "Commands whose CommandResult did not arrive within their timeout.",
        },
    )
    return task
