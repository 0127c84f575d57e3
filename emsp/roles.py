"""Staff roles: one auth Group per role, with the permissions that role needs.

The groups are created by a data migration and kept in step with this table after every
`migrate` (new models bring new permissions). A permission named here for a model that does
not exist yet is skipped until it does.
"""

from typing import Any

from django.apps import apps as global_apps

VIEW = ("view",)
EDIT = ("view", "change")
FULL = ("view", "add", "change", "delete")

STAFF_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "support": {
        "drivers.user": EDIT,
        "drivers.driverprofile": EDIT,
        "drivers.token": EDIT,
        "drivers.cardorder": EDIT,
        "drivers.notification": VIEW,
        "account.emailaddress": EDIT,
        "roaming.location": VIEW,
        "roaming.evse": VIEW,
        "roaming.connector": VIEW,
        "roaming.session": VIEW,
        "roaming.cdr": VIEW,
        "roaming.command": ("view", "add"),
        "roaming.tokenauthorization": VIEW,
        "billing.invoice": VIEW,
        "billing.creditnote": VIEW,
        "billing.sessioncost": VIEW,
        "billing.payment": VIEW,
        "billing.paymentattempt": VIEW,
        "billing.paymentmethod": VIEW,
        "billing.refund": VIEW,
        "tariffs.priceplan": VIEW,
        "tariffs.priceplanrule": VIEW,
        "tariffs.plansubscription": VIEW,
    },
    "billing": {
        "drivers.user": VIEW,
        "drivers.driverprofile": VIEW,
        "roaming.session": VIEW,
        "roaming.cdr": VIEW,
        "billing.invoice": EDIT,
        "billing.invoiceline": VIEW,
        "billing.creditnote": FULL,
        "billing.payment": VIEW,
        "billing.paymentattempt": VIEW,
        "billing.paymentmethod": VIEW,
        "billing.stripecustomer": VIEW,
        "billing.webhookevent": VIEW,
        "billing.refund": FULL,
        "billing.cdrreview": EDIT,
        "billing.cdrrating": VIEW,
        "billing.creditnoteline": VIEW,
        "billing.sessioncost": VIEW,
        "billing.sessionhold": VIEW,
        "billing.tokenblock": VIEW,
        "billing.planholdpolicy": FULL,
        "tariffs.tariff": VIEW,
        "tariffs.tariffversion": VIEW,
        "tariffs.priceplan": FULL,
        "tariffs.priceplanrule": FULL,
        "tariffs.plansubscription": ("view", "add"),
        "tariffs.vatrate": FULL,
        # to pick a rule's Location or CPO, and to preview prices at a connector
        "roaming.partner": VIEW,
        "roaming.location": VIEW,
        "roaming.connector": VIEW,
    },
    "operations": {
        "roaming.partner": FULL,
        "roaming.syncrun": VIEW,
        "roaming.location": EDIT,
        "roaming.evse": EDIT,
        "roaming.connector": EDIT,
        "roaming.session": VIEW,
        "roaming.cdr": VIEW,
        "roaming.command": FULL,
        "roaming.tokenauthorization": VIEW,
        "tariffs.tariff": VIEW,
        "tariffs.tariffversion": VIEW,
        "tariffs.priceplan": VIEW,
        "tariffs.priceplanrule": VIEW,
        "tariffs.vatrate": VIEW,
        "django_celery_beat.periodictask": FULL,
        "django_celery_beat.intervalschedule": FULL,
    },
}


def staff_groups_sync(apps: Any = global_apps) -> None:
    """Create the role groups and set exactly the permissions STAFF_ROLES grants them."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, grants in STAFF_ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for model_label, actions in grants.items():
            app_label, model_name = model_label.split(".")
            codenames = [f"{action}_{model_name}" for action in actions]
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
        group.permissions.set(wanted)


def staff_groups_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Runs once per `migrate` (and per `flush`, as after a transactional test), on the signal of
    the last app that has models (apps without are not signalled), when every permission exists."""
    with_models = [app for app in global_apps.get_app_configs() if app.models_module is not None]
    if with_models and sender.label == with_models[-1].label:
        staff_groups_sync()
