"""The mobile app's REST API, version 1 (mounted at /api/v1/)."""

from django.urls import include, path

from drivers.api import MeApi

app_name = "api"
urlpatterns = [
    path("me", MeApi.as_view(), name="me"),
    path("", include("billing.api_urls")),
    path("", include("tariffs.api_urls")),
]
