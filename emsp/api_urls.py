"""The mobile app's REST API, version 1 (mounted at /api/v1/)."""

from django.urls import include, path

from drivers import api_charge, api_tokens
from drivers.api import MeApi

app_name = "api"
urlpatterns = [
    path("me", MeApi.as_view(), name="me"),
    path("charging/start", api_charge.ChargingStartApi.as_view(), name="charging_start"),
    path(
        "charging/commands/<str:command_id>",
        api_charge.ChargingCommandApi.as_view(),
        name="charging_command",
    ),
    # Before billing's sessions/<session_id>: a path of its own, so neither shadows the other.
    path(
        "sessions/<str:session_id>/stop", api_charge.SessionStopApi.as_view(), name="session_stop"
    ),
    path("tokens", api_tokens.TokenListApi.as_view(), name="tokens"),
    path("tokens/rfid", api_tokens.RfidLinkApi.as_view(), name="token_rfid_link"),
    path("tokens/rfid/order", api_tokens.CardOrderApi.as_view(), name="token_rfid_order"),
    path("tokens/<str:token_id>/block", api_tokens.TokenBlockApi.as_view(), name="token_block"),
    path("", include("billing.api_urls")),
    path("", include("tariffs.api_urls")),
]
