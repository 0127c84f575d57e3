"""The mobile app's REST API, version 1 (mounted at /api/v1/)."""

from django.urls import include, path

from drivers import api_charge, api_tokens
from drivers.api import MeApi
from drivers.api_find import LocationBoundsApi, LocationListApi
from drivers.api_location import (
    FavouriteApi,
    FavouriteListApi,
    LocationDetailApi,
)

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
    path(
        "tokens/rfid/orders/<str:order_id>/activate",
        api_tokens.CardOrderActivateApi.as_view(),
        name="token_rfid_order_activate",
    ),
    path("tokens/<str:token_id>/block", api_tokens.TokenBlockApi.as_view(), name="token_block"),
    path("locations", LocationListApi.as_view(), name="locations"),
    path("locations/in-bounds", LocationBoundsApi.as_view(), name="locations_in_bounds"),
    path("locations/<str:location_id>", LocationDetailApi.as_view(), name="location"),
    path("favourites", FavouriteListApi.as_view(), name="favourites"),
    path("favourites/<str:location_id>", FavouriteApi.as_view(), name="favourite"),
    path("", include("billing.api_urls")),
    path("", include("tariffs.api_urls")),
]
