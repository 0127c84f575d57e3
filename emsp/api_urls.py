"""The mobile app's REST API, version 1 (mounted at /api/v1/)."""

from django.urls import include, path

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
    path("locations", LocationListApi.as_view(), name="locations"),
    path("locations/in-bounds", LocationBoundsApi.as_view(), name="locations_in_bounds"),
    path("locations/<str:location_id>", LocationDetailApi.as_view(), name="location"),
    path("favourites", FavouriteListApi.as_view(), name="favourites"),
    path("favourites/<str:location_id>", FavouriteApi.as_view(), name="favourite"),
    path("", include("billing.api_urls")),
    path("", include("tariffs.api_urls")),
]
