from django.apps import AppConfig


class DriversConfig(AppConfig):
    name = "drivers"
    verbose_name = "Drivers"

    def ready(self) -> None:
        from drivers import (
            authentication,  # noqa: F401 - registers the OpenAPI auth scheme
            receivers,  # noqa: F401 - connects the notification receivers
        )
