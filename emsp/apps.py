from django.apps import AppConfig


class EmspConfig(AppConfig):
    name = "emsp"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from emsp.roles import staff_groups_sync_after_migrate

        post_migrate.connect(staff_groups_sync_after_migrate, dispatch_uid="emsp.staff_groups")
