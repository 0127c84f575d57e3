"""Tariffs' part of /api/v1/ (included by emsp/api_urls.py)."""

from django.urls import path

from tariffs import api

urlpatterns = [
    path(
        "connectors/<str:connector_id>/price-preview",
        api.ConnectorPricePreviewApi.as_view(),
        name="connector_price_preview",
    ),
]
