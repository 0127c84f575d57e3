"""The charging pages, at /charge/ (names without a namespace: other pages link to
`charge_start` with a connector's pk)."""

from django.urls import path

from drivers import views_charge

urlpatterns = [
    path("connectors/<int:connector_id>/", views_charge.charge_start, name="charge_start"),
    path("commands/<uuid:command_id>/", views_charge.charge_command, name="charge_command"),
    path("sessions/<int:session_id>/stop/", views_charge.charge_stop, name="charge_stop"),
]
